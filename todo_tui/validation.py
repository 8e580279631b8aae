"""Rules for what users type, checked before any SQL. Standard library only (email-validator
is imported on first use), so screens can show inline messages as the user types."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from todo_tui.faults import InvalidInput

TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
EMAIL_MAX = 255
TAG_NAME_MAX = 50
TAGS_MAX = 20  # tags on one todo
PASSWORD_MIN = 8
PASSWORD_MAX_BYTES = 72  # bcrypt 5 raises beyond this


# Control characters, lone surrogates, and the Unicode line and paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


# What draws nothing on a terminal: format characters (zero-width space and joiners, BOM,
# bidi marks, tags), combining marks with nothing to combine with, spaces, and the blank
# "letters" that pass for text (Braille blank, Hangul fillers, Khmer inherent vowels).
BLANK_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Zs"})
BLANK_CHARACTERS = frozenset("\u2800\u3164\u115f\u1160\uffa0\u180e\u17b4\u17b5")


def is_blank(text: str) -> bool:
    """True when `text` shows nothing at all (empty, spaces, or only invisible characters)."""
    return all(
        ch.isspace() or ch in BLANK_CHARACTERS or unicodedata.category(ch) in BLANK_CATEGORIES
        for ch in text
    )


def has_control_characters(text: str, *, allow: str = "") -> bool:
    return any(unicodedata.category(ch) in REFUSED_CATEGORIES and ch not in allow for ch in text)


def _storable(text: str) -> bool:
    # Lone surrogates cannot be encoded, so neither database can store them.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def title_problem(raw: str) -> str | None:
    """Why a title cannot be saved (None when it can); the title is stored trimmed."""
    title = raw.strip()
    if not title:
        return "A title is required."
    if is_blank(title):
        return "A title is required: this one is only invisible characters."
    if has_control_characters(title) or not _storable(title):
        return "The title cannot contain control characters (such as NUL or a line break)."
    if len(title) > TITLE_MAX:
        return f"The title is {len(title)} characters long; the limit is {TITLE_MAX}."
    return None


def clean_title(raw: str) -> str:
    problem = title_problem(raw)
    if problem:
        raise InvalidInput("title", problem)
    return raw.strip()


def clean_description(raw: str | None) -> str | None:
    """The description exactly as typed, or None when it is blank."""
    if raw is None or not raw.strip():
        return None
    # Line breaks of every kind (text pasted from Windows has \r\n) and tabs are fine here.
    if has_control_characters(raw, allow="\n\r\t\u2028\u2029") or not _storable(raw):
        raise InvalidInput(
            "description", "The description cannot contain control characters such as NUL."
        )
    if len(raw) > DESCRIPTION_MAX:
        raise InvalidInput(
            "description",
            f"The description is {len(raw):,} characters long; the limit is {DESCRIPTION_MAX:,}.",
        )
    return raw


# What separates words around a tag (and, in the database's aggregate, tag names).
TAG_FORBIDDEN = frozenset("#,")


def tag_problem(name: str) -> str | None:
    """Why `name` (already trimmed) cannot be a tag; None when it can."""
    if not name:
        return "A tag needs a name."
    if any(ch.isspace() for ch in name) or is_blank(name):
        return f"The tag {name!r} cannot contain spaces."
    if has_control_characters(name) or not _storable(name):
        return "A tag cannot contain control characters."
    if any(ch in TAG_FORBIDDEN for ch in name):
        return f"The tag {name!r} cannot contain '#' or ','."
    if len(name) > TAG_NAME_MAX:
        return f"A tag is {len(name)} characters long; the limit is {TAG_NAME_MAX}."
    return None


def tag_key(name: str) -> str:
    """What makes two tag names the same tag (and orders them): their case-folded form."""
    return name.casefold()


def clean_tags(names) -> tuple[str, ...]:
    """`names` (an iterable, or a string of names separated by spaces or commas, each with or
    without its '#') as stored: each checked, the first spelling of each kept, sorted
    case-insensitively. InvalidInput when one cannot be a tag."""
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    kept: dict[str, str] = {}
    for raw in names:
        name = raw.strip().removeprefix("#")
        if problem := tag_problem(name):
            raise InvalidInput("tags", problem)
        kept.setdefault(name.lower(), name)
    if len(kept) > TAGS_MAX:
        raise InvalidInput("tags", f"A todo can have at most {TAGS_MAX} tags.")
    return tuple(sorted(kept.values(), key=tag_key))


@dataclass(frozen=True, slots=True)
class TagEdit:
    """Tags to add to todos and tags to take off them, typed in one field: `work -home`
    adds work and removes home (each with or without its '#')."""

    add: tuple[str, ...]
    remove: tuple[str, ...]

    @classmethod
    def read(cls, text: str) -> TagEdit:
        """InvalidInput when a name cannot be a tag, or nothing is asked."""
        words = text.replace(",", " ").split()
        edit = cls(
            clean_tags(word for word in words if not word.startswith("-")),
            clean_tags(word[1:] for word in words if word.startswith("-")),
        )
        if not edit.add and not edit.remove:
            raise InvalidInput("tags", "Type a tag to add, or -tag to remove one.")
        if both := {tag_key(n) for n in edit.add} & {tag_key(n) for n in edit.remove}:
            name = next(n for n in edit.add if tag_key(n) in both)
            raise InvalidInput("tags", f"The tag {name!r} cannot be both added and removed.")
        return edit

    def applied_to(self, tags: tuple[str, ...]) -> tuple[str, ...]:
        """`tags` with this edit made, as stored; InvalidInput beyond TAGS_MAX."""
        gone = {tag_key(name) for name in self.remove}
        return clean_tags(name for name in (*tags, *self.add) if tag_key(name) not in gone)


def normalize_email(raw: str) -> str:
    """The email trimmed and lower-cased, after a syntax check (no DNS lookup)."""
    from email_validator import EmailNotValidError, validate_email

    text = raw.strip()
    if not text:
        raise InvalidInput("email", "Enter your email address.")
    if has_control_characters(text) or not _storable(text):
        raise InvalidInput("email", "An email address cannot contain control characters.")
    try:
        email = validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput("email", f"This is not a valid email address: {exc}") from None
    if len(email) > EMAIL_MAX:
        raise InvalidInput("email", f"An email address can have at most {EMAIL_MAX} characters.")
    return email


def password_problem(password: str) -> str | None:
    if not _storable(password) or "\x00" in password:
        return "The password contains characters that cannot be used (NUL or lone surrogates)."
    if len(password) < PASSWORD_MIN:
        return f"The password needs at least {PASSWORD_MIN} characters."
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        return (
            f"The password is longer than {PASSWORD_MAX_BYTES} bytes (UTF-8), the most that "
            "bcrypt can use; choose a shorter one."
        )
    return None
