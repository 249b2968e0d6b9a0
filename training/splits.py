"""The frozen train/dev/test split, by template family.

Near-duplicates (one template written several ways) share a family; a family lies wholly in
one split, so the test split never sees a sentence whose twin was trained on. A new family
gets its split from a stable hash of its name (never Python's salted `hash`), and once
written to the committed manifest `training/data/splits.json` its split never moves, even if
the fractions or the hash rule change later.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

SPLITS = ("train", "dev", "test")
MANIFEST_FORMAT = 1
HASH_RULE = "sha256(family) as a fraction in [0, 1): < train -> train, < train+dev -> dev, else test"


class SplitManifestError(ValueError):
    """A manifest that cannot be read; the message names the file and the entry."""


def hash_split(family: str, fractions: Mapping[str, float]) -> str:
    """The split a family would get from the hash rule."""
    digest = hashlib.sha256(family.encode("utf-8")).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    if point < fractions["train"]:
        return "train"
    if point < fractions["train"] + fractions["dev"]:
        return "dev"
    return "test"


@dataclass
class SplitManifest:
    """Family -> split, as frozen so far, plus the fractions used for families still new."""

    fractions: dict[str, float]
    families: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, fractions: Mapping[str, float]) -> SplitManifest:
        """Read the manifest, or start an empty one when the file does not exist yet."""
        if not path.exists():
            return cls(dict(fractions))
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SplitManifestError(f"{path}: cannot read the split manifest: {exc}") from None
        families = data.get("families") if isinstance(data, dict) else None
        if not isinstance(families, dict):
            raise SplitManifestError(f"{path}: expected {{\"families\": {{family: split}}}}")
        bad = [f for f, s in families.items() if s not in SPLITS]
        if bad:
            raise SplitManifestError(f"{path}: family {bad[0]!r} has split "
                                     f"{families[bad[0]]!r}; splits are {', '.join(SPLITS)}")
        return cls(dict(fractions), dict(families))

    def split_of(self, family: str) -> str:
        """The frozen split, or the hash rule's answer for a family not frozen yet."""
        return self.families.get(family) or hash_split(family, self.fractions)

    def freeze(self, families: Iterable[str]) -> list[str]:
        """Record a split for every family not frozen yet; returns the newly frozen ones."""
        new = sorted({f for f in families if f not in self.families})
        for family in new:
            self.families[family] = hash_split(family, self.fractions)
        return new

    def save(self, path: Path) -> None:
        data = {"format": MANIFEST_FORMAT, "rule": HASH_RULE, "fractions": self.fractions,
                "counts": {s: sum(1 for v in self.families.values() if v == s) for s in SPLITS},
                "families": dict(sorted(self.families.items()))}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
