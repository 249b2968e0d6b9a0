"""`safeguard-scan` as DESIGN.md's contract says, including every bad-input case."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from classifier.cli import main

CONTRACT_KEYS = {"id", "alert", "category", "severity", "score", "scores", "hits"}
HIT_KEYS = {"phrase", "category", "severity", "start", "end"}


def run_cli(args, stdin: bytes | None = None):
    proc = subprocess.run([sys.executable, "-m", "classifier.cli", *args], input=stdin,
                          capture_output=True, timeout=120)
    lines = [json.loads(l) for l in proc.stdout.decode().splitlines() if l.strip()]
    return proc.returncode, lines, proc.stderr.decode()


def jsonl(*records) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def test_keywords_only_output_follows_the_contract(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(jsonl({"id": 1, "text": "i want to kill myself tonight"},
                          {"id": "b", "text": "see you at football"}))
    code, out, _ = run_cli(["--keywords-only", str(src)])
    assert code == 0 and [o["id"] for o in out] == [1, "b"]
    first, second = out
    assert CONTRACT_KEYS <= set(first) and first["alert"] is True
    assert first["category"] == "suicide" and first["severity"] == 5
    assert all(HIT_KEYS <= set(h) for h in first["hits"])
    text = "i want to kill myself tonight"
    assert any(text[h["start"]:h["end"]] == "kill myself" for h in first["hits"])
    assert second["alert"] is False and second["hits"] == [] and second["category"] is None


def test_reads_stdin(tmp_path):
    code, out, _ = run_cli(["--keywords-only", "-"], jsonl({"id": 7, "text": "kms"}))
    assert code == 0 and out[0]["alert"] and out[0]["hits"][0]["phrase"] == "kms"


@pytest.mark.parametrize("content,message", [
    (b'{"id": 1, "text": "fine"}\nnot json at all\n', "in.jsonl:2: not JSON"),
    (b'{"id": 1, "text": "fine"}\n{"id": 2}\n', "in.jsonl:2: missing \"text\""),
    (b'{"id": 1, "text": "fine"}\n[1, 2]\n', "in.jsonl:2: expected a JSON object"),
    (b'{"id": 1, "text": "fine"}\n{"id": 2, "text": "caf\xe9"}\n', "in.jsonl:2: not UTF-8"),
])
def test_bad_line_stops_with_file_and_line_after_writing_earlier_results(tmp_path, content,
                                                                          message):
    src = tmp_path / "in.jsonl"
    src.write_bytes(content)
    code, out, err = run_cli(["--keywords-only", str(src)])
    assert code == 2 and message in err
    assert [o["id"] for o in out] == [1]


def test_skip_bad_warns_per_line_and_scans_the_rest(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": 1, "text": "knife"}\n{oops\n\xff\xfe\n{"id": 4, "text": "kms"}\n')
    code, out, err = run_cli(["--keywords-only", "--skip-bad", str(src)])
    assert code == 0 and [o["id"] for o in out] == [1, 4]
    assert "in.jsonl:2" in err and "in.jsonl:3" in err and "2 bad line(s) skipped" in err


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["--keywords-only", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot open" in capsys.readouterr().err


def test_bad_overlay_is_a_clear_error(tmp_path, capsys):
    overlay = tmp_path / "o.yaml"
    overlay.write_text("exclude:\n  - phrase: plug\n")
    assert main(["--keywords-only", "--overlay", str(overlay), str(overlay)]) == 2
    assert "must give a reason" in capsys.readouterr().err


def test_streams_in_constant_memory(tmp_path):
    """A 60 MB input is scanned with a peak memory far below its size."""
    src = tmp_path / "big.jsonl"
    line = json.dumps({"id": 0, "text": "nothing to see here, just homework " * 8}) + "\n"
    with src.open("w") as fh:
        for _ in range(60_000_000 // len(line)):
            fh.write(line)
    code = subprocess.run(
        [sys.executable, "-c",
         "import sys, runpy; sys.argv=['safeguard-scan','--keywords-only',sys.argv[1]];"
         "sys.stdout=open('/dev/null','w')\n"
         "try: runpy.run_module('classifier.cli', run_name='__main__')\n"
         "except SystemExit: pass\n"
         # VmHWM, unlike ru_maxrss, starts afresh at exec: it is this process's own peak.
         "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0],"
         " file=sys.stderr)",
         str(src)], capture_output=True, timeout=300)
    peak_kb = int(code.stderr.decode().strip().splitlines()[-1])
    assert peak_kb < 250_000, peak_kb
