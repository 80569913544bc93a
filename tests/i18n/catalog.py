"""A small reader for gettext .po files (polib is not a dependency), used by the i18n tests.

It understands what makemessages writes: comments (``#:`` references, ``#,`` flags, ``#~`` obsolete
entries), ``msgctxt``, ``msgid``, ``msgid_plural``, ``msgstr`` and ``msgstr[n]``, each possibly
continued over several quoted lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$')


def _unquote(quoted: str) -> str:
    if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
        raise ValueError(f"not a quoted .po string: {quoted!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES[m.group(1)], quoted[1:-1])


@dataclass
class Entry:
    """One message of a catalog."""

    msgid: str | None = None
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str | None = None
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is not None:
            return [self.msgstr_plural[i] for i in sorted(self.msgstr_plural)]
        return [self.msgstr or ""]

    @property
    def untranslated(self) -> bool:
        return not self.translations or any(not t for t in self.translations)

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags


def parse(path: Path) -> list[Entry]:
    """Every entry of the .po file at ``path``, the header first (obsolete ones marked)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            if entry is not None:
                entries.append(entry)
            entry, target = None, None
            continue
        if entry is None:
            entry = Entry()
        obsolete = line.startswith("#~")
        if obsolete:
            entry.obsolete = True
            line = line[2:].strip()
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        elif line.startswith("#:"):
            entry.references.extend(line[2:].split())
            continue
        elif line.startswith("#"):
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, quoted = match.groups()
            text = _unquote(quoted)
            if keyword == "msgstr" and index is not None:
                target = ("msgstr_plural", int(index))
                entry.msgstr_plural[int(index)] = text
            else:
                target = (keyword, None)
                setattr(entry, keyword, text)
        elif line.startswith('"') and target is not None:
            name, index = target
            if name == "msgstr_plural":
                entry.msgstr_plural[index] += _unquote(line)
            else:
                setattr(entry, name, getattr(entry, name) + _unquote(line))
        else:
            raise ValueError(f"{path}:{number}: cannot read {raw!r}")
    if entry is not None:
        entries.append(entry)
    return [e for e in entries if e.msgid is not None]


def header(entries: list[Entry]) -> dict[str, str]:
    """The header fields of a parsed catalog (``Language``, ``Plural-Forms`` …)."""
    head = next(e for e in entries if e.is_header)
    fields = {}
    for line in (head.msgstr or "").splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def messages(entries: list[Entry]) -> list[Entry]:
    """The live messages: neither the header nor obsolete entries."""
    return [e for e in entries if not e.is_header and not e.obsolete]
