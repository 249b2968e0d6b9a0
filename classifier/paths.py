"""Where the shipped artefacts live: one place, overridable for installs outside the repo."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def models_dir() -> Path:
    """The `models/` folder (phrase library and context-model versions)."""
    return Path(os.environ.get("SAFEGUARD_MODELS_DIR", REPO_ROOT / "models"))


def phrases_dir() -> Path:
    return models_dir() / "phrases"


def context_models_dir() -> Path:
    return models_dir() / "context"
