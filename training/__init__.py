"""Training the context model: seed corpus -> dataset -> fine-tuning -> ONNX -> a published,
checksummed `models/context/<version>/`. Needs the `train` extra (torch, transformers); the
runtime never imports this package.

- `training.dataset`: hits found with the real matcher and cut with the real context window
- `training.splits`: the frozen train/dev/test split by template family
- `training.fit`, `training.export`, `training.thresholds`: fine-tune, export, tune on dev
- `training.publish`: `safeguard-train fit` end to end; `training.metrics`: the figures
- `training.cli`: the `safeguard-train` command
"""
