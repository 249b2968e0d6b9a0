"""`safeguard-train retrain`: seed corpus + labelled incidents -> a candidate version, compared
with the version in service, promoted only if it is no worse where it matters.

The candidate is made by the context-model pipeline itself (`training.publish.
train_and_publish`: fine-tune, export, quantise, tune thresholds) into the loop's candidates
folder, never straight into `models/context/`. Both versions then scan the same texts and are
scored as the pipeline scores a version (`training.metrics.scan_verdicts` and
`score_verdicts`, one verdict per text) on

- the frozen test split of the seed corpus (families frozen in the committed manifest), and
- the labelled incidents whose families the split rule holds out for test (the candidate
  never trained on them; the families are frozen in the loop's own manifest, so they stay
  held out at every later retrain).

It is promoted (copied into `models/context/<version>/`, where the review server picks the
newest version) only if, on every set that has examples, recall of genuine concerns does not
fall and false alerts do not rise. Otherwise it stays among the candidates and the report
says why. Either way a comparison report is written.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from classifier.judge import Judge, KeywordJudge, load_judge
from classifier.onnx_model import (
    ModelArtefactError,
    OnnxContextModel,
    newest_model_dir,
    verify_checksums,
)
from classifier.paths import context_models_dir
from classifier.phrases import PhraseLibrary, PhraseLibraryError
from classifier.taxonomy import CATEGORY_IDS
from training.config import ConfigError, TrainingConfig, load_config
from training.dataset import ROW_FIELDS, Example, SeedError
from training.labelstudio.rows import FAMILY_PREFIX
from training.labelstudio.settings import LearningPaths
from training.metrics import scan_verdicts, score_verdicts
from training.splits import SPLITS, SplitManifest, SplitManifestError

Log = Callable[[str], None]
FROZEN_TEST = "frozen test split (seed corpus)"
NEW_HELD_OUT = "new labels held out for test"
NEW_ALL = "all new labels (information only: the candidate trained on most of them)"


class RetrainError(RuntimeError):
    """Nothing to retrain on, or a candidate that cannot be published."""


def retrain_failures() -> tuple[type[Exception], ...]:
    """What a retrain can fail with, each with a message that says what to fix."""
    from training.model import BaseModelError
    from training.publish import PublishError

    return (RetrainError, ConfigError, SeedError, SplitManifestError, ModelArtefactError,
            PhraseLibraryError, PublishError, BaseModelError, OSError)


@dataclass
class Evaluation:
    name: str
    judged: bool  # counts towards the promotion rule
    current: dict[str, Any]
    candidate: dict[str, Any]


@dataclass
class Outcome:
    version: str
    current_version: str
    promoted: bool
    reasons: list[str]
    candidate_dir: Path
    published_dir: Path | None
    report: Path
    evaluations: list[Evaluation] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


# --- the data -----------------------------------------------------------------------------------

def read_labelled(path: Path) -> list[dict[str, Any]]:
    """Rows written by `labelstudio pull`; a bad line is an error naming file and line."""
    if not path.is_file():
        raise RetrainError(f"{path}: no labelled rows yet; run `safeguard-train labelstudio "
                           "pull` first")
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise RetrainError(f"{path}:{number}: not JSON ({exc})") from None
            missing = [f for f in (*ROW_FIELDS, "phrase_category") if not row.get(f)]
            if missing or row["phrase_category"] not in CATEGORY_IDS:
                raise RetrainError(f"{path}:{number}: missing or unknown field(s) "
                                   f"{', '.join(missing) or 'phrase_category'}")
            rows.append(row)
    if not rows:
        raise RetrainError(f"{path}: no labelled rows yet; label some tasks and pull again")
    return rows


def combined_seed(seed_dir: Path, rows: Sequence[dict[str, Any]], target: Path) -> Path:
    """The seed files with the labelled rows appended to the file of their phrase's category
    (which is what the dataset counts hard negatives against)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for source in sorted(seed_dir.glob("*.jsonl")):
        shutil.copyfile(source, target / source.name)
    for row in rows:
        with (target / f"{row['phrase_category']}.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return target


def loop_manifest(config: TrainingConfig, path: Path) -> Path:
    """The loop's manifest: its own frozen families, with the committed manifest's families
    on top (the seed corpus's split is never moved by the loop)."""
    fractions = {s: getattr(config.data, s) for s in SPLITS}
    ours = SplitManifest.load(path, fractions)
    ours.families.update(SplitManifest.load(config.data.splits, fractions).families)
    ours.save(path)
    return path


# --- the comparison -----------------------------------------------------------------------------

def evaluate(rows: Sequence[Example], library: PhraseLibrary, current: Judge,
             candidate: Judge) -> tuple[dict, dict]:
    """Both versions' figures on the same texts, each text scanned whole as the product
    scans it (the pipeline's own `scan_verdicts` + `score_verdicts`)."""
    return (score_verdicts(rows, scan_verdicts(rows, library, current)),
            score_verdicts(rows, scan_verdicts(rows, library, candidate)))


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def refusals(evaluations: Sequence[Evaluation]) -> list[str]:
    """Why the candidate must not ship; empty when it may. On every judged set: recall of
    genuine concerns must not fall, false alerts on innocent hits must not rise."""
    reasons = []
    judged = [e for e in evaluations if e.judged and e.current["examples"]]
    if not judged:
        return ["no test examples to compare the versions on"]
    for e in judged:
        cur, new = e.current, e.candidate
        if cur["concerns"] and new["concern_recall"] < cur["concern_recall"] - 1e-9:
            reasons.append(f"{e.name}: recall of genuine concerns falls from "
                           f"{_pct(cur['concern_recall'])} to {_pct(new['concern_recall'])}")
        if new["false_alerts"] > cur["false_alerts"]:
            reasons.append(f"{e.name}: false alerts rise from {cur['false_alerts']} to "
                           f"{new['false_alerts']} of {cur['innocent']} innocent hits")
    return reasons


def publish_candidate(candidate: Path, models_root: Path) -> Path:
    """Copy a checked candidate into `models/context/<version>/`, renamed into place so the
    server never sees half a version."""
    target = models_root / candidate.name
    if target.exists():
        raise RetrainError(f"{target} already exists; versions are immutable")
    staging = models_root / ".partial" / candidate.name
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(candidate, staging)
    verify_checksums(staging)
    staging.rename(target)
    with suppress(OSError):
        staging.parent.rmdir()
    shutil.rmtree(candidate)
    return target


# --- the whole retrain --------------------------------------------------------------------------

def _version(models_root: Path, candidates: Path) -> str:
    """Today's version name, numbered past any published version or kept candidate."""
    from training.publish import new_version

    today = new_version(candidates / ".no-such-folder")  # the bare date
    version, n = today, 1
    while (models_root / version).exists() or (candidates / version).exists():
        n += 1
        version = f"{today}.{n}"
    return version


def retrain(config: TrainingConfig, *, paths: LearningPaths, labelled: Path | None = None,
            models_root: Path | None = None, current_dir: Path | None = None,
            library: PhraseLibrary | None = None, version: str | None = None,
            log: Log = print) -> Outcome:
    # torch and transformers load here, not when `safeguard-train` builds its parser.
    from training.publish import load_dataset, train_and_publish

    library = library if library is not None else PhraseLibrary.load()
    models_root = models_root if models_root is not None else context_models_dir()
    rows = read_labelled(labelled or paths.labelled)
    version = version or _version(models_root, paths.candidates)
    current_dir = current_dir or newest_model_dir(models_root)
    current: Judge = load_judge(current_dir, threads=config.fit.threads) if current_dir \
        else KeywordJudge()
    log(f"retrain {version}: {len(rows)} labelled rows on top of the seed corpus; in service: "
        f"{current.version}")

    work = paths.work / version
    data = replace(config.data, seed_dir=combined_seed(config.data.seed_dir, rows, work / "seed"),
                   splits=loop_manifest(config, paths.splits))
    loop_config = replace(config, data=data)
    candidate_dir = train_and_publish(loop_config, version=version, models_root=paths.candidates,
                                      work_root=paths.work, library=library, log=log)
    candidate = OnnxContextModel.load(candidate_dir, config.fit.threads)

    dataset = load_dataset(loop_config, library)
    test = dataset.rows("test")  # one example per text, as the pipeline's figures use
    new = [e for e in dataset.examples if e.primary and e.family.startswith(FAMILY_PREFIX)]
    sets = ((FROZEN_TEST, True, [e for e in test if not e.family.startswith(FAMILY_PREFIX)]),
            (NEW_HELD_OUT, True, [e for e in new if e.split == "test"]),
            (NEW_ALL, False, new))
    evaluations = [Evaluation(name, judged, *evaluate(texts, library, current, candidate))
                   for name, judged, texts in sets]
    reasons = refusals(evaluations)
    published = None if reasons else publish_candidate(candidate_dir, models_root)
    labelled_texts = [e for e in new if not e.noise]  # noisy copies are the pipeline's own
    summary = {
        "labelled_rows": len(rows),
        "labelled_examples": len(labelled_texts),
        "labelled_rows_dropped": len(rows) - len(labelled_texts),
        "labelled_by_split": {s: sum(1 for e in labelled_texts if e.split == s) for s in SPLITS},
        "seed_by_split": {s: sum(1 for e in dataset.rows(s)
                                 if not e.family.startswith(FAMILY_PREFIX)) for s in SPLITS},
    }
    outcome = Outcome(version, current.version, published is not None, reasons, candidate_dir,
                      published, paths.reports / f"{version}.md", evaluations, summary)
    if published is not None:
        outcome.candidate_dir = published
    write_report(outcome)
    return outcome


# --- the report ---------------------------------------------------------------------------------

ROWS = (("recall of genuine concerns", "concern_recall", _pct),
        ("false alerts on innocent hits", "false_alerts", str),
        ("false-alert rate", "false_alert_rate", _pct),
        ("category right on true alerts", "category_accuracy_on_true_alerts", _pct))


def render(outcome: Outcome) -> str:
    verdict = ("**promoted**: published to " + str(outcome.published_dir)
               if outcome.promoted else
               "**not promoted**: the version in service stays. Candidate kept in "
               + str(outcome.candidate_dir))
    d = outcome.data
    lines = [f"# Retrain {outcome.version} vs {outcome.current_version}", "",
             f"Decision: {verdict}.", ""]
    lines += [f"- {r}" for r in outcome.reasons] or [
        ("- On every test set, recall of genuine concerns did not fall and false alerts did "
         "not rise.")]
    lines += ["", (f"Data: seed corpus {_by_split(d['seed_by_split'])} texts; "
                   f"{d['labelled_rows']} labelled rows -> {d['labelled_examples']} texts "
                   f"({_by_split(d['labelled_by_split'])}; {d['labelled_rows_dropped']} "
                   "dropped: phrase not found by the library)."), ""]
    for e in outcome.evaluations:
        lines += [f"## {e.name}", ""]
        if not e.current["examples"]:
            lines += ["No texts here yet (no family has fallen in this set).", ""]
            continue
        lines += [(f"{e.current['examples']} texts: {e.current['concerns']} genuine concerns, "
                   f"{e.current['innocent']} innocent."), ""]
        lines += [f"| | in service ({outcome.current_version}) | candidate ({outcome.version}) |",
                  "|---|---|---|"]
        lines += [f"| {title} | {fmt(e.current[key])} | {fmt(e.candidate[key])} |"
                  for title, key, fmt in ROWS]
        lines += ["", "| category | support | recall in service | recall candidate |",
                  "|---|---|---|---|"]
        lines += [f"| {c} | {row['support']} | {_pct(row['recall'])} | "
                  f"{_pct(e.candidate['per_category'][c]['recall'])} |"
                  for c, row in e.current["per_category"].items() if row["support"]]
        lines.append("")
    return "\n".join(lines) + "\n"


def _by_split(counts: dict[str, int]) -> str:
    return " / ".join(f"{counts[s]} {s}" for s in SPLITS)


def write_report(outcome: Outcome) -> Path:
    outcome.report.parent.mkdir(parents=True, exist_ok=True)
    outcome.report.write_text(render(outcome), encoding="utf-8")
    data = asdict(outcome)
    for key in ("candidate_dir", "published_dir", "report"):
        data[key] = None if data[key] is None else str(data[key])
    outcome.report.with_suffix(".json").write_text(json.dumps(data, indent=1) + "\n",
                                                   encoding="utf-8")
    return outcome.report


def wait_for_server(url: str, version: str, timeout_s: float, log: Log = print) -> bool:
    """Whether the review server reports `version` on /healthz within `timeout_s` (it picks
    up the newest version itself; this only confirms it)."""
    deadline = time.monotonic() + timeout_s
    serving = "unknown"
    while True:
        with suppress(httpx.HTTPError, ValueError):
            serving = httpx.get(f"{url.rstrip('/')}/healthz", timeout=5).json().get(
                "model_version", "unknown")
            if serving == version:
                log(f"the review server at {url} now serves {version}")
                return True
        if time.monotonic() >= deadline:
            log(f"the review server at {url} still serves {serving}; it loads {version} on its "
                "next model check or restart")
            return False
        time.sleep(1.0)


# --- the command --------------------------------------------------------------------------------

def cmd_retrain(args: argparse.Namespace) -> int:
    from training.labelstudio.sync import mark_retrained

    paths = LearningPaths(args.learning_dir) if args.learning_dir else LearningPaths.default()
    try:
        outcome = retrain(load_config(args.config), paths=paths, labelled=args.labelled,
                          current_dir=args.current, version=args.version)
    except retrain_failures() as exc:
        print(f"safeguard-train retrain: error: {exc}", file=sys.stderr)
        return 2
    mark_retrained(paths.state)
    print(render(outcome), end="")
    print(f"report: {outcome.report}")
    if outcome.promoted and args.server_url:
        wait_for_server(args.server_url, outcome.version, args.wait_s)
    return 0 if outcome.promoted else 3


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    """`safeguard-train retrain`; exit status 0 promoted, 3 refused, 2 error."""
    parser = subparsers.add_parser(
        "retrain", help="seed corpus + labelled incidents -> candidate; promote if no worse")
    parser.add_argument("--config", type=Path, default=None,
                        help="training config (default: training/config.toml)")
    parser.add_argument("--labelled", type=Path, default=None,
                        help="labelled rows (default: <learning dir>/labelled.jsonl)")
    parser.add_argument("--learning-dir", type=Path, default=None,
                        help="the loop's working folder (default: $SAFEGUARD_LEARNING_DIR or "
                             "var/learning)")
    parser.add_argument("--current", type=Path, default=None,
                        help="the version to beat (default: the newest in models/context)")
    parser.add_argument("--version", default=None, help="candidate version (default: today)")
    parser.add_argument("--server-url", default=None,
                        help="after promoting, wait for this review server to report the new "
                             "version on /healthz")
    parser.add_argument("--wait-s", type=float, default=120.0)
    parser.set_defaults(handler=cmd_retrain)

