#!/usr/bin/env bash
# `make run`: scan the demo school day with the phrase library and the context model, and
# print each line's verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
echo "== Safeguard Monitor: scanning demo/school_day.jsonl =="
.venv/bin/safeguard-scan demo/school_day.jsonl | $PY scripts/show_scan.py demo/school_day.jsonl
