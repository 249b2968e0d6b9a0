"""Text and word boxes from pixels, with Tesseract, at the screen's own resolution.

Three findings shape this module (probed on this project's target screens):
- Tesseract's own thread pool makes one OCR 5x slower on a busy two-core laptop, so the
  agent runs it with OMP_THREAD_LIMIT=1.
- Downscaling UI text loses most small words (0.5x lost 79% of 11 pt words): never resize.
- Plain Tesseract drops whole chat bubbles of light text on saturated blue or teal (dark-mode
  messaging). Regions with a dark or saturated background are therefore redrawn as "ink on
  paper" before OCR: each 8x8 block's background is its most common colour, and a pixel is
  ink by how far it is from that colour, whatever the two colours are.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import numpy as np
import pytesseract
from PIL import Image

from classifier.records import Box

# Inherited by every Tesseract the agent starts (the agent owns its process environment).
os.environ["OMP_THREAD_LIMIT"] = "1"

#: Background blocks for the contrast fix; small enough that a bubble's padding holds one.
CONTRAST_BLOCK = 8
#: Below this luminance (0-255) a background is dark.
DARK_BACKGROUND = 110
#: Above this saturation (max-min of RGB) a background is coloured, not grey.
SATURATED_BACKGROUND = 90
#: A pixel this far (max channel difference) from its block's background may be ink.
INK_DISTANCE = 40
#: A pixel this close to a neighbouring block's background may belong to that background.
SAME_BACKGROUND = 24
#: Runs of neighbour-background pixels at least this long are bubble edges, not glyph strokes
#: (stems of 12-14 pt UI text are 10-13 pixels).
EDGE_RUN = 15
#: Tesseract's confidence below which a "word" is treated as noise.
MIN_CONFIDENCE = 30.0


class OcrUnavailable(RuntimeError):
    """Tesseract is missing or broken; screen text cannot be read until it is installed."""


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    box: Box
    block: int
    paragraph: int
    line: int
    confidence: float


@dataclass(frozen=True, slots=True)
class WordSpan:
    """Where one OCR word sits in the assembled text, and on the screen."""

    start: int
    end: int
    box: Box


@dataclass(frozen=True, slots=True)
class ReadText:
    text: str
    words: tuple[WordSpan, ...]


def tesseract_version() -> str:
    """The installed Tesseract's version, or OcrUnavailable with what to install."""
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        raise OcrUnavailable("Tesseract OCR is not installed (apt-get install tesseract-ocr); "
                             "screen text cannot be read")
    try:
        return str(pytesseract.get_tesseract_version())
    except (pytesseract.TesseractNotFoundError, OSError) as exc:
        raise OcrUnavailable(f"Tesseract OCR does not run: {exc}") from None


def _block_backgrounds(rgb: np.ndarray, block: int) -> np.ndarray:
    """The most common colour (5 bits a channel) of each block x block tile."""
    h, w, _ = rgb.shape
    ph, pw = -h % block, -w % block
    padded = np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode="edge") if ph or pw else rgb
    q = (padded >> 3).astype(np.int32)
    codes = (q[..., 0] << 10) | (q[..., 1] << 5) | q[..., 2]
    bh, bw = codes.shape[0] // block, codes.shape[1] // block
    tiles = np.sort(codes.reshape(bh, block, bw, block).transpose(0, 2, 1, 3)
                    .reshape(bh * bw, block * block), axis=1)
    positions = np.arange(tiles.shape[1])
    run_start = np.where(np.diff(tiles, axis=1, prepend=-1) != 0, positions, 0)
    run_length = positions - np.maximum.accumulate(run_start, axis=1)
    mode = tiles[np.arange(tiles.shape[0]), run_length.argmax(axis=1)]
    colours = np.stack([(mode >> 10) & 31, (mode >> 5) & 31, mode & 31], axis=-1) * 8 + 4
    return colours.reshape(bh, bw, 3)


