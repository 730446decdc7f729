"""The fixed words of boundaries, each written once: what a policy, a request and a reply
may say, their ranks, the repeat window, and the English names of days and months.

Every other module (the policy schema, the engine, replay, the CLI, the TUI) takes these
from here; the order of a tuple is the order shown in messages and in the JSON Schema.
"""

from __future__ import annotations

from datetime import timedelta

CHANNELS = ("call", "sms", "email", "chat")
KINDS = ("question", "task", "change", "billing", "complaint")
URGENCIES = ("normal", "urgent", "emergency")  # least urgent first
DECISIONS = ("answer", "later", "decline")
CALLBACKS = ("always", "on-request", "never")  # least restrictive first
TRUSTS = ("ok", "revoked")
HOURS_VALUES = ("in", "out")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # day keys, Monday first
PLACEHOLDERS = ("next", "next_date", "next_time", "my_name", "client_name", "channels")
ENGINE_REPLY_KEYS = ("after-hours", "holiday", "away", "busy", "wrong-channel", "declined",
                     "confirm")
IN_WRITING_KINDS = ("change", "billing", "complaint")  # a tier's default `in_writing`
BUILTIN = "builtin"  # the source of a reason that no file gave: a built-in default

URGENCY_RANK = {u: rank for rank, u in enumerate(URGENCIES)}
CALLBACK_RANK = {c: rank for rank, c in enumerate(CALLBACKS)}

# the `repeat` condition counts a sender's requests in this window (this one included)
REPEAT_MINUTES = 15
REPEAT_WINDOW = timedelta(minutes=REPEAT_MINUTES)  # for the journal's datetimes
REPEAT_SECONDS = REPEAT_MINUTES * 60  # for replay's POSIX seconds

# English names, Monday and January first; other languages come from pendulum's tables,
# read when a set is compiled (policy/locales.names_for)
DAY_NAMES_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_ABBREVIATIONS_EN = tuple(name[:3] for name in DAY_NAMES_EN)  # Mon … Sun
MONTH_NAMES_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")
EN_NAMES = {"days": DAY_NAMES_EN, "months": MONTH_NAMES_EN}  # a locale_names entry

__all__ = [
    "BUILTIN", "CALLBACKS", "CALLBACK_RANK", "CHANNELS", "DAYS", "DAY_ABBREVIATIONS_EN",
    "DAY_NAMES_EN", "DECISIONS", "ENGINE_REPLY_KEYS", "EN_NAMES", "HOURS_VALUES",
    "IN_WRITING_KINDS", "KINDS", "MONTH_NAMES_EN", "PLACEHOLDERS", "REPEAT_MINUTES",
    "REPEAT_SECONDS", "REPEAT_WINDOW", "TRUSTS", "URGENCIES", "URGENCY_RANK",
]
