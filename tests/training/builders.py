"""Tiny models and corpora for tests: a randomly initialised two-layer BERT with the real
vocabulary (built in well under a second, nothing downloaded) and a seed corpus small
enough to read, written in the seed files' own format."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from classifier.model_input import HitEncoder
from classifier.onnx_model import DecisionRule
from classifier.taxonomy import CATEGORY_IDS, MODEL_LABELS
from tests.classifier.conftest import write_library
from training.config import load_config
from training.export import export_onnx
from training.model import TINY, base_tokenizer, tiny_model
from training.publish import write_model_folder

# Phrases the fixture corpus needs, in the library's CSV shape (phrase, severity, match).
LIBRARY = {
    "suicide": [("kill myself", 5, "word"), ("want to die", 5, "word"),
                ("suicid", 4, "prefix"), ("better off without me", 5, "word")],
    "self_harm": [("self harm", 4, "word"), ("cutting myself", 4, "word")],
    "violence": [("kill", 2, "word"), ("knife", 3, "word"), ("stab", 4, "word")],
    "bullying": [("everyone hates you", 4, "word"), ("loser", 2, "word")],
}

# (family, label, source, phrase, text): concerns and hard negatives per category.
ROWS = [
    ("suicide-01", "suicide", "chat", "kill myself", "i just want to kill myself tonight, nobody would even notice"),
    ("suicide-01", "suicide", "chat", "want to die", "i want to die, i have been thinking about it all week"),
    ("suicide-02", "suicide", "chat", "better off without me", "everyone would be better off without me honestly"),
    ("suicide-02", "suicide", "search", "better off without me", "would my family be better off without me"),
    ("suicide-03", "none", "chat", "kill myself", "lol if i fail this maths test i'll kill myself haha jk"),
    ("suicide-03", "none", "chat", "want to die", "this homework is so long i want to die lol"),
    ("suicide-04", "none", "document", "suicid", "The essay looks at suicide prevention charities and how the Samaritans help."),
    ("suicide-04", "none", "web", "suicid", "Suicide prevention week: talk to someone you trust, or call a helpline."),
    ("harm-01", "self_harm", "chat", "cutting myself", "i started cutting myself again and i hide it under my sleeves in PE"),
    ("harm-01", "self_harm", "chat", "self harm", "i self harm when it gets too much and nobody knows"),
    ("harm-02", "none", "document", "self harm", "Our PSHE lesson covered how to support a friend who talks about self harm."),
    ("harm-02", "none", "web", "self harm", "NHS guide: how parents can talk to teenagers about self harm."),
    ("violence-01", "violence", "chat", "knife", "bringing a knife tomorrow to sort him out after school"),
    ("violence-01", "violence", "chat", "stab", "if he says one more word i will stab him at the bus stop"),
    ("violence-02", "none", "web", "knife", "Chop the onion with a sharp knife and fry it until soft."),
    ("violence-02", "none", "chat", "kill", "this boss fight is going to kill me, third try tonight"),
    ("bully-01", "bullying", "chat", "everyone hates you", "everyone hates you just leave the group chat already"),
    ("bully-01", "bullying", "chat", "loser", "look at the loser sitting on his own again, take a pic"),
    ("bully-02", "none", "document", "loser", "In the story the loser of the race shakes hands with the winner."),
    ("bully-02", "none", "chat", "loser", "we lost 3-0, the loser buys the chips, those were the rules"),
]
SPLIT_OF = {"suicide-01": "train", "suicide-02": "dev", "suicide-03": "train",
            "suicide-04": "test", "harm-01": "train", "harm-02": "dev",
            "violence-01": "test", "violence-02": "train", "bully-01": "dev",
            "bully-02": "test"}


def seed_line(family: str, label: str, source: str, phrase: str, text: str) -> str:
    return json.dumps({"family": family, "label": label, "source": source, "phrase": phrase,
                       "text": text}) + "\n"


def write_seed(directory: Path, rows: Iterable[tuple] = ROWS,
               extra: Mapping[str, str] | None = None) -> Path:
    """One `<category>.jsonl` per category, each row in the file of its phrase's category."""
    directory.mkdir(parents=True, exist_ok=True)
    category_of = {p: cat for cat, phrases in LIBRARY.items() for p, _, _ in phrases}
    files: dict[str, str] = {}
    for row in rows:
        cat = category_of[row[3]]
        files[cat] = files.get(cat, "") + seed_line(*row)
    for name, text in (extra or {}).items():
        files[name] = files.get(name, "") + text
    for cat, text in files.items():
        (directory / f"{cat}.jsonl").write_text(text, encoding="utf-8")
    return directory


def write_manifest(path: Path, splits: dict[str, str] = SPLIT_OF) -> Path:
    path.write_text(json.dumps({"format": 1, "families": splits}), encoding="utf-8")
    return path


def write_fixture_library(directory: Path) -> Path:
    return write_library(directory, LIBRARY, version="fixture.1")


def tiny_config(root: Path, *, seed_dir: Path, splits: Path, epochs: int = 2,
                augment: float = 0.0, seed: int = 7) -> Path:
    """The shipped config file with a tiny model and the fixture corpus swapped in."""
    text = load_config().source.read_text(encoding="utf-8")
    replacements = {
        'seed_dir = "training/data/seed"': f'seed_dir = "{seed_dir}"',
        'splits = "training/data/splits.json"': f'splits = "{splits}"',
        "augment_fraction = 0.10": f"augment_fraction = {augment}",
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    lines = []
    for line in text.splitlines():
        key = line.split("=")[0].strip()
        value = {"base": f'"{TINY}"', "epochs": str(epochs), "seed": str(seed),
                 "batch_size": "4", "learning_rate": "1e-3", "max_length": "48"}.get(key)
        lines.append(f"{key} = {value}" if value is not None else line)
    path = root / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def tiny_model_folder(directory: Path, *, seed: int = 0, threshold: float = 0.5,
                      max_length: int = 48):
    """A published-format model folder around an untrained tiny BERT; returns
    (torch model, encoder, folder)."""
    tokenizer = base_tokenizer(TINY, max_length)
    model = tiny_model(tokenizer, seed)
    encoder = HitEncoder.for_tokenizer(tokenizer)
    onnx_file = export_onnx(model, encoder, directory.parent / f"{directory.name}.onnx")
    rule = DecisionRule({c: threshold for c in CATEGORY_IDS})
    write_model_folder(directory, onnx_file, tokenizer.to_str(), rule.to_dict(),
                       {"precision": "fp32"})
    assert len(MODEL_LABELS) == model.config.num_labels
    return model, encoder, directory
