"""The bridge between reviewers' decisions and the training data, through Label Studio.

    review server --(push: text only, pseudonymised, most uncertain first)--> Label Studio
    Label Studio --(pull: completed annotations; disagreements reported)--> labelled.jsonl
    labelled.jsonl + seed corpus --(training.loop.retrain)--> candidate --> promote or refuse

- `push.push`, `pull.read_export` / `pull.export`: the two directions; `rows`: the rows
  labelled incidents become
- `sync.sync_round` / `sync.run_forever`: the scheduled job; `webhook`: the optional marker
- `interface.labelling_config`: the labelling config, generated from the taxonomy
- `pseudonym.Pseudonymiser`, `settings`: pseudonyms, paths and connections
- `cli.add_subcommands`: `safeguard-train labelstudio ...`
"""
from __future__ import annotations

import importlib
from typing import Any

#: The public names and the module each lives in. They load on first use: `safeguard-train`
#: builds its parser from `training.labelstudio.cli` for every command, and must not pay for
#: the Label Studio SDK (or pandas, which it imports) when it runs another one.
_EXPORTS = {
    "LearningPaths": "settings", "Pseudonymiser": "pseudonym", "PullResult": "pull",
    "PushReport": "push", "export": "pull", "labelling_config": "interface", "push": "push",
    "read_export": "pull",
}
__all__ = ["LearningPaths", "Pseudonymiser", "PullResult", "PushReport", "export",
           "labelling_config", "push", "read_export"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
