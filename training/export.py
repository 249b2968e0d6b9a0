"""ONNX export, onnxruntime's BERT fusion, and int8 dynamic quantisation.

The legacy exporter (`dynamo=False`, opset 17) with dynamic batch and sequence axes: inputs
are padded per batch at run time, so no length may be baked into the graph. Fusion folds
attention, layer norms and GELU into onnxruntime's fused kernels; quantising that fused graph
needs `DefaultTensorType` because some fused outputs carry no type information.
"""
from __future__ import annotations

from pathlib import Path

import onnx
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.transformers.optimizer import optimize_model
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


def fuse(source: Path, target: Path, model: PreTrainedModel) -> Path:
    """onnxruntime's transformer fusion (attention, skip layer norm, bias GELU) for BERT."""
    optimised = optimize_model(str(source), model_type="bert",
                               num_heads=model.config.num_attention_heads,
                               hidden_size=model.config.hidden_size, opt_level=1)
    target.parent.mkdir(parents=True, exist_ok=True)
    optimised.save_model_to_file(str(target))
    return target


def fused_operators(path: Path) -> dict[str, int]:
    """How many fused kernels a graph holds (for the card: did fusion find anything?)."""
    counts: dict[str, int] = {}
    for node in onnx.load(str(path), load_external_data=False).graph.node:
        if node.domain == "com.microsoft":
            counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


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
                     nodes_to_exclude=ffn_output_matmuls(source, fp32_ffn_layers),
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return target
