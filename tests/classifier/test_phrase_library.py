"""The shipped library and a school's overlay."""
from __future__ import annotations

from pathlib import Path

import pytest

from classifier.matcher import Matcher
from classifier.phrases import MatchMode, PhraseLibrary, PhraseLibraryError
from classifier.taxonomy import CATEGORY_IDS

from .conftest import write_library


def test_shipped_library_covers_every_category_with_2000_phrases():
    library = PhraseLibrary.load()
    counts = library.by_category()
    assert sum(counts.values()) >= 2000
    assert all(counts[c] >= 100 for c in CATEGORY_IDS), counts
    assert library.version == PhraseLibrary.load().version
    assert all(p.phrase == p.phrase.strip().lower() for p in library.phrases)


def test_overlay_adds_and_excludes_with_a_reason(small_library_dir):
    overlay = {"add": [{"phrase": "meet at the bandstand", "category": "violence",
                        "severity": 3}],
               "exclude": [{"phrase": "plug", "category": "substance_misuse",
                            "reason": "electronics module floods the queue"}]}
    base = PhraseLibrary.load(small_library_dir)
    school = PhraseLibrary.load(small_library_dir, overlay=overlay)
    matcher = Matcher.for_library(school)
    assert [h.phrase for h in matcher.find("lets meet at the bandstand at 4")] == [
        "meet at the bandstand"]
    assert matcher.find("my mate's plug sorted it") == []
    assert Matcher.for_library(base).find("my mate's plug sorted it")
    assert school.version.startswith(base.version + "+overlay.")
    assert school.exclusions[0].reason == "electronics module floods the queue"


def test_overlay_file_in_yaml_is_read(small_library_dir, tmp_path):
    path = tmp_path / "overlay.yaml"
    path.write_text("exclude:\n  - phrase: loser\n    reason: sports-day banter\n")
    library = PhraseLibrary.load(small_library_dir, overlay=path)
    assert "loser" not in {p.phrase for p in library.phrases}


def test_example_overlay_shipped_with_the_library_is_valid():
    example = Path(__file__).resolve().parents[2] / "models/phrases/overlay.example.yaml"
    assert PhraseLibrary.load(overlay=example).exclusions


@pytest.mark.parametrize("overlay,message", [
    ({"exclude": [{"phrase": "plug"}]}, "must give a reason"),
    ({"exclude": [{"phrase": "plug", "reason": "  "}]}, "must give a reason"),
    ({"add": [{"phrase": "x y", "category": "weather", "severity": 3}]}, "unknown category"),
    ({"add": [{"phrase": "x y", "category": "violence", "severity": 9}]}, "severity"),
    ({"add": [{"phrase": "x y", "category": "violence", "severity": 3, "match": "fuzzy"}]},
     "fuzzy"),
    ({"add": [{"phrase": "x y", "severity": 3}]}, "needs phrase, category"),
    ({"remove": []}, "must be a mapping"),
    ({"add": [{"phrase": "x", "category": "violence", "severity": 3}]}, "too short"),
    ({"add": [{"phrase": "©", "category": "violence", "severity": 3}]}, "too short"),
])
def test_bad_overlays_are_refused_with_a_reason(small_library_dir, overlay, message):
    with pytest.raises(PhraseLibraryError, match=message):
        PhraseLibrary.load(small_library_dir, overlay=overlay)


@pytest.mark.parametrize("content,message", [
    ("phrase,severity,match,note\nkill,7,word,\n", "severity must be 1-5"),
    ("phrase,severity,match,note\nkill,high,word,\n", "severity"),
    ("words,level\nkill,3\n", "header"),
    ("phrase,severity,match,note\n,3,word,\n", "non-empty"),
])
def test_bad_library_rows_name_the_file_and_line(tmp_path, content, message):
    write_library(tmp_path, {})
    (tmp_path / "violence.csv").write_text(content)
    with pytest.raises(PhraseLibraryError, match=message) as err:
        PhraseLibrary.load(tmp_path)
    assert "violence.csv" in str(err.value)


def test_a_file_named_after_no_category_is_refused(tmp_path):
    write_library(tmp_path, {"violence": [("knife", 3, "word")]})
    (tmp_path / "weather.csv").write_text("phrase,severity,match,note\nrain,1,word,\n")
    with pytest.raises(PhraseLibraryError, match="not a category"):
        PhraseLibrary.load(tmp_path)


def test_default_match_mode_is_whole_word(tmp_path):
    write_library(tmp_path, {})
    (tmp_path / "violence.csv").write_text("phrase,severity,match,note\nknife,3,,\n")
    assert PhraseLibrary.load(tmp_path).phrases[0].match is MatchMode.WORD
