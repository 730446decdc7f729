"""`[sources]` in me.toml: the phone sources `watch` and the TUI follow when no flag names one.

    [sources]
    events = "~/phone/events.fifo"   # the event stream: a file, a FIFO, or "-" (stdin)
    fritzbox = "fritz.box"            # the FRITZ!Box call monitor, HOST[:PORT]
    kdeconnect = true                 # the mobile, through KDE Connect
    maildir = "~/Mail/work/INBOX"     # new mail, decided (`mail --watch`, the TUI)
    drafts = "~/Mail/work/Drafts"     # where replies to mail go, as drafts

The loader checks the table with the rest of me.toml (`check_sources`: the keys and their
types, no empty text); the front end reads it when it starts (`sources_in`), because the
sources are no part of a decision and so no part of the compiled policy set. Whether a
`fritzbox` address can be one is said when it is used, at its `me.toml:LINE:COL`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from boundaries.core.diagnostics import Diagnostic
from boundaries.policy import schema as S
from boundaries.policy.read import read_text
from boundaries.policy.tomlpos import Locator
from boundaries.policy.validate import FileCheck

_EMPTY = {
    "events": "a file or a FIFO with one event a line, e.g. \"~/phone/events.fifo\", or \"-\"",
    "fritzbox": "the box's name or address, e.g. \"fritz.box\" or \"192.168.178.1:1012\"",
    "maildir": "the Maildir new mail arrives in, e.g. \"~/Mail/work/INBOX\"",
    "drafts": "my mail client's Drafts Maildir, e.g. \"~/Mail/work/Drafts\"",
}


class PhoneSources(NamedTuple):
    """The sources `[sources]` names: `events` as a path (resolved against the policy
    folder; `-` stays `-`), `fritzbox` as written, `kdeconnect`; `where` maps each key
    given to its value's `me.toml:LINE:COL`."""

    events: str | None = None
    fritzbox: str | None = None
    kdeconnect: bool = False
    where: Mapping[str, str] = {}
    maildir: str | None = None  # resolved against the policy folder, `~` expanded
    drafts: str | None = None

    @property
    def given(self) -> bool:
        """Whether any source is named."""
        return bool(self.events or self.fritzbox or self.kdeconnect)


def check_sources(fc: FileCheck, table: dict) -> dict:
    """For the loader: `[sources]`'s keys and types (an unknown key, a number for a string),
    and no empty `events` or `fritzbox`. Returns the usable keys."""
    v = fc.table(table, S.SOURCES, ("sources",), "[sources]")
    for key, hint in _EMPTY.items():
        if key in v and not v[key].strip():
            fc.report(("sources", key), f"`{key}` in [sources] is empty", hint, at_value=True)
            del v[key]
    return v


def sources_in(root: Path) -> PhoneSources:
    """The `[sources]` of `root`'s me.toml as the loader accepted it (a value it refused is
    left out). No me.toml, or none that can be read: no sources."""
    found = read_text(root, "me.toml")
    if isinstance(found, Diagnostic):
        return PhoneSources()
    _, text = found
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        return PhoneSources()
    table = data.get("sources")
    if not isinstance(table, dict):
        return PhoneSources()
    loc = Locator(text, data)
    fc = FileCheck("me.toml", text, [], loc)
    v = check_sources(fc, table)
    where = {}
    for key in v:
        line, col = loc.value(("sources", key))
        where[key] = f"me.toml:{line}:{col}"
    events = v.get("events")
    if events is not None:
        events = events.strip()
        if events != "-":
            events = os.fspath(root / Path(events).expanduser())
    fritzbox = v.get("fritzbox")
    folders = {key: os.fspath(root / Path(v[key].strip()).expanduser())
               for key in ("maildir", "drafts") if key in v}
    return PhoneSources(events, fritzbox.strip() if fritzbox else None,
                        bool(v.get("kdeconnect", False)), where, **folders)


__all__ = ["PhoneSources", "check_sources", "sources_in"]
