"""How the journal holds calls, for `log --import` and `watch --log` alike.

- The same call is never recorded twice: an entry is the call's twin when it carries the
  call's `source` and `source_id`, or when it is a call recorded by another source (the
  live monitor, an export, the TUI) or by hand, from the same sender, in the same minute,
  in the same direction (mine: `called-back`). Each entry is the twin of one call only.
- Whom I owe a call back: a sender whose last call in the journal is theirs to me (not my
  `called-back`), within CALLBACK_LOOKBACK_DAYS.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boundaries.journal.store import Entry

CALLBACK_LOOKBACK_DAYS = 31  # an outgoing call calls back a call of the 31 days before it
CALLED_BACK = "called-back"


def is_call(data: dict) -> bool:
    """Whether a journal entry is a call (not a message or a mail)."""
    return data.get("channel", "call") == "call"


def slot(sender: str, at: datetime, outcome: str | None) -> tuple[str, int, bool]:
    """A call's sender, minute and direction (mine: `called-back`), to match a call recorded
    live, imported or by hand."""
    return sender, int(at.timestamp() // 60), outcome == CALLED_BACK


def owe(owed: dict[str, bool], key: str, data: dict) -> None:
    """After a call in the journal: a call of mine (`called-back`) pays what I owed the
    sender; a call from the sender makes me owe one."""
    if is_call(data):
        owed[key] = data.get("outcome") != CALLED_BACK


def owed_call(entries: Iterable[Entry], key: str, at: datetime) -> bool:
    """Whether the sender `key` called me since my last call to them, by the entries (in
    time order) up to `at`."""
    owed: dict[str, bool] = {}
    for e in entries:
        if e.at > at:
            break
        if e.sender == key:
            owe(owed, key, e.data)
    return owed.get(key, False)


class CallIndex:
    """The calls among some journal entries, to find the entry a call already has."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._by_id: dict[tuple[str, str], Entry] = {}
        self._by_slot: dict[tuple[str, int, bool], list[Entry]] = {}
        for e in entries:
            self.add(e)

    def add(self, entry: Entry) -> None:
        """Index one more entry."""
        data = entry.data
        sid = data.get("source_id")
        if isinstance(sid, str):
            self._by_id.setdefault((str(data.get("source", "")), sid), entry)
        if is_call(data):
            self._by_slot.setdefault(slot(entry.sender, entry.at, data.get("outcome")),
                                     []).append(entry)

    def twin(self, source: str, source_id: str, sender: str, at: datetime,
             outgoing: bool, *, call: bool = True) -> Entry | None:
        """The entry that is this call already: by its source id, else (for a call, not a
        message: `call`) the first call of another source (or of none) from `sender` in the
        minute of `at`, in this direction (taken: it is no other call's twin)."""
        found = self._by_id.get((source, source_id))
        if found is not None or not call:
            return found
        near = self._by_slot.get(slot(sender, at, CALLED_BACK if outgoing else None), [])
        for i, e in enumerate(near):
            if e.data.get("source") != source:
                return near.pop(i)
        return None


__all__ = ["CALLBACK_LOOKBACK_DAYS", "CALLED_BACK", "CallIndex", "is_call", "owe", "owed_call",
           "slot"]
