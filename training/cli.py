"""`safeguard-train`: the data team's command line for the context model.

    safeguard-train dataset  [--config FILE] [--freeze]   counts, hard negatives, dropped rows
    safeguard-train fit      [--config FILE] [--version V] train, export, publish a version
    safeguard-train publish  --work var/training/V          publish a trained work folder again
    safeguard-train evaluate [--model DIR] [--keywords-only] [--split test]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from classifier.judge import KeywordJudge, load_judge
from classifier.onnx_model import ModelArtefactError
from classifier.phrases import PhraseLibrary, PhraseLibraryError
from training.config import ConfigError, load_config
from training.dataset import SeedError, report
from training.splits import SPLITS, SplitManifestError

FAILURES = (ConfigError, SeedError, SplitManifestError, ModelArtefactError, PhraseLibraryError)


def _log(message: str) -> None:
    print(message, flush=True)


def cmd_dataset(args: argparse.Namespace) -> int:
    from training.publish import load_dataset

    dataset = load_dataset(load_config(args.config), freeze=args.freeze)
    for line in report(dataset):
        print(line)
    return 0


def cmd_fit(args: argparse.Namespace) -> int:
    from training.model import BaseModelError
    from training.publish import PublishError, train_and_publish

    started = time.perf_counter()
    try:
        target = train_and_publish(load_config(args.config), version=args.version, log=_log)
    except (BaseModelError, PublishError) as exc:
        raise ConfigError(str(exc)) from None
    _log(f"done in {(time.perf_counter() - started) / 60:.1f} minutes: {target}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from training.publish import PublishError, publish

    if not (args.work / "fit.json").is_file():
        raise ConfigError(f"{args.work}: not a training work folder (no fit.json)")
    try:
        target = publish(load_config(args.config), args.work, version=args.version, log=_log)
    except PublishError as exc:
        raise ConfigError(str(exc)) from None
    return 0 if target.is_dir() else 1


def cmd_evaluate(args: argparse.Namespace) -> int:
    from training.metrics import format_report, scan_verdicts, score_verdicts
    from training.publish import load_dataset

    config = load_config(args.config)
    library = PhraseLibrary.load()
    rows = load_dataset(config, library).rows(args.split)
    if not rows:
        raise SeedError(f"the {args.split} split is empty")
    judge = load_judge(args.model, keywords_only=args.keywords_only, threads=args.threads)
    figures = score_verdicts(rows, scan_verdicts(rows, library, judge))
    keywords = score_verdicts(rows, scan_verdicts(rows, library, KeywordJudge()))
    if args.json:
        print(json.dumps({"model_version": judge.version, "split": args.split,
                          "model": figures, "keywords_only": keywords}, indent=1))
        return 0
    for line in format_report(figures, keywords,
                              f"{args.split} split, scanned with judge {judge.version} "
                              f"(library {library.version}):"):
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="safeguard-train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    dataset = sub.add_parser("dataset", help="build the dataset and report its counts")
    dataset.add_argument("--freeze", action="store_true",
                         help="record new families' splits in the committed manifest")
    fit = sub.add_parser("fit", help="fine-tune, export, quantise and publish a model")
    fit.add_argument("--version", help="version name (default: today's date)")
    again = sub.add_parser("publish", help="tune, score and publish a trained work folder "
                                           "(after a failed or changed publish step)")
    again.add_argument("--work", type=Path, required=True, help="var/training/<version>")
    again.add_argument("--version", help="version name (default: the work folder's name)")
    evaluate = sub.add_parser("evaluate", help="score a model on a split (default: test)")
    evaluate.add_argument("--model", type=Path, help="model folder (default: newest shipped)")
    evaluate.add_argument("--keywords-only", action="store_true",
                          help="score the keyword baseline instead of a model")
    evaluate.add_argument("--split", choices=SPLITS, default="test")
    evaluate.add_argument("--threads", type=int, default=None)
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    for command in (dataset, fit, again, evaluate):
        command.add_argument("--config", type=Path, default=None,
                             help="training config (default: training/config.toml)")
    from training.labelstudio.cli import add_subcommands as add_labelstudio
    from training.loop import add_subcommands as add_retrain
    add_labelstudio(sub)  # safeguard-train labelstudio push|pull|sync|config
    add_retrain(sub)      # safeguard-train retrain
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = getattr(args, "handler", None) or {
        "dataset": cmd_dataset, "fit": cmd_fit, "publish": cmd_publish,
        "evaluate": cmd_evaluate}[args.command]
    try:
        return handler(args)
    except FAILURES as exc:
        print(f"safeguard-train: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
