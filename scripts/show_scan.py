"""Print `safeguard-scan` output as a readable table next to the text it judged."""
from __future__ import annotations

import json
import sys

texts = {}
with open(sys.argv[1], encoding="utf-8") as handle:
    for line in handle:
        if line.strip():
            record = json.loads(line)
            texts[record["id"]] = record["text"]
alerts = 0
for line in sys.stdin:
    result = json.loads(line)
    text = texts.get(result["id"], "")
    if result["alert"]:
        alerts += 1
        mark = f"ALERT {result['category']} (severity {result['severity']}, score {result['score']:.2f})"
    elif result["hits"]:
        mark = "suppressed: innocent use of " + ", ".join(h["phrase"] for h in result["hits"])
    else:
        mark = "no phrase"
    print(f"[{result['id']}] {mark}\n      {text[:110]}")
print(f"\n{alerts} alert(s) of {len(texts)} lines "
      f"(model {result.get('model_version', '?')}, library {result.get('library_version', '?')})")