def needs_contrast_fix(backgrounds: np.ndarray) -> bool:
    """True when some background in the region is dark or saturated enough to hide text."""
    bg = backgrounds.astype(np.int32)
    luminance = (299 * bg[..., 0] + 587 * bg[..., 1] + 114 * bg[..., 2]) // 1000
    saturation = bg.max(axis=-1) - bg.min(axis=-1)
    return bool(((luminance < DARK_BACKGROUND) | (saturation > SATURATED_BACKGROUND)).any())


def ink_on_paper(rgb: np.ndarray, backgrounds: np.ndarray | None = None,
                 block: int = CONTRAST_BLOCK) -> np.ndarray:
    """Greyscale where every pixel's darkness is its distance from its block's background:
    light-on-blue and dark-on-white both come out as dark text on white.

    Where a block straddles two backgrounds (a bubble's edge), the minority side would come
    out as a dark bar round the bubble, and Tesseract's layout analysis then skips the text
    inside as a picture. Those bars are recognised as long straight runs of pixels that match
    a neighbouring block's background, longer than any glyph stroke, and erased."""
    if backgrounds is None:
        backgrounds = _block_backgrounds(rgb, block)
    bg = backgrounds.astype(np.int16)
    h, w, _ = rgb.shape
    pixels = rgb.astype(np.int16)
    distance = np.abs(pixels - np.repeat(np.repeat(bg, block, 0), block, 1)[:h, :w]).max(axis=2)
    ys, xs = np.nonzero(distance > INK_DISTANCE)
    if len(ys):
        around = np.pad(bg, ((1, 1), (1, 1), (0, 0)), mode="edge")
        by, bx = ys // block + 1, xs // block + 1
        values = pixels[ys, xs]
        neighbour_background = np.zeros(len(ys), dtype=bool)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dy or dx:
                    near = np.abs(values - around[by + dy, bx + dx]).max(axis=1)
                    neighbour_background |= near < SAME_BACKGROUND
        edge = np.zeros((h, w), dtype=bool)
        edge[ys[neighbour_background], xs[neighbour_background]] = True
        distance[_long_runs(edge) | _long_runs(edge.T).T] = 0
    return (255 - np.clip(distance * 2, 0, 255)).astype(np.uint8)


def _long_runs(mask: np.ndarray, length: int = EDGE_RUN) -> np.ndarray:
    """The pixels of `mask` that lie in a horizontal run of at least `length`."""
    h, w = mask.shape
    rows = np.zeros((h, w + 1), dtype=np.int8)
    rows[:, :w] = mask
    steps = np.diff(np.concatenate([[0], rows.ravel()]))
    starts, ends = np.nonzero(steps == 1)[0], np.nonzero(steps == -1)[0]
    keep = ends - starts >= length
    marks = np.zeros(rows.size + 1, dtype=np.int32)
    np.add.at(marks, starts[keep], 1)
    np.add.at(marks, ends[keep], -1)
    return (np.cumsum(marks[:-1]) > 0).reshape(h, w + 1)[:, :w]


def _maybe_coloured(rgb: np.ndarray, block: int = 4 * CONTRAST_BLOCK) -> bool:
    """A cheap first look (block means, no sorting): could any background here be dark or
    saturated? Plain light pages, the common case, skip the per-block colour census. The
    thresholds are looser than the census's, since text darkens a block's mean."""
    h, w, _ = rgb.shape
    ph, pw = -h % block, -w % block
    padded = np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode="edge") if ph or pw else rgb
    rows, cols = padded.shape[0] // block, padded.shape[1] // block
    sums = (padded.reshape(rows, block, cols * block * 3).sum(axis=1, dtype=np.uint32)
            .reshape(rows, cols, block, 3).sum(axis=2))  # two passes: 10x faster than mean()
    means = sums / (block * block)
    luminance = means @ np.array([0.299, 0.587, 0.114])
    saturation = means.max(axis=-1) - means.min(axis=-1)
    return bool(((luminance < DARK_BACKGROUND + 60)
                 | (saturation > SATURATED_BACKGROUND / 2)).any())


