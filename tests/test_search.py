"""Search folding (no case, no accents), #tag tokens and highlight spans: plain functions,
tried on simple stand-in records (with and without tags)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest

from todo_tui import search


@dataclass(frozen=True)
class Plain:
    title: str
    description: str | None = None


@dataclass(frozen=True)
class Tagged:
    title: str
    description: str | None = None
    tags: tuple[str, ...] = ()


def found(query: str, record: object) -> bool:
    return search.matches(search.parse(query), search.haystack(record), search.folded_tags(record))


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("sofia", "Sofía"),
        ("SOFÍA", "sofia"),
        ("strasse", "Straße"),
        ("creme brulee", "Crème Brûlée"),
        ("ﬁle", "file"),  # a ligature folds to its letters
        ("angstrom", "Ångström"),
        ("istanbul", "İstanbul"),
    ],
)
def test_case_and_accents_are_ignored(query, title):
    assert found(query, Plain(title))


def test_descriptions_are_searched_and_the_query_must_be_there():
    assert found("corner", Plain("Buy milk", "From the Córner shop\nnot the big one"))
    assert found("big one", Plain("Buy milk", "From the corner shop\nnot the big one"))
    assert not found("bread", Plain("Buy milk", "From the corner shop"))
    assert not found("milk shop", Plain("Buy milk", "shop"))  # not across title and text


def test_tag_tokens_filter_on_tags_folded_the_same_way():
    home = Tagged("Pay rent", tags=("Hóme", "money"))
    assert found("#home", home)
    assert found("#HOME rent", home)
    assert found("#home #money", home)
    assert not found("#home #work", home)
    assert not found("#home milk", home)
    assert not found("#home", Plain("Pay rent"))  # no tags attribute: no tags
    assert found("#", Plain("Item #"))  # a lone # is text


def test_an_empty_query_matches_everything():
    assert search.parse("  ").empty
    assert found("", Plain("anything"))


@pytest.mark.parametrize(
    ("text", "query", "marked"),
    [
        ("Call Sofía today", "sofia", ["Sofía"]),
        ("Straße and STRASSE", "strasse", ["Straße", "STRASSE"]),
        ("ﬁne", "fi", ["ﬁ"]),  # one character holds the match
        ("abc", "", []),
        ("abc", "x", []),
    ],
)
def test_spans_mark_the_original_characters(text, query, marked):
    spans = search.spans(text, search.parse(query).words)
    assert [text[start:end] for start, end in spans] == marked


def test_search_loads_no_textual():
    code = "import sys, todo_tui.search; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
