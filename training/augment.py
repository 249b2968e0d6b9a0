"""OCR noise and leetspeak for training copies: the model must judge `k1ll mys3lf` and a
smudged screenshot line as it judges clean text.

Every transform is driven by a `random.Random` seeded from the row itself, so a dataset
build gives the same copies on every machine. Whether the phrase prefilter still catches the
noisy phrase is not assumed here: the dataset re-finds the hit in the noisy text and keeps
the copy only if it does (see `training.dataset`).
"""
from __future__ import annotations

import random
from collections.abc import Callable

# What pupils type: letters to the digits and signs the normaliser folds back.
LEET = {"a": "4@", "e": "3", "i": "1!", "o": "0", "s": "5$", "t": "7", "l": "1|"}
# What OCR does to screen text: look-alike letters, a lost or doubled space, a stray mark.
OCR_SWAPS = {"m": "rn", "l": "I", "O": "0", "o": "0", "e": "c", "h": "b", "i": "l", "t": "f",
             "S": "5", "g": "q", ",": ".", ".": ","}
OCR_STRAYS = "'.,:`"

Noise = Callable[[str, random.Random], str]


def leetspeak(text: str, rng: random.Random, rate: float = 0.45) -> str:
    """Swap a share of the swappable letters for leet characters, word by word: some words
    are left clean, as pupils do."""
    words = text.split(" ")
    out = []
    for word in words:
        if rng.random() < 0.5:
            out.append(word)
            continue
        out.append("".join(rng.choice(LEET[c.lower()])
                           if c.lower() in LEET and rng.random() < rate else c for c in word))
    return " ".join(out)


def ocr_noise(text: str, rng: random.Random, rate: float = 0.06) -> str:
    """Look-alike swaps, dropped and doubled spaces and stray marks at about `rate` per
    character."""
    out = []
    for c in text:
        roll = rng.random()
        if roll >= rate:
            out.append(c)
        elif c == " ":
            out.append("" if rng.random() < 0.5 else "  ")
        elif c in OCR_SWAPS and rng.random() < 0.7:
            out.append(OCR_SWAPS[c])
        else:
            out.append(c + rng.choice(OCR_STRAYS))
    return "".join(out)


NOISES: dict[str, Noise] = {"leet": leetspeak, "ocr": ocr_noise}


def noisy_variants(text: str, start: int, end: int, kind: str, seed: str) -> list[str]:
    """Candidate noisy texts, most realistic first: the whole text noised (the phrase too),
    then only the words around the hit. The caller keeps the first one whose hit is found."""
    noise = NOISES[kind]
    rng = random.Random(f"{kind}:{seed}")
    whole = noise(text, rng)
    around = noise(text[:start], rng) + text[start:end] + noise(text[end:], rng)
    return [v for v in (whole, around) if v != text]
