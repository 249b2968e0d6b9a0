"""Change detection: a still screen costs no OCR; a change is read with a margin round it."""
from __future__ import annotations

import numpy as np
import pytest

from agent.change import Region, TileHasher, changed_regions

W, H, T = 320, 200, 32


def blank() -> np.ndarray:
    frame = np.full((H, W, 4), 255, dtype=np.uint8)
    frame[..., 3] = 0
    return frame


def regions_after(edit) -> list[Region]:
    hasher = TileHasher(T)
    first = blank()
    hasher.changed(first)
    second = first.copy()
    edit(second)
    return changed_regions(hasher.changed(second), T, (W, H))


def test_the_first_frame_is_read_whole() -> None:
    hasher = TileHasher(T)
    assert changed_regions(hasher.changed(blank()), T, (W, H)) == [Region(0, 0, W, H)]


def set_pixel(y: int, x: int):
    def edit(frame: np.ndarray) -> None:
        frame[y, x, 1] ^= 1  # the smallest change a pixel can make
    return edit


def fill(y0: int, y1: int, x0: int, x1: int):
    def edit(frame: np.ndarray) -> None:
        frame[y0:y1, x0:x1, :3] = 0
    return edit


CASES = [
    ("still screen", lambda f: None, []),
    ("one pixel, mid screen", set_pixel(100, 150), [Region(96, 64, 96, 96)]),
    ("one pixel in the corner", set_pixel(0, 0), [Region(0, 0, 64, 64)]),
    ("pixel in the ragged last row", set_pixel(199, 319), [Region(256, 160, 64, 40)]),
    ("a line of text", fill(100, 112, 40, 200), [Region(0, 64, 256, 96)]),
    ("two far apart changes", lambda f: (set_pixel(10, 10)(f), set_pixel(190, 300)(f)),
     [Region(0, 0, 64, 64), Region(256, 128, 64, 72)]),
    ("two near changes merge", lambda f: (set_pixel(40, 40)(f), set_pixel(40, 110)(f)),
     [Region(0, 0, 160, 96)]),
]


@pytest.mark.parametrize(("case", "edit", "expected"), CASES, ids=[c[0] for c in CASES])
def test_changed_regions(case: str, edit, expected: list[Region]) -> None:
    assert regions_after(edit) == expected


def test_every_changed_pixel_lies_inside_a_region() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        ys, xs = rng.integers(0, H, 5), rng.integers(0, W, 5)

        def edit(frame: np.ndarray, ys=ys, xs=xs) -> None:
            frame[ys, xs, 0] = 7

        regions = regions_after(edit)
        for y, x in zip(ys, xs):
            assert any(r.x <= x < r.x + r.w and r.y <= y < r.y + r.h for r in regions)
        # regions never overlap: each pixel is OCR'd once
        for i, a in enumerate(regions):
            for b in regions[i + 1:]:
                assert a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y \
                    or b.y + b.h <= a.y


def test_a_new_resolution_is_read_whole() -> None:
    hasher = TileHasher(T)
    hasher.changed(blank())
    bigger = np.zeros((H * 2, W, 4), dtype=np.uint8)
    assert hasher.changed(bigger).all()
