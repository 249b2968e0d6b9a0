"""Real Tesseract on chat-like images: light text on saturated or dark bubbles must be read
as well as black on white, at the screen's own size, with boxes where the words are."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from agent.ocr import assemble, boxes_for, read_regions, read_words
from classifier.records import Box

FONT = ImageFont.truetype("DejaVuSans.ttf", 15)  # about 11 pt, a common UI size
LINE = "honestly nobody would miss me if I was gone"


def bubble(bg: str, fg: str, text: str = LINE, page: str = "white") -> tuple[np.ndarray, tuple]:
    """A chat bubble on a page; returns the RGB pixels and the text's bounding box."""
    image = Image.new("RGB", (640, 90), page)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((30, 20, 30 + draw.textlength(text, font=FONT) + 28, 62), 12,
                           fill=bg)
    draw.text((44, 32), text, fill=fg, font=FONT)
    return np.asarray(image), draw.textbbox((44, 32), text, font=FONT)


# Each case: a messaging style as pupils see it (background, text colour).
STYLES = [
    ("black on white page", "white", "black"),
    ("grey bubble, dark text", "#e9e9eb", "#111111"),
    ("Messenger blue, white text", "#0084ff", "white"),
    ("WhatsApp teal, light text", "#128c7e", "#f0f0f0"),
    ("iMessage green, white text", "#34c759", "white"),
    ("dark mode, light grey text", "#1e1e1e", "#d4d4d4"),
    ("purple bubble, white text", "#6a1b9a", "#fafafa"),
]


@pytest.mark.parametrize(("style", "bg", "fg"), STYLES, ids=[s[0] for s in STYLES])
def test_every_bubble_style_is_read(style: str, bg: str, fg: str) -> None:
    pixels, _ = bubble(bg, fg)
    text = assemble(read_words(pixels)).text
    assert "nobody would miss me" in text.replace("|", "I")


def test_a_screen_with_both_plain_and_dark_bubbles_reads_both() -> None:
    top, _ = bubble("white", "black", "maths homework is due on friday")
    bottom, _ = bubble("#0084ff", "white", "nobody would miss me anyway")
    screen = np.ascontiguousarray(np.vstack([top, bottom]))
    text = assemble(read_words(screen)).text
    assert "maths homework is due on friday" in text
    assert "nobody would miss me anyway" in text


def test_word_boxes_are_in_screen_coordinates_and_cover_the_words() -> None:
    pixels, (x0, y0, x1, y1) = bubble("#128c7e", "#f0f0f0")
    origin = (500, 300)  # the region's place on the monitor
    read = assemble(read_words(pixels, origin=origin))
    start = read.text.index("miss me")
    boxes = boxes_for(read.words, start, start + len("miss me"))
    assert len(boxes) == 2
    for box in boxes:
        assert y0 + 300 - 3 <= box.y and box.y + box.h <= y1 + 300 + 3
        assert x0 + 500 <= box.x and box.x + box.w <= x1 + 500 + 2
    union = Box(min(b.x for b in boxes), 0, max(b.x + b.w for b in boxes), 0)
    # "miss me" is the 4th and 5th word: its boxes start well inside the line
    assert union.x > x0 + 500 + 100


def test_several_regions_are_read_in_one_run_and_handed_back_separately() -> None:
    a, _ = bubble("white", "black", "first region says hello")
    b, _ = bubble("#1e1e1e", "#d4d4d4", "second region says goodbye")
    per_region = read_regions([(a, (0, 0)), (b, (700, 400))])
    texts = [assemble(words).text for words in per_region]
    assert texts == ["first region says hello", "second region says goodbye"]
    assert all(w.box.x >= 700 and w.box.y >= 400 for w in per_region[1])


def test_assembled_offsets_point_at_each_word() -> None:
    pixels, _ = bubble("white", "black", "we will place a bet tonight")
    read = assemble(read_words(pixels))
    for span in read.words:
        word = read.text[span.start:span.end]
        assert word and " " not in word
    assert read.text == "we will place a bet tonight"
