"""Search that ignores case and accents: "sofia" finds "Sofía", "STRASSE" finds "Straße".

Text is folded once per todo (NFKD, combining marks dropped, casefolded) and the query the
same way, so matching is a plain substring test. `#tag` words in the query keep only the
todos carrying that tag (folded the same way); a record without `tags` has none.
Spans map a match in the folded text back to the original characters, for highlighting.
No Textual here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# The combining marks that decomposition leaves after a letter (accents, cedillas, rings…).
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NO_TAGS: frozenset[str] = frozenset()


def fold(text: str) -> str:
    """`text` without case or accents: what both sides of a search are compared as."""
    if text.isascii():  # most text: fast, in C
        return text.lower()
    return _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


def _fold_char(char: str) -> str:
    return char.lower() if char.isascii() else fold(char)


def folded_with_origins(text: str) -> tuple[str, list[int]]:
    """`fold(text)`, and for each of its characters the index in `text` it came from."""
    parts: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char)
        parts.append(folded)
        origins.extend([index] * len(folded))
    return "".join(parts), origins


@dataclass(frozen=True)
class Query:
    words: str  # the folded text to find (tag tokens removed), "" for none
    tags: tuple[str, ...]  # folded tag names every match must carry

    @property
    def empty(self) -> bool:
        return not self.words and not self.tags


def parse(text: str) -> Query:
    """`#name` tokens are tags (a lone `#` is text); the rest, folded, is the text to find."""
    words: list[str] = []
    tags: list[str] = []
    for token in text.split():
        if token.startswith("#") and len(token) > 1:
            tags.append(fold(token[1:]))
        else:
            words.append(token)
    return Query(fold(" ".join(words)), tuple(tags))


def tags_of(record: object) -> tuple[str, ...]:
    return tuple(getattr(record, "tags", ()) or ())


def haystack(record: object) -> str:
    """What a query's words are looked for in: the title, the description and the tags
    (as `#name`, so `home` finds a todo tagged home), folded."""
    title = getattr(record, "title", "")
    description = getattr(record, "description", None) or ""
    tags = " ".join(f"#{tag}" for tag in tags_of(record))
    return f"{fold(title)}\0{fold(description)}\0{fold(tags)}"


def folded_tags(record: object) -> frozenset[str]:
    tags = tags_of(record)
    return frozenset(fold(tag) for tag in tags) if tags else _NO_TAGS


def matches(query: Query, text: str, tags: frozenset[str]) -> bool:
    """`text`, `tags`: a record's `haystack` and `folded_tags`."""
    return query.words in text and all(tag in tags for tag in query.tags)


def spans(text: str, words: str) -> list[tuple[int, int]]:
    """Where `words` (folded) occurs in `text` (original): (start, end) in `text`."""
    if not words:
        return []
    folded, origins = folded_with_origins(text)
    found: list[tuple[int, int]] = []
    start = folded.find(words)
    while start != -1:
        end = start + len(words)
        found.append((origins[start], origins[end - 1] + 1))
        start = folded.find(words, end)
    return found
