"""The school the browser tests look at: pupils' hits as an agent would send them.

Each hit comes with a screenshot drawn the way a screen shows text, and the word boxes of the
matched phrase measured on that drawing, so a test can check the UI's red box against the
box the agent stored. The texts are written for the project: realistic, never graphic.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from PIL import Image, ImageDraw, ImageFont

from classifier.judge import ContextInput, Verdict
from classifier.records import idempotency_key
from classifier.taxonomy import MODEL_LABELS, NONE

SCREEN_SIZE = (1000, 320)
MARGIN, TOP, LINE_HEIGHT = 24, 64, 34
FONT_SIZE = 22


@dataclass(frozen=True)
class SeedHit:
    """One row of the seeded school: who saw what, and what the stand-in model says."""

    name: str
    pupil: str
    application: str
    window_title: str
    minutes_ago: float
    context: str
    phrase: str
    category: str
    severity: int
    probability: float
    innocent: bool = False
    screenshot: bool = True


HITS: tuple[SeedHit, ...] = (
    SeedHit("grooming", "NFA\\m.okafor", "Snapchat", "Snapchat", 50,
            "you're so mature for your age. don't tell your parents we talk, add me on snap",
            "don't tell your parents", "sexual_exploitation", 5, 0.93),
    SeedHit("exam_stress", "NFA\\e.morris", "Microsoft Teams", "Teams - Chat", 70,
            "revision is not working and the exam stress is too much, i can't cope anymore",
            "can't cope anymore", "self_harm", 4, 0.74),
    SeedHit("extremism", "NFA\\l.patel", "Google Chrome", "Search - Google", 30,
            "great replacement theory explained - is it true? forum thread",
            "great replacement", "extremism", 4, 0.71),
    SeedHit("bullying_discord", "NFA\\j.carter", "Discord", "Discord - #year9-chat", 35,
            "lol nobody likes you, just leave the group already. everyone hates you",
            "nobody likes you", "bullying", 3, 0.88),
    SeedHit("bullying_teams", "NFA\\t.evans", "Microsoft Teams", "Teams - Chat", 20,
            "honestly nobody wants you here, stop sitting with us at lunch",
            "nobody wants you here", "bullying", 3, 0.64),
    SeedHit("adult", "NFA\\r.begum", "Google Chrome", "Search - Google", 25 * 60,
            "free porn sites", "porn", "adult_content", 2, 0.95),
    SeedHit("history_essay", "NFA\\s.hughes", "Microsoft Word", "History essay.docx - Word", 600,
            "My essay explains how the great replacement conspiracy theory spreads online and "
            "why historians reject it.", "great replacement", "extremism", 4, 0.06,
            innocent=True),
    SeedHit("game_chat", "NFA\\k.ahmed", "Minecraft", "Minecraft - Server chat", 90,
            "gg, we're going to kill the dragon tonight, bring armour", "kill", "violence", 3,
            0.04, innocent=True),
    SeedHit("markup", "NFA\\x.test<b>bold</b>", "Google Chrome", "<img src=x onerror=alert(1)>",
            40, "<script>window.__pwned = 1</script> honestly you are worthless",
            "you are worthless", "bullying", 3, 0.7),
    # j.carter's history: the pattern a DSL looks for on the pupil page.
    SeedHit("carter_week1", "NFA\\j.carter", "Discord", "Discord - #year9-chat", 8 * 24 * 60,
            "we all hate you. seriously no one wants you in this server",
            "no one wants you", "bullying", 3, 0.81),
    SeedHit("carter_week2", "NFA\\j.carter", "Instagram", "Instagram - Messages",
            15 * 24 * 60, "ur so ugly nobody likes you lol", "nobody likes you", "bullying",
            3, 0.79, screenshot=False),
    SeedHit("carter_week3", "NFA\\j.carter", "Microsoft Word", "Diary.docx - Word",
            22 * 24 * 60, "i feel so alone at school, i can't cope anymore with all of it",
            "can't cope anymore", "emotional_distress", 4, 0.83),
    SeedHit("carter_week5", "NFA\\j.carter", "Discord", "Discord - #year9-chat",
            36 * 24 * 60, "everyone hates you and you know it", "everyone hates you",
            "bullying", 3, 0.77),
)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Screen:
    png: bytes
    size: tuple[int, int]
    boxes: list[dict[str, int]] = field(default_factory=list)


def render_screen(title: str, text: str, start: int, end: int) -> Screen:
    """Draw the text as a window shows it and measure the boxes of the words in [start, end).

    One box per word, as OCR reports them (the agent sends Tesseract's word boxes).
    """
    font = ImageFont.load_default(size=FONT_SIZE)
    image = Image.new("RGB", SCREEN_SIZE, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, SCREEN_SIZE[0], 36), fill=(40, 60, 90))
    draw.text((12, 8), title, fill="white", font=font)
    boxes: list[dict[str, int]] = []
    x, y, offset = MARGIN, TOP, 0
    space = draw.textlength(" ", font=font)
    for word in text.split(" "):
        width = draw.textlength(word, font=font)
        if x + width > SCREEN_SIZE[0] - MARGIN and x > MARGIN:
            x, y = MARGIN, y + LINE_HEIGHT
        draw.text((x, y), word, fill="black", font=font)
        word_start, word_end = offset, offset + len(word)
        if word and word_start < end and word_end > start:
            left, top, right, bottom = draw.textbbox((x, y), word, font=font)
            boxes.append({"x": int(left), "y": int(top), "w": int(right - left),
                          "h": int(bottom - top)})
        x += width + space
        offset = word_end + 1
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return Screen(buffer.getvalue(), SCREEN_SIZE, boxes)


def hit_record(seed: SeedHit, now: datetime) -> dict:
    start = seed.context.lower().index(seed.phrase.lower())
    end = start + len(seed.phrase)
    observed = iso(now - timedelta(minutes=seed.minutes_ago))
    return {
        "key": idempotency_key("ui-tests", "screen", seed.window_title, seed.phrase,
                               seed.context, observed),
        "device_id": "set-by-the-server", "user": seed.pupil, "observed_at": observed,
        "source": "screen", "phrase": seed.phrase, "category": seed.category,
        "severity": seed.severity, "start": start, "end": end, "context": seed.context,
        "window_title": seed.window_title, "application": seed.application,
        "library_version": "2026.11.0", "boxes": [],
    }


class ScriptedJudge:
    """Stands in for the context model, which does not ship yet (a fake, and only that).

    It implements the real Judge protocol, so ingest, scoring, suppression and ranking run
    unchanged; each seeded text gets the verdict its row in HITS states, spread over all the
    model's labels the way a softmax would, so the score chart has every bar to draw.
    """

    version = "ui-scripted-judge-1"

    def __init__(self, hits: Sequence[SeedHit] = HITS) -> None:
        self.by_text = {h.context: h for h in hits}

    def judge(self, items: Sequence[ContextInput]) -> list[Verdict]:
        return [self._one(item) for item in items]

    def _one(self, item: ContextInput) -> Verdict:
        seed = self.by_text.get(item.text)
        p = seed.probability if seed else 0.8
        alert = not (seed and seed.innocent)
        others = [label for label in MODEL_LABELS if label not in (item.category, NONE)]
        rest = 1.0 - p
        scores = {label: 0.0 for label in MODEL_LABELS}
        scores[item.category] = p
        if alert:
            scores[NONE] = rest * 0.6
            scores[others[0]] = rest * 0.25
            scores[others[1]] = rest * 0.15
        else:
            scores[NONE] = rest
        scores = {k: round(v, 6) for k, v in scores.items()}
        return Verdict(alert=alert, category=item.category if alert else None,
                       score=p if alert else scores[NONE], scores=scores,
                       model_version=self.version)
