"""ONNX export: the runtime must compute what torch computed, at any batch and length."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from classifier.judge import ContextInput
from classifier.model_input import HitEncoder
from training.export import export_onnx, ffn_output_matmuls, prepare_for_quantisation, quantise
from training.model import TINY, base_tokenizer, tiny_model

HITS = [
    ContextInput("this homework is killing me", 17, 24, "violence"),
    ContextInput("nobody would miss me if i was gone, i keep thinking it every night "
                 "and i cannot sleep, i have written letters to everyone", 0, 18, "suicide"),
    ContextInput("lol", 0, 3, "bullying"),
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    tokenizer = base_tokenizer(TINY, 48)
    model = tiny_model(tokenizer, seed=3)
    encoder = HitEncoder.for_tokenizer(tokenizer)
    plain = export_onnx(model, encoder, root / "model.onnx")
    prepared = prepare_for_quantisation(plain, root / "model.pre.onnx")
    int8 = quantise(prepared, root / "model.int8.onnx")
    return model, encoder, {"plain": plain, "prepared": prepared, "int8": int8}


def onnx_logits(path, arrays):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: arrays[i.name] for i in session.get_inputs()})[0]


def torch_logits(model, arrays):
    with torch.inference_mode():
        return model(**{k: torch.from_numpy(v) for k, v in arrays.items()}).logits.numpy()


@pytest.mark.parametrize("graph", ["plain", "prepared"])
@pytest.mark.parametrize("batch", [HITS[:1], HITS, HITS[2:] * 5])
def test_fp32_onnx_logits_match_torch_at_any_batch_and_length(exported, graph, batch):
    model, encoder, paths = exported
    arrays = encoder.encode(batch)
    np.testing.assert_allclose(onnx_logits(paths[graph], arrays), torch_logits(model, arrays),
                               atol=1e-4, rtol=1e-4)


def test_padding_does_not_change_a_hits_logits(exported):
    # Padded to the batch's longest, a short hit must score as it does alone.
    _, encoder, paths = exported
    alone = onnx_logits(paths["plain"], encoder.encode(HITS[2:]))
    padded = onnx_logits(paths["plain"], encoder.encode(HITS))[2:]
    np.testing.assert_allclose(alone, padded, atol=1e-4)


def test_int8_is_a_quarter_of_the_size_and_stays_close(exported):
    _, encoder, paths = exported
    assert paths["int8"].stat().st_size < paths["plain"].stat().st_size / 2
    arrays = encoder.encode(HITS)
    np.testing.assert_allclose(onnx_logits(paths["int8"], arrays),
                               onnx_logits(paths["plain"], arrays), atol=0.05)


def test_the_lowest_ffn_output_projections_can_stay_fp32(exported, tmp_path):
    _, encoder, paths = exported
    assert len(ffn_output_matmuls(paths["prepared"], 2)) == 2
    partly = quantise(paths["prepared"], tmp_path / "partly.onnx", fp32_ffn_layers=1)
    kept = ffn_output_matmuls(partly, 2)  # still plain fp32 MatMul nodes
    assert kept == ffn_output_matmuls(paths["prepared"], 1)
    assert paths["int8"].stat().st_size < partly.stat().st_size < paths["plain"].stat().st_size
    arrays = encoder.encode(HITS)
    np.testing.assert_allclose(onnx_logits(partly, arrays), onnx_logits(paths["plain"], arrays),
                               atol=0.05)
