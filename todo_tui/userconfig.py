"""The user's own config file: `config.toml` in the user config directory.

    [keymap]            # binding id -> keys (comma-separated), see bindings.py / the help
    "list.add" = "n"
    "list.down" = "down,j,ctrl+n"

    [defaults]          # used until the list remembers your own choice (preferences.py)
    view = "open"       # today, upcoming, open, nodate, done or all
    sort = "newest"     # newest, oldest, title or updated
    theme = "nord"      # any theme in the palette's list

Read with tomllib, checked against plain data (bindings.specs(), the views, sorts and
themes the caller names): no Textual here. Whatever is wrong (the TOML, an unknown id, a
key given to two bindings of one screen, a bad default) is a problem sentence, and the
part it concerns falls back to the defaults; the rest still applies. Never raises.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

FILE_NAME = "config.toml"
DEFAULT_NAMES = ("view", "sort", "theme")


class Spec(Protocol):
    id: str
    group: str
    keys: str


@dataclass(frozen=True)
class UserConfig:
    keymap: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str | None:
        """The problems as the one line shown at launch (None: there are none)."""
        if not self.problems:
            return None
        more = len(self.problems) - 1
        return self.problems[0] + (f" ({more} more in the log.)" if more else "")


def path_in(config_dir: Path) -> Path:
    return config_dir / FILE_NAME


def load(
    config_dir: Path,
    *,
    specs: Mapping[str, Spec],
    choices: Mapping[str, Collection[str]],
    normalize: Callable[[str], str] = lambda key: key,
) -> UserConfig:
    """The config in `config_dir` (none there: the empty config, no problem).

    `choices`: for each of view / sort / theme, the values it may take. `normalize`: one
    key to the name bindings use ("?" -> "question_mark"), as the keymap will be applied.
    """
    path = path_in(config_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return UserConfig()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8"
        return UserConfig(problems=[f"{path} cannot be read ({reason}): the defaults are used."])
    return parse(text, where=str(path), specs=specs, choices=choices, normalize=normalize)


def parse(
    text: str,
    *,
    where: str,
    specs: Mapping[str, Spec],
    choices: Mapping[str, Collection[str]],
    normalize: Callable[[str], str] = lambda key: key,
) -> UserConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return UserConfig(problems=[f"{where} is not valid TOML ({exc}): the defaults are used."])
    problems: list[str] = []
    for name in data.keys() - {"keymap", "defaults"}:
        problems.append(f"{where}: [{name}] is not a section todo-tui knows; it is ignored.")
    keymap = _keymap(data.get("keymap", {}), where, specs, normalize, problems)
    defaults = _defaults(data.get("defaults", {}), where, choices, problems)
    return UserConfig(keymap=keymap, defaults=defaults, problems=problems)


def _table(value: object, name: str, where: str, problems: list[str]) -> dict:
    if isinstance(value, dict):
        return value
    problems.append(f"{where}: {name} must be a table ([{name}]); it is ignored.")
    return {}


def _keymap(
    value: object,
    where: str,
    specs: Mapping[str, Spec],
    normalize: Callable[[str], str],
    problems: list[str],
) -> dict[str, str]:
    keymap: dict[str, str] = {}
    for binding_id, keys in _table(value, "keymap", where, problems).items():
        if binding_id not in specs:
            problems.append(
                f"{where}: {binding_id!r} is not a binding id (the help, ?, lists them); "
                "it is ignored."
            )
            continue
        names = [k.strip() for k in keys.split(",")] if isinstance(keys, str) else []
        if not names or not all(names) or any(" " in k for k in names):
            problems.append(
                f'{where}: the keys for {binding_id} must be a string like "n" or '
                '"ctrl+n,f2"; its default keys are kept.'
            )
            continue
        keymap[binding_id] = ",".join(normalize(k) for k in names)
    return _without_clashes(keymap, where, specs, problems)


def _keys(spec: Spec, keymap: Mapping[str, str]) -> list[str]:
    return [k.strip() for k in keymap.get(spec.id, spec.keys).split(",") if k.strip()]


def _without_clashes(
    keymap: dict[str, str], where: str, specs: Mapping[str, Spec], problems: list[str]
) -> dict[str, str]:
    """Drop the keymap entries that give one key to two bindings in force together (one
    screen's, or one screen's and the app's): both keep their default keys, and it is said."""
    while True:
        clash = _first_clash(keymap, specs)
        if clash is None:
            return keymap
        key, ids = clash
        mapped = sorted(i for i in ids if i in keymap)
        for binding_id in mapped:
            del keymap[binding_id]
        problems.append(
            f"{where}: {key} is given to both {ids[0]} and {ids[1]}; "
            f"{' and '.join(mapped)} keep{'s' if len(mapped) == 1 else ''} the default keys."
        )


def _first_clash(
    keymap: Mapping[str, str], specs: Mapping[str, Spec]
) -> tuple[str, tuple[str, str]] | None:
    owners: dict[tuple[str, str], list[str]] = {}  # (group, key) -> binding ids
    for spec in specs.values():
        for key in _keys(spec, keymap):
            owners.setdefault((spec.group, key), []).append(spec.id)
    every_group = {group for group, _ in owners}
    for spec in specs.values():
        if spec.id not in keymap:
            continue
        # The app's bindings are in force on every screen; a screen's, with the app's.
        groups = every_group if spec.group == "app" else {spec.group, "app"}
        for key in _keys(spec, keymap):
            for group in sorted(groups):
                for other in owners.get((group, key), ()):
                    if other != spec.id:
                        return key, (other, spec.id)
    return None


def _defaults(
    value: object, where: str, choices: Mapping[str, Collection[str]], problems: list[str]
) -> dict[str, str]:
    defaults: dict[str, str] = {}
    for name, chosen in _table(value, "defaults", where, problems).items():
        allowed = choices.get(name)
        if allowed is None:
            problems.append(
                f"{where}: [defaults] has no {name!r} (only {', '.join(DEFAULT_NAMES)}); "
                "it is ignored."
            )
        elif chosen not in allowed:
            problems.append(
                f"{where}: {name} = {chosen!r} is not one of {', '.join(sorted(allowed))}; "
                f"the usual {name} is used."
            )
        else:
            defaults[name] = chosen
    return defaults
