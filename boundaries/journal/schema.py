"""The one schema of a journal entry, checked when a line is read and before one is written.

An entry is a JSON object. `at` is required: ISO 8601 with an offset, in the supported years.
Every other field is optional (null is the same as missing); a field that is present must
have its type, so nothing downstream (check, report, replay, the TUI) meets a list where it
expects text. Unknown fields are kept and ignored: a newer version may add some.
"""

from __future__ import annotations

import json
from datetime import datetime

from boundaries.core.errors import BoundariesError
from boundaries.policy.timeparse import MAX_YEAR, MIN_YEAR

# `received`: a message (SMS, chat, mail) that came in, as `watch --log` and `mail` record it;
# a request in the report, never time spent (store.SPENT) nor a call I owe back
RECEIVED = "received"  # a message that came in: nothing done with it (sources.md §8)
OUTCOMES = ("answered", "called-back", "missed", "declined", RECEIVED)
MAX_MINUTES = 100_000  # about ten weeks: more on one request is a typing error
TEXT = ("id", "recorded_at", "from", "sender", "client", "tier", "channel", "kind",
        "urgency", "decision", "reason", "policy_hash", "reply_key", "note", "outcome",
        "source", "source_id")
FLAGS = ("within_hours", "extra_effort")
# the exact JSON type of each known field (`type(...) is`: true is not a number here)
_TYPES: dict[str, type] = {**dict.fromkeys(TEXT, str), **dict.fromkeys(FLAGS, bool),
                           "at": str, "minutes": int}
_WORDS = {str: "text", bool: "true or false",
          int: f"a whole number from 0 to {MAX_MINUTES}"}


class EntryError(BoundariesError, ValueError):
    """A line that is not a journal entry; the message says why (no hint)."""


def parse_line(blob: bytes) -> tuple[dict, datetime]:
    """One line of a journal file as (fields without nulls, `at`), or EntryError.

    The line must be UTF-8 JSON; a line that is not JSON raises EntryError("corrupt")."""
    try:
        data = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise EntryError("corrupt") from None
    return check(data)


def check(data: object) -> tuple[dict, datetime]:
    """`data` as a valid entry (nulls dropped) and its `at`, or EntryError."""
    if type(data) is not dict:
        raise EntryError("not a JSON object")
    fields = {}
    for key, value in data.items():
        if value is not None:
            want = _TYPES.get(key)
            if want is not None and type(value) is not want:
                raise EntryError(f"`{key}` must be {_WORDS[want]}, not {_show(value)}")
            fields[key] = value
    at = _at(fields.get("at"))
    if not 0 <= fields.get("minutes", 0) <= MAX_MINUTES:
        raise EntryError(f"`minutes` must be {_WORDS[int]}, not {_show(fields['minutes'])}")
    if fields.get("outcome", OUTCOMES[0]) not in OUTCOMES:
        raise EntryError(f"`outcome` must be one of {', '.join(OUTCOMES)}, "
                         f"not {_show(fields['outcome'])}")
    return fields, at


def _at(value: str | None) -> datetime:
    if value is None:
        raise EntryError("`at` is missing")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise EntryError(f"`at` must be a time with an offset, e.g. "
                         f"2026-01-08T21:00:00+01:00, not {_show(value)}")
    if not MIN_YEAR <= at.year <= MAX_YEAR:
        raise EntryError(f"`at` must lie in the years {MIN_YEAR}–{MAX_YEAR}, "
                         f"not {_show(value)}")
    return at


def _show(value: object, limit: int = 40) -> str:
    """A wrong value, short, for a warning."""
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "an object"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 1] + "…"
