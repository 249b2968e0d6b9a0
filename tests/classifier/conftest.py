from __future__ import annotations

from pathlib import Path

import pytest

from classifier.phrases import PhraseLibrary

SMALL_LIBRARY = {
    "suicide": [("kill myself", 5, "word"), ("suicid", 4, "prefix"), ("want to die", 5, "word"),
                ("don't want to live", 5, "word"), ("kms", 5, "word"),
                ("better off without me", 5, "word")],
    "self_harm": [("self harm", 4, "word"), ("cutting myself", 4, "word")],
    "violence": [("kill", 2, "word"), ("knife", 3, "word"), ("hate you", 2, "word"),
                 ("stab", 4, "word"), ("break his jaw", 3, "word")],
    "substance_misuse": [("plug", 2, "word"), ("pingers", 3, "word"), ("🍃", 2, "word"),
                         ("💊❄️", 3, "word")],
    "bullying": [("everyone hates you", 4, "word"), ("loser", 2, "word")],
    "gambling": [("fall", 1, "word")],
    "adult_content": [("pornhub", 2, "embedded")],
}


def write_library(root: Path, phrases: dict[str, list[tuple[str, int, str]]],
                  version: str = "test.1") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "library.toml").write_text(f'version = "{version}"\n')
    for cat, rows in phrases.items():
        lines = ["phrase,severity,match,note"] + [f'"{p}",{s},{m},' for p, s, m in rows]
        (root / f"{cat}.csv").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(scope="session")
def small_library_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_library(tmp_path_factory.mktemp("phrases"), SMALL_LIBRARY)


@pytest.fixture(scope="session")
def small_library(small_library_dir: Path) -> PhraseLibrary:
    return PhraseLibrary.load(small_library_dir)
