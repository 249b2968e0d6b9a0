from __future__ import annotations

from pathlib import Path

import pytest

from classifier.phrases import PhraseLibrary
from tests.training.builders import write_fixture_library, write_manifest, write_seed


@pytest.fixture(scope="session")
def fixture_library(tmp_path_factory: pytest.TempPathFactory) -> PhraseLibrary:
    return PhraseLibrary.load(write_fixture_library(tmp_path_factory.mktemp("phrases")))


@pytest.fixture
def seed_dir(tmp_path: Path) -> Path:
    return write_seed(tmp_path / "seed")


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    return write_manifest(tmp_path / "splits.json")
