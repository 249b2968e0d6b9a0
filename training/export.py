"""ONNX export and int8 dynamic quantisation.

The legacy exporter (`dynamo=False`, opset 17) with dynamic batch and sequence axes: inputs
are padded per batch at run time, so no length may be baked into the graph.

onnxruntime's BERT fusion (`optimize_model`) is not used: measured here (2 threads, sequence
64, batch 8) the fused graph ran slower than the plain one, in fp32 (119 vs 138 contexts/s)
and in int8 (244 vs 334), where quantised fused attention loses to plain integer matmuls.
The plain graph is pre-processed (`quant_pre_process`: constant folding and onnxruntime's
basic graph optimisation) and then quantised.
"""
from __future__ import annotations

from pathlib import Path

import onnx
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.quantization.shape_inference import quant_pre_process
from transformers import PreTrainedModel

from classifier.judge import ContextInput
from classifier.model_input import INPUT_NAMES, HitEncoder

OUTPUT_NAME = "logits"


class _LogitsOnly(torch.nn.Module):
    """Export a plain tensor output, not transformers' output dataclass."""

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).logits


def export_onnx(model: PreTrainedModel, encoder: HitEncoder, target: Path,
                opset: int = 17) -> Path:
    """fp32 ONNX graph of `model`, inputs named as `classifier.model_input.INPUT_NAMES`."""
    sample = encoder.encode([ContextInput("this homework is killing me honestly", 17, 24, "x"),
                             ContextInput("nobody would miss me", 0, 6, "x")])
    # The sample must contain padding: transformers skips building the attention mask for a
    # batch without any, and the tracer would record that skip as the whole graph.
    assert not sample["attention_mask"].all(), "the export sample needs a padded row"
    args = tuple(torch.from_numpy(sample[name]) for name in INPUT_NAMES)
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    axes[OUTPUT_NAME] = {0: "batch"}
    target.parent.mkdir(parents=True, exist_ok=True)
    wrapper = _LogitsOnly(model).eval()  # the exporter restores the wrapper's mode after
    with torch.inference_mode():
        torch.onnx.export(wrapper, args, str(target), input_names=list(INPUT_NAMES),
                          output_names=[OUTPUT_NAME], dynamic_axes=axes, opset_version=opset,
                          do_constant_folding=True, dynamo=False)
    onnx.checker.check_model(str(target))
    return target


def prepare_for_quantisation(source: Path, target: Path) -> Path:
    """onnxruntime's recommended pre-processing (the symbolic shape pass is skipped: the
    legacy export's mask arithmetic defeats it, and dynamic quantisation does not need it)."""
    quant_pre_process(str(source), str(target), skip_symbolic_shape=True)
    return target


def ffn_output_matmuls(path: Path, layers: int) -> list[str]:
    """The feed-forward output projections of the lowest `layers` layers: they read the
    widest activations (GELU outputs with outliers), which dynamic int8 rounds worst."""
    wanted = {f"/layer.{n}/output/dense/MatMul" for n in range(layers)}
    return [node.name for node in onnx.load(str(path), load_external_data=False).graph.node
            if node.op_type == "MatMul" and any(node.name.endswith(w) for w in wanted)]


def quantise(source: Path, target: Path, per_channel: bool = True,
             fp32_ffn_layers: int = 0) -> Path:
    """int8 weights, activations quantised on the fly (dynamic): no calibration data. The
    FFN output projections of the lowest `fp32_ffn_layers` layers stay fp32."""
    target.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(source), str(target), per_channel=per_channel,
                     weight_type=QuantType.QInt8,
                     nodes_to_exclude=ffn_output_matmuls(source, fp32_ffn_layers))
    return target
