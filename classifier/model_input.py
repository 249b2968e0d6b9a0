"""How a hit is shown to the context model: the one definition training and runtime share.

The model must judge the hit, not the whole window: "killing me" in a window that also says
"I want to die" is two hits with two answers. So the phrase is wrapped in two marker tokens
of its own (`[HIT]` ... `[/HIT]`, added to the tokenizer as special tokens) and the model
learns to read the words around the marked span. Anything that changes here changes what a
trained model expects, so training and `classifier.onnx_model` both call these functions and
nothing else builds model inputs.

Long windows are cut in tokens around the hit, never from the end: a phrase near the end of
a long OCR'd page must still be inside what the model reads.

Leetspeak is undone word by word before the model reads it (`k1ll mys3lf` -> `kill myself`,
`d!e` -> `die`), with the normaliser's own table: the matcher already sees through it, and a
model should not have to learn every spelling of every word. Only words that are mostly
letters and hold no other digit are touched, so `24`, `r34`, `bet365` and `10am` stay as
written; every change is one character for one, so hit offsets stay valid.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tokenizers import AddedToken, Tokenizer

from classifier.judge import ContextInput
from classifier.normalise import LEET

HIT_START = "[HIT]"
HIT_END = "[/HIT]"
MARKERS = (HIT_START, HIT_END)
#: Shown in the model card and checked at load, so a model trained on another input format
#: is refused instead of silently misread.
INPUT_FORMAT = "hit-markers-v1"
#: The model's input names, in the order training exports them.
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


class ModelInputError(ValueError):
    """A hit that cannot be shown to the model (offsets outside the text, no tokenizer
    markers)."""


def mark_hit(text: str, start: int, end: int) -> str:
    """The context, leetspeak undone, with the hit wrapped in markers. Marker strings already
    in the text (a pupil could type `[HIT]`) are blanked first, so only the real hit is
    marked."""
    if not 0 <= start < end <= len(text):
        raise ModelInputError(
            f"hit offsets {start}:{end} do not lie inside a context of {len(text)} characters")
    readable = unleet(_blank_markers(text))
    return f"{readable[:start]} {HIT_START} {readable[start:end]} {HIT_END} {readable[end:]}"


_WORD = re.compile(r"(?<!\S)[^\s@]\S*")  # a word; @mentions (names) are left alone
_BANG = re.compile(r"(?<=[A-Za-z])!+(?=[A-Za-z])")
_LEET_TABLE = str.maketrans(LEET)


def _unleet_word(match: re.Match[str]) -> str:
    word = _BANG.sub(lambda m: "i" * len(m.group()), match.group())
    swaps = sum(c in LEET for c in word)
    letters = sum(c.isalpha() for c in word)
    numeric = any(c.isdigit() and c not in LEET for c in word)  # bet365, covid19: names
    return word.translate(_LEET_TABLE) if swaps and letters > swaps and not numeric else word


def unleet(text: str) -> str:
    """Leetspeak undone in words that are mostly letters; one character for one."""
    return _WORD.sub(_unleet_word, text)


def _blank_markers(part: str) -> str:
    for marker in MARKERS:
        part = part.replace(marker, " " * len(marker))
    return part


def add_markers(tokenizer: Tokenizer) -> Tokenizer:
    """Register the hit markers as special tokens (once, when a model is first trained)."""
    tokenizer.add_special_tokens(
        [AddedToken(m, single_word=False, lstrip=False, rstrip=False, normalized=False)
         for m in MARKERS])
    return tokenizer


@dataclass(frozen=True, slots=True)
class InputSpec:
    """What a tokenizer file says about the inputs a model was trained on."""

    max_length: int
    pad_id: int
    start_id: int
    end_id: int


def input_spec(tokenizer: Tokenizer, max_length: int | None = None) -> InputSpec:
    """Read the marker and padding ids; `max_length` defaults to the truncation length saved
    in the tokenizer file, which training sets to the length the model was trained with."""
    if max_length is None:
        truncation = tokenizer.truncation
        if not truncation:
            raise ModelInputError("the tokenizer file does not record the model's max length "
                                  "(its truncation setting); it was not saved by training")
        max_length = int(truncation["max_length"])
    ids = [tokenizer.token_to_id(m) for m in MARKERS]
    if None in ids:
        raise ModelInputError(f"the tokenizer has no {HIT_START}/{HIT_END} marker tokens; "
                              "it was not prepared with classifier.model_input.add_markers")
    pad_id = tokenizer.token_to_id("[PAD]")
    return InputSpec(max_length, 0 if pad_id is None else pad_id, ids[0], ids[1])


def prepare(tokenizer: Tokenizer, max_length: int) -> Tokenizer:
    """Set a tokenizer up for saving beside a model: no fixed padding (the packaged file pads
    everything to 128), truncation recording the model's max length."""
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)
    return tokenizer


@dataclass(frozen=True)
class HitEncoder:
    """Turns hits into the model's token arrays. Build it once per model with `for_tokenizer`."""

    tokenizer: Tokenizer
    spec: InputSpec

    @classmethod
    def for_tokenizer(cls, tokenizer: Tokenizer, max_length: int | None = None) -> HitEncoder:
        """A private copy of `tokenizer` with padding and truncation off: padding is done per
        batch and long windows are cut around the hit, both below."""
        spec = input_spec(tokenizer, max_length)
        own = Tokenizer.from_str(tokenizer.to_str())
        own.no_padding()
        own.no_truncation()
        return cls(own, spec)

    def encode(self, items: Sequence[ContextInput]) -> dict[str, np.ndarray]:
        """int64 arrays keyed by `INPUT_NAMES`, padded to the batch's longest input."""
        return self.pad(self.token_rows(items))

    def token_rows(self, items: Sequence[ContextInput]) -> list[list[int]]:
        """Each hit's token ids as the model sees them (marked, cut around the hit); tokenise
        once, then `pad` any grouping of them into batches."""
        encodings = self.tokenizer.encode_batch(
            [mark_hit(i.text, i.start, i.end) for i in items])
        return [_around_hit(e.ids, self.spec) for e in encodings]

    def pad(self, rows: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
        """One batch: padded to its own longest row, with the attention mask to match."""
        width = max((len(r) for r in rows), default=0)
        ids = np.full((len(rows), width), self.spec.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for n, row in enumerate(rows):
            ids[n, :len(row)] = row
            mask[n, :len(row)] = 1
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def _around_hit(ids: list[int], spec: InputSpec) -> list[int]:
    """Keep [CLS] and [SEP] and at most `max_length - 2` tokens centred on the marked hit."""
    if len(ids) <= spec.max_length:
        return ids
    head, body, tail = ids[:1], ids[1:-1], ids[-1:]
    budget = spec.max_length - 2
    first = body.index(spec.start_id) if spec.start_id in body else 0
    last = body.index(spec.end_id) if spec.end_id in body else first
    spare = max(budget - (last - first + 1), 0)
    left = max(first - spare // 2, 0)
    left = max(min(left, len(body) - budget), 0)
    return head + body[left:left + budget] + tail
