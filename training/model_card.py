"""MODEL_CARD.md: what a safeguarding lead or an auditor reads before trusting a version."""
from __future__ import annotations

from typing import Any

from classifier.onnx_model import DECISION_RULE
from classifier.taxonomy import CATEGORY_IDS, MODEL_LABELS
from training.metrics import false_alert_cut


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def render(metrics: dict[str, Any]) -> str:
    test, keywords = metrics["test"]["model"], metrics["test"]["keywords_only"]
    export, data, fit = metrics["export"], metrics["data"], metrics["fit"]
    thresholds = metrics["thresholds"]
    lines = [
        f"# Context model {metrics['version']}",
        "",
        "Reads the words around a phrase hit and decides: a genuine safeguarding concern (and "
        "which category) or innocent use of the trigger words. It is stage 2 of Safeguard "
        "Monitor; stage 1 (the phrase library) decides what it is shown.",
        "",
        "## Intended use",
        "",
        "- Ranking and suppressing phrase hits from school devices before a designated "
        "safeguarding lead reviews them. Suppressed hits are kept and searchable; nothing is "
        "deleted on the model's word.",
        "- Not a diagnosis, not a judgement of a child, and not for use without human review. "
        "It never sees images, only text around a hit.",
        "",
        "## Model",
        "",
        f"- Base: {metrics['base_model']}, fine-tuned as a sequence classifier over "
        f"{len(MODEL_LABELS)} labels ({', '.join(MODEL_LABELS)}).",
        "- Input: the hit's context window (as `classifier.context.context_window` cuts it) "
        "with the phrase wrapped in `[HIT]` ... `[/HIT]` marker tokens, at most "
        f"{metrics['config']['model']['max_length']} tokens cut around the hit "
        "(`classifier.model_input`).",
        f"- Shipped precision: **{export['shipped']}**. {export['decision']}",
        f"- `model.onnx`: {export['shipped_mb']:.1f} MB (fp32 export: "
        f"{export['fp32_mb']:.1f} MB). int8 graphs tried: "
        + "; ".join(f"{t['fp32_ffn_layers']} FFN layer(s) fp32, {t['mb']:.1f} MB, alert "
                    f"agreement {t['alert_agreement']:.2%}" for t in export["int8_tries"])
        + ".",
        f"- Decision rule: {DECISION_RULE} (category_override = "
        f"{thresholds['category_override']:g}). Thresholds were tuned on the dev split only "
        f"(recall target {thresholds['recall_target']:.0%} plus a margin of "
        f"{thresholds['recall_margin']:.0%}, then fewest false alerts, never above "
        f"{metrics['config']['thresholds']['ceiling']:.2f}):",
        "",
        "| category | threshold |",
        "|---|---|",
        *[f"| {c} | {thresholds['thresholds'][c]:.2f} |" for c in CATEGORY_IDS
          if c in thresholds["thresholds"]],
        "",
        "## Data",
        "",
        f"Seed corpus written by the project ({data['seed_rows']} texts, {data['families']} "
        f"template families, {data['noisy_copies']} noisy copies with OCR noise or leetspeak "
        "that the phrase matcher still catches). Split by family (frozen in "
        "`training/data/splits.json`), so near-duplicates never straddle splits; the test "
        "split tuned nothing. The model trains on every phrase hit in those texts "
        f"({data['hits']['train']} in train), each labelled with its text's label.",
        "",
        "Texts per label and split:",
        "",
        "| label | train | dev | test |",
        "|---|---|---|---|",
        *[f"| {label} | {c['train']} | {c['dev']} | {c['test']} |"
          for label, c in data["counts"].items()],
        "",
        "Hard negatives (innocent uses of the trigger words) per phrase category: "
        + ", ".join(f"{cat} {share:.0%}" for cat, share in data["hard_negative_share"].items())
        + ".",
        "",
        "## Results on the test split",
        "",
        f"Whole texts ({test['examples']}) run through the scanner: a text alerts when any of "
        "its hits does, under the category of the surest alerting hit.",
        "",
        f"- Recall of genuine concerns: **{_pct(test['concern_recall'])}** "
        f"(keywords only: {_pct(keywords['concern_recall'])}).",
        f"- False alerts on innocent texts: {test['false_alerts']} of {test['innocent']} "
        f"({_pct(test['false_alert_rate'])}); keywords only: {keywords['false_alerts']}. "
        f"Cut by **{_pct(false_alert_cut(test, keywords))}**.",
        f"- Category right on true alerts: **{_pct(test['category_accuracy_on_true_alerts'])}**.",
        "",
        "| category | support | precision | recall |",
        "|---|---|---|---|",
        *[f"| {c} | {r['support']} | {_pct(r['precision'])} | {_pct(r['recall'])} |"
          for c, r in test["per_category"].items()],
        "",
        "False-alert rate on innocent texts by category: "
        + ", ".join(f"{c} {_pct(v)}" for c, v in
                    test["innocent_false_alert_rate_by_phrase_category"].items()) + ".",
        "",
        "By source (recall / false-alert rate): "
        + ", ".join(f"{s} {_pct(v['concern_recall'])} / {_pct(v['false_alert_rate'])}"
                    for s, v in test["by_source"].items()) + ".",
        "",
        "## Training",
        "",
        f"- `safeguard-train fit` with `{metrics['config']['source']}` (seed "
        f"{metrics['config']['fit']['seed']}, {metrics['config']['fit']['epochs']} epochs, "
        f"batch {metrics['config']['fit']['batch_size']}, learning rate "
        f"{metrics['config']['fit']['learning_rate']}, class weighting "
        f"{metrics['config']['fit']['class_weighting']}) on {fit['threads']} CPU threads: "
        f"{fit['minutes']:.1f} minutes of fine-tuning.",
        f"- Phrase library used to find the hits: {metrics['library_version']}.",
        "",
        "## Limits",
        "",
        "- Trained on text the project wrote, not on real pupils' messages: real language, "
        "slang and new coded terms will drift from it. Retrain from reviewed incidents.",
        "- It judges only hits the phrase library finds; a concern worded with no library "
        "phrase never reaches it.",
        "- Test figures come from the project's own corpus; small categories have wide "
        "uncertainty. English only.",
        "- Identity terms (religion, sexuality, disability, race) in neutral or supportive use "
        "are in the hard negatives, but bias has not been measured on real data.",
        "",
    ]
    return "\n".join(lines)