def prepare(rgb: np.ndarray) -> Image.Image:
    """The image Tesseract should read for this region (never resized)."""
    if not _maybe_coloured(rgb):
        return Image.fromarray(rgb, mode="RGB")
    backgrounds = _block_backgrounds(rgb, CONTRAST_BLOCK)
    if needs_contrast_fix(backgrounds):
        return Image.fromarray(ink_on_paper(rgb, backgrounds), mode="L")
    return Image.fromarray(rgb, mode="RGB")


#: White margin round each region stacked into one OCR image: keeps regions' lines apart,
#: and Tesseract misreads text that touches an image edge.
REGION_GAP = 24


def read_words(rgb: np.ndarray, *, languages: str = "eng", origin: tuple[int, int] = (0, 0)
               ) -> list[Word]:
    """OCR one region; boxes come back in the coordinates of the frame the region is from."""
    return read_regions([(rgb, origin)], languages=languages)[0]


def read_regions(regions: list[tuple[np.ndarray, tuple[int, int]]], *, languages: str = "eng"
                 ) -> list[list[Word]]:
    """OCR several regions of one frame with ONE Tesseract run (its start-up costs more than
    a small region's recognition): each region is prepared on its own, the regions are
    stacked with white gaps, and every word is handed back to the region it came from."""
    if not regions:
        return []
    prepared = [np.asarray(prepare(rgb).convert("L")) for rgb, _ in regions]
    width = max(p.shape[1] for p in prepared) + 2 * REGION_GAP
    height = sum(p.shape[0] for p in prepared) + REGION_GAP * (len(prepared) + 1)
    canvas = np.full((height, width), 255, dtype=np.uint8)
    tops = []
    y = REGION_GAP
    for p in prepared:
        canvas[y:y + p.shape[0], REGION_GAP:REGION_GAP + p.shape[1]] = p
        tops.append(y)
        y += p.shape[0] + REGION_GAP
    try:
        data = pytesseract.image_to_data(Image.fromarray(canvas, mode="L"), lang=languages,
                                         config="--psm 3", output_type=pytesseract.Output.DICT)
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrUnavailable(f"Tesseract OCR is not installed: {exc}") from None
    except pytesseract.TesseractError as exc:
        raise OcrUnavailable(f"Tesseract OCR failed: {exc}") from None
    out: list[list[Word]] = [[] for _ in regions]
    for i, text in enumerate(data["text"]):
        text = text.strip()
        confidence = float(data["conf"][i])
        if not text or confidence < MIN_CONFIDENCE:
            continue
        left, top = int(data["left"][i]) - REGION_GAP, int(data["top"][i])
        w, h = max(1, int(data["width"][i])), max(1, int(data["height"][i]))
        centre = top + h // 2
        index = next((k for k in range(len(tops) - 1, -1, -1) if tops[k] <= centre), None)
        if index is None or centre >= tops[index] + prepared[index].shape[0]:
            continue  # a speck in a gap
        ox, oy = regions[index][1]
        box = Box(max(left, 0) + ox, top - tops[index] + oy, w, h)
        out[index].append(Word(text, box, int(data["block_num"][i]), int(data["par_num"][i]),
                               int(data["line_num"][i]), confidence))
    return out


def assemble(words: list[Word]) -> ReadText:
    """Words joined in reading order: spaces within a paragraph (a wrapped chat message
    reads as one sentence), a blank line between blocks."""
    parts: list[str] = []
    spans: list[WordSpan] = []
    length = 0
    previous: tuple[int, int] | None = None
    for word in words:
        where = (word.block, word.paragraph)
        if previous is not None:
            separator = " " if where == previous else ("\n" if where[0] == previous[0]
                                                       else "\n\n")
            parts.append(separator)
            length += len(separator)
        spans.append(WordSpan(length, length + len(word.text), word.box))
        parts.append(word.text)
        length += len(word.text)
        previous = where
    return ReadText("".join(parts), tuple(spans))


def boxes_for(words: tuple[WordSpan, ...], start: int, end: int) -> tuple[Box, ...]:
    """The boxes of every word that shares a character with text[start:end]."""
    return tuple(w.box for w in words if w.start < end and start < w.end)
