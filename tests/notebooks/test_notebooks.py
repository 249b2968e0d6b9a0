"""The data team's notebooks run top to bottom (in a real Jupyter kernel, with nbclient) on
small data, and leave their figures as PNG files a person can open."""
from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from PIL import Image

from classifier.phrases import PhraseLibrary
from tests.training.builders import tiny_config, write_fixture_library, write_manifest, write_seed
from training.config import load_config
from training.labelstudio.interface import choice_result
from training.labelstudio.pull import read_export, save
from training.labelstudio.settings import LearningPaths
from training.labelstudio.sync import SyncState, save_state
from training.publish import train_and_publish

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"

FIGURES = {
    "evaluation.ipynb": ["per_category.png", "pr_curves.png", "confusion_matrix.png",
                         "threshold_what_if.png"],
    "error_analysis.ipynb": ["errors_by_category.png", "error_scores.png"],
    "labelling_progress.ipynb": ["progress_by_category.png", "annotations_over_time.png",
                                 "reviewer_vs_labeller.png", "uncertainty.png"],
}


@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> dict[str, str]:
    """A tiny model trained by the pipeline on the fixture corpus, and a labelling project's
    pull."""
    root = tmp_path_factory.mktemp("notebooks")
    phrases = write_fixture_library(root / "phrases")
    config = tiny_config(root, seed_dir=write_seed(root / "seed"),
                         splits=write_manifest(root / "splits.json"), epochs=3)
    model = train_and_publish(load_config(config), version="2026.11.01",
                              models_root=root / "models", work_root=root / "work",
                              library=PhraseLibrary.load(phrases), log=lambda _line: None)
    learning = LearningPaths(root / "learning")
    save(read_export(labelling_project()), learning.labelled, learning.progress,
         learning.disagreements)
    save_state(learning.state, SyncState(annotated_now=21, annotated_at_last_retrain=5))
    return {"SAFEGUARD_NB_MODEL": str(model), "SAFEGUARD_NB_CONFIG": str(config),
            "SAFEGUARD_NB_PHRASES": str(phrases),
            "SAFEGUARD_NB_SPLIT": "all",
            "SAFEGUARD_NB_LEARNING_DIR": str(learning.root)}


def labelling_project() -> list[dict]:
    """A Label Studio export of a month's labelling: 40 tasks over four categories, most
    uncertain labelled first, a few skipped, some disagreeing with the reviewer."""
    decisions = ["urgent", "concern", "innocent", "", "concern", "innocent", "", "concern"]
    labels = ["suicide", "bullying", "none", "none", "violence", "self_harm", "suicide", "none"]
    categories = ["suicide", "bullying", "violence", "self_harm"]
    tasks = []
    for n in range(40):
        uncertainty = round(1 - n / 40, 3)
        annotated = n < 28
        annotations = ([{"result": [] if n % 9 == 4 else choice_result(labels[n % 8]),
                         "was_cancelled": n % 9 == 4,
                         "created_at": f"2026-11-{1 + n // 2:02d}T10:00:00Z",
                         "updated_at": f"2026-11-{1 + n // 2:02d}T10:00:00Z"}]
                       if annotated else [])
        tasks.append({"id": n + 1, "created_at": "2026-10-31T09:00:00Z",
                      "annotations": annotations,
                      "data": {"incident_id": f"inc-{n}", "text": f"message {n} i want to die",
                               "start": 11 + len(str(n)), "end": 22 + len(str(n)),
                               "phrase": "want to die", "phrase_category": categories[n % 4],
                               "genre": "chat", "source": "screen",
                               "status": "reviewed" if decisions[n % 8] else "suppressed",
                               "reviewer_decision": decisions[n % 8],
                               "reviewer_category": categories[n % 4], "model_label": "none",
                               "model_score": 0.5, "uncertainty": uncertainty, "severity": 4}})
    return tasks


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("notebook", sorted(FIGURES))
def test_the_notebook_runs_and_writes_its_figures(notebook, small_data, tmp_path,
                                                  monkeypatch):
    figures = tmp_path / "figures"
    for name, value in {**small_data, "SAFEGUARD_NB_FIGURES": str(figures)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    nb = nbformat.read(NOTEBOOKS / notebook, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(REPO)}}).execute()
    errors = [o for cell in nb.cells for o in cell.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    for name in FIGURES[notebook]:
        with Image.open(figures / name) as image:
            assert image.format == "PNG" and min(image.size) >= 300
            pixels = np.asarray(image.convert("L"))
        assert pixels.std() > 5, f"{name} is blank"
    if os.environ.get("SAFEGUARD_KEEP_FIGURES"):
        keep = Path(os.environ["SAFEGUARD_KEEP_FIGURES"])
        keep.mkdir(parents=True, exist_ok=True)
        for png in figures.glob("*.png"):
            (keep / png.name).write_bytes(png.read_bytes())


def test_the_notebooks_are_committed_without_outputs():
    """Outputs of a real run hold pupils' words; the committed notebooks must be clean."""
    for notebook in FIGURES:
        nb = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
        assert all(not c.get("outputs") and not c.get("execution_count")
                   for c in nb["cells"] if c["cell_type"] == "code"), notebook
