"""Which parts of a frame changed since the last one, so only those are OCR'd.

OCR is the agent's whole CPU bill; a screen that sits still (a pupil reading) must cost
almost nothing. Each frame is cut into square tiles, each tile hashed with a random linear
hash in numpy (one multiply-add pass over the pixels, 64-bit, no Python loop per tile), and
changed tiles are grown into rectangles with a margin, so that a region holds whole words
and a line of text that changed is read with its neighbours.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Tiles of margin added round each changed area (words cut at a tile edge are completed).
MARGIN_TILES = 1


@dataclass(frozen=True, slots=True)
class Region:
    """A rectangle of a frame in pixels: x, y of the top-left corner, width, height."""

    x: int
    y: int
    w: int
    h: int

    @property
    def area(self) -> int:
        return self.w * self.h


class TileHasher:
    """Hashes of every tile of one monitor's frames; remembers the previous frame's."""

    def __init__(self, tile: int = 32, seed: int = 0x5AFE) -> None:
        self.tile = tile
        rng = np.random.default_rng(seed)
        # One odd 64-bit weight per pixel position in a tile: a single changed pixel always
        # changes the hash, several at once collide with negligible probability.
        self._weights = rng.integers(0, 2**63, size=(tile, tile), dtype=np.uint64) | 1
        self._previous: np.ndarray | None = None

    def hashes(self, frame: np.ndarray) -> np.ndarray:
        """(rows, cols) uint64 tile hashes of an (h, w, 4) uint8 frame (BGRA as mss gives)."""
        t = self.tile
        pixels = np.ascontiguousarray(frame).view(np.uint32)[..., 0]  # one word per pixel
        h, w = pixels.shape
        ph, pw = -h % t, -w % t
        if ph or pw:
            pixels = np.pad(pixels, ((0, ph), (0, pw)))
        rows, cols = pixels.shape[0] // t, pixels.shape[1] // t
        tiles = pixels.reshape(rows, t, cols, t).astype(np.uint64)
        return np.einsum("rtcx,tx->rc", tiles, self._weights)

    def changed(self, frame: np.ndarray) -> np.ndarray:
        """Boolean (rows, cols) map of tiles that differ from the previous frame (all tiles
        on the first frame or after a resolution change)."""
        current = self.hashes(frame)
        previous, self._previous = self._previous, current
        if previous is None or previous.shape != current.shape:
            return np.ones(current.shape, dtype=bool)
        return current != previous

    def reset(self) -> None:
        self._previous = None


def changed_regions(changed: np.ndarray, tile: int, frame_size: tuple[int, int],
                    margin: int = MARGIN_TILES) -> list[Region]:
    """Rectangles covering every changed tile: tiles are grown by `margin`, touching areas
    are merged, and the result is clipped to the frame."""
    if not changed.any():
        return []
    rows, cols = changed.shape
    grown = changed.copy()
    for dy in range(-margin, margin + 1):
        for dx in range(-margin, margin + 1):
            shifted = np.zeros_like(changed)
            shifted[max(dy, 0):rows + min(dy, 0), max(dx, 0):cols + min(dx, 0)] = \
                changed[max(-dy, 0):rows + min(-dy, 0), max(-dx, 0):cols + min(-dx, 0)]
            grown |= shifted
    boxes = _merge(_components(grown))
    width, height = frame_size
    regions = []
    for r0, c0, r1, c1 in boxes:
        x, y = c0 * tile, r0 * tile
        regions.append(Region(x, y, min(c1 * tile, width) - x, min(r1 * tile, height) - y))
    return sorted(regions, key=lambda r: (r.y, r.x))


def _components(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (r0, c0, r1, c1; ends exclusive) of 4-connected tile components.
    The tile grid is small (a 1080p screen has about 2,000 tiles), so a plain flood fill."""
    seen = np.zeros_like(mask)
    rows, cols = mask.shape
    boxes = []
    for r, c in zip(*np.nonzero(mask)):
        if seen[r, c]:
            continue
        stack = [(r, c)]
        seen[r, c] = True
        r0, c0, r1, c1 = r, c, r + 1, c + 1
        while stack:
            y, x = stack.pop()
            r0, c0, r1, c1 = min(r0, y), min(c0, x), max(r1, y + 1), max(c1, x + 1)
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < rows and 0 <= nx < cols and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        boxes.append((int(r0), int(c0), int(r1), int(c1)))
    return boxes


def _merge(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Merge overlapping bounding boxes until none overlap (OCR each pixel once)."""
    merged = True
    while merged:
        merged = False
        out: list[tuple[int, int, int, int]] = []
        for box in boxes:
            for i, other in enumerate(out):
                if box[0] < other[2] and other[0] < box[2] and box[1] < other[3] \
                        and other[1] < box[3]:
                    out[i] = (min(box[0], other[0]), min(box[1], other[1]),
                              max(box[2], other[2]), max(box[3], other[3]))
                    merged = True
                    break
            else:
                out.append(box)
        boxes = out
    return boxes
