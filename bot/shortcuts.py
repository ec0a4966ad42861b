"""Command shortcuts from a TOML file (`/deployment` → a question), and "Did you mean" suggestions."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from index.errors import ConfigError

_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


@dataclass(frozen=True)
class Shortcut:
    """`/name` runs `text` as a question (`kind="ask"`) or a passage search (`kind="search"`)."""

    name: str
    kind: str
    text: str
    description: str


def load_shortcuts(path: Path | None) -> tuple[Shortcut, ...]:
    """Shortcuts from `path`; a missing file means none, a malformed one is a `ConfigError`."""
    if path is None or not path.exists():
        return ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read shortcuts file {path}: {exc}") from exc
    shortcuts = []
    for name, entry in (data.get("shortcuts") or {}).items():
        if not _COMMAND_NAME.match(name):
            raise ConfigError(f"{path}: '{name}' is not a valid command name (a-z, 0-9, _; at most 32)")
        if not isinstance(entry, dict) or len({"ask", "search"} & entry.keys()) != 1:
            raise ConfigError(f"{path}: shortcut '{name}' needs exactly one of 'ask' or 'search'")
        kind = "ask" if "ask" in entry else "search"
        text = str(entry[kind]).strip()
        if not text:
            raise ConfigError(f"{path}: shortcut '{name}' has an empty {kind}")
        description = str(entry.get("description") or text)[:256]
        shortcuts.append(Shortcut(name, kind, text, description))
    return tuple(shortcuts)


def suggest(command: str, known: Iterable[str], cutoff: float = 60.0) -> str | None:
    """The known command closest to a mistyped one, if any is close enough."""
    match = process.extractOne(command.lower(), list(known), scorer=fuzz.ratio, score_cutoff=cutoff)
    return match[0] if match else None
