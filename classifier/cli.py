"""`safeguard-scan`: scan JSON lines `{"id", "text"}` and print one verdict line per input.

Streams in batches, so memory stays flat on a file of any size. A bad line stops the scan
with a message naming the file and line (after writing every result before it), unless
`--skip-bad` is given, which warns and goes on.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import BinaryIO, Iterator, TextIO

from classifier.judge import load_judge
from classifier.phrases import PhraseLibrary, PhraseLibraryError
from classifier.scan import Scanner

EXIT_BAD_INPUT = 2


class BadLine(ValueError):
    pass


def _records(stream: BinaryIO, name: str) -> Iterator[tuple[int, object, str] | BadLine]:
    for number, raw in enumerate(stream, 1):
        where = f"{name}:{number}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield BadLine(f"{where}: not UTF-8 text (byte {exc.start})")
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadLine(f"{where}: not JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(record, dict):
            yield BadLine(f"{where}: expected a JSON object with \"text\"")
        elif not isinstance(record.get("text"), str):
            yield BadLine(f"{where}: missing \"text\" (a string)")
        else:
            yield number, record.get("id"), record["text"]


def scan_stream(scanner: Scanner, stream: BinaryIO, name: str, out: TextIO, *,
                skip_bad: bool, batch_size: int, model_version: str) -> int:
    """Scan and print; returns the number of bad lines skipped. Raises BadLine otherwise."""
    batch: list[tuple[object, str]] = []
    skipped = 0

    def flush() -> None:
        results = scanner.scan_many([text for _, text in batch])
        for (record_id, _), result in zip(batch, results):
            out.write(json.dumps(result.to_dict(
                record_id, library_version=scanner.library.version,
                model_version=model_version), ensure_ascii=False) + "\n")
        batch.clear()

    for item in _records(stream, name):
        if isinstance(item, BadLine):
            if not skip_bad:
                flush()
                out.flush()
                raise item
            print(f"safeguard-scan: warning: {item} (skipped)", file=sys.stderr)
            skipped += 1
            continue
        batch.append((item[1], item[2]))
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    out.flush()
    return skipped


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safeguard-scan",
        description="Scan JSON lines {\"id\", \"text\"} for safeguarding risks.")
    parser.add_argument("input", metavar="FILE|-", help="JSON lines file, or - for stdin")
    parser.add_argument("--keywords-only", action="store_true",
                        help="skip the context model: every phrase hit alerts")
    parser.add_argument("--model", metavar="DIR", help="context model version folder "
                        "(default: the newest in models/context/)")
    parser.add_argument("--overlay", metavar="FILE", help="a school's phrase overlay (YAML)")
    parser.add_argument("--skip-bad", action="store_true",
                        help="warn about bad lines and scan the rest instead of stopping")
    parser.add_argument("--batch-size", type=int, default=64, help="texts per model batch")
    parser.add_argument("--threads", type=int, default=None, help="model threads")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.batch_size < 1:
        print("safeguard-scan: --batch-size must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        library = PhraseLibrary.load(overlay=args.overlay)
        judge = load_judge(args.model, keywords_only=args.keywords_only, threads=args.threads)
    except (PhraseLibraryError, OSError, ValueError) as exc:
        print(f"safeguard-scan: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    scanner = Scanner(library, judge)
    try:
        if args.input == "-":
            skipped = scan_stream(scanner, sys.stdin.buffer, "<stdin>", sys.stdout,
                                  skip_bad=args.skip_bad, batch_size=args.batch_size,
                                  model_version=judge.version)
        else:
            path = Path(args.input)
            try:
                handle = path.open("rb")
            except OSError as exc:
                print(f"safeguard-scan: cannot open {path}: {exc.strerror}", file=sys.stderr)
                return EXIT_BAD_INPUT
            with handle:
                skipped = scan_stream(scanner, handle, str(path), sys.stdout,
                                      skip_bad=args.skip_bad, batch_size=args.batch_size,
                                      model_version=judge.version)
    except BadLine as exc:
        print(f"safeguard-scan: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0
    if skipped:
        print(f"safeguard-scan: {skipped} bad line(s) skipped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
