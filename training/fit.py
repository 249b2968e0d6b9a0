"""Fine-tuning: a plain, seeded torch loop over hits batched by length.

A hand-run loop rather than `transformers.Trainer`: the few things this job needs (class
weights, length-grouped batches padded per batch by the same encoder the runtime uses, a
fixed thread count, bit-for-bit reruns) are each a line here and a subclass there.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from transformers import PreTrainedModel, get_linear_schedule_with_warmup

from classifier.model_input import HitEncoder
from classifier.taxonomy import MODEL_LABELS, NONE
from training.config import FitConfig
from training.dataset import Example
from training.model import torch_probabilities

Log = Callable[[str], None]


@dataclass
class FitReport:
    seconds: float
    epochs: list[dict] = field(default_factory=list)


def seed_everything(seed: int, threads: int) -> None:
    """Same seed, same thread count, same machine: the same weights."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)


def label_ids(examples: Sequence[Example]) -> np.ndarray:
    index = {label: n for n, label in enumerate(MODEL_LABELS)}
    return np.array([index[e.label] for e in examples], dtype=np.int64)


def class_weights(labels: np.ndarray, mode: str) -> torch.Tensor:
    """Loss weight per label, mean 1 over the labels present. `sqrt_inverse` lifts the rare
    categories without letting a dozen rows dominate the loss."""
    counts = np.bincount(labels, minlength=len(MODEL_LABELS)).astype(np.float64)
    if mode == "none":
        weights = np.ones_like(counts)
    else:
        inverse = np.where(counts > 0, counts.sum() / np.maximum(counts, 1), 0.0)
        weights = np.sqrt(inverse) if mode == "sqrt_inverse" else inverse
    present = counts > 0
    weights[present] /= weights[present].mean()
    return torch.tensor(weights, dtype=torch.float32)


def length_grouped_batches(lengths: Sequence[int], batch_size: int,
                           rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar lengths, so per-batch padding stays small: shuffle, sort
    within chunks of 16 batches, cut, shuffle the batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = batch_size * 16
    batches: list[list[int]] = []
    for first in range(0, len(order), chunk):
        group = sorted(order[first:first + chunk], key=lambda i: lengths[i])
        batches.extend(group[i:i + batch_size] for i in range(0, len(group), batch_size))
    rng.shuffle(batches)
    return batches


def fit(model: PreTrainedModel, encoder: HitEncoder, train: Sequence[Example],
        dev: Sequence[Example], config: FitConfig, log: Log = print) -> FitReport:
    """Fine-tune `model` in place on `train`; `dev` is only watched (loss, accuracy, recall)."""
    seed_everything(config.seed, config.threads)
    started = time.perf_counter()
    items = [e.as_input() for e in train]
    labels = label_ids(train)
    rows = encoder.token_rows(items)
    lengths = [len(r) for r in rows]
    rng = random.Random(config.seed)
    steps = config.epochs * -(-len(items) // config.batch_size)
    model.get_input_embeddings().weight.requires_grad_(not config.freeze_word_embeddings)
    for layer in model.base_model.encoder.layer[:config.freeze_layers]:
        layer.requires_grad_(False)
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in trained if not n.endswith(no_decay)],
         "weight_decay": config.weight_decay},
        {"params": [p for n, p in trained if n.endswith(no_decay)], "weight_decay": 0.0}]
    optimiser = torch.optim.AdamW(groups, lr=config.learning_rate)
    schedule = get_linear_schedule_with_warmup(optimiser, int(config.warmup_ratio * steps), steps)
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weights(labels, config.class_weighting),
                                        label_smoothing=config.label_smoothing)
    report = FitReport(0.0)
    step = 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        total = 0.0
        for batch in length_grouped_batches(lengths, config.batch_size, rng):
            arrays = encoder.pad([rows[i] for i in batch])
            logits = model(**{k: torch.from_numpy(v) for k, v in arrays.items()}).logits
            loss = loss_fn(logits, torch.from_numpy(labels[batch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for _, p in trained], 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad(set_to_none=True)
            total += loss.item() * len(batch)
            step += 1
            if step % 25 == 0:
                log(f"  epoch {epoch} step {step}/{steps} loss {loss.item():.4f} "
                    f"({time.perf_counter() - started:.0f}s)")
        summary = {"epoch": epoch, "train_loss": total / max(len(items), 1),
                   **watch(model, encoder, dev), "seconds": time.perf_counter() - started}
        report.epochs.append(summary)
        log("epoch {epoch}: train loss {train_loss:.4f}, dev accuracy {dev_accuracy:.3f}, "
            "dev concern recall at argmax {dev_concern_recall:.3f} ({seconds:.0f}s)"
            .format(**summary))
    model.eval()
    report.seconds = time.perf_counter() - started
    return report


def watch(model: PreTrainedModel, encoder: HitEncoder, dev: Sequence[Example]) -> dict:
    """Dev figures to watch while training (thresholds are tuned later, on the export)."""
    if not dev:
        return {"dev_accuracy": float("nan"), "dev_concern_recall": float("nan")}
    predicted = torch_probabilities(model, encoder, [e.as_input() for e in dev]).argmax(axis=1)
    truth = label_ids(dev)
    none = MODEL_LABELS.index(NONE)
    concerns = truth != none
    return {"dev_accuracy": float((predicted == truth).mean()),
            "dev_concern_recall": float((predicted[concerns] != none).mean())
            if concerns.any() else float("nan")}
