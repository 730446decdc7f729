"""What each policy file may contain: the one definition the loader validates against.

Kept as data so that other views (a JSON Schema for editors, the docs) are
derived from it rather than written twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from boundaries.core.vocabulary import (
    CALLBACKS,
    CHANNELS,
    DECISIONS,
    HOURS_VALUES,
    IN_WRITING_KINDS,
    KINDS,
    REPEAT_MINUTES,
    TRUSTS,
    URGENCIES,
)

# a language (2-3 lowercase letters), optionally `-` or `_` and a region (`AT`, `419`) or a
# script (`Hant`): `de`, `de-AT`, `pt_BR`, `es-419`, `zh-Hant`; at most 8 characters. The
# loader also wants a known language (locale_names.locale_problem).
LOCALE_PATTERN = r"^[a-z]{2,3}([_-]([A-Za-z]{2,4}|[0-9]{3}))?$"


class Field(NamedTuple):
    """One key of a policy file.

    type: string | bool | int | date | strings (list of strings) | table |
    tables (array of tables) | map (table with free keys, values per `values`) |
    hours | window | one-or-many (a value or a list of values) | datetime-text

    minimum, maximum: the inclusive range of an int; every int has both, so that no
    value lint accepts can overflow a date computation or a loop.
    pattern: the form of a string (for the JSON Schema; the loader checks it).
    """

    type: str
    doc: str = ""
    required: bool = False
    enum: tuple[str, ...] | None = None
    default: object = None
    fields: Mapping[str, Field] = {}
    values: Field | None = None
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None


def _f(type_: str, doc: str = "", **kw: object) -> Field:
    if type_ == "int" and (kw.get("minimum") is None or kw.get("maximum") is None):
        raise TypeError("an int field needs a minimum and a maximum")
    return Field(type_, doc, **kw)  # type: ignore[arg-type]


AWAY = {
    "from": _f("date", "first day away (inclusive)", required=True),
    "to": _f("date", "last day away (inclusive)", required=True),
    "reason": _f("string", "shown in reasons, e.g. `Urlaub`", default=""),
}

CALENDAR = {
    "path": _f("string", "an .ics file or a folder of them (a vdir); relative to the policy "
               "folder, `~` allowed", required=True),
    "timed": _f("string", "what a timed event means", enum=("busy", "ignore"), default="busy"),
    "all_day": _f("string", "what an all-day event means", enum=("away", "busy", "ignore"),
                  default="away"),
}

SOURCES = {
    "events": _f("string", "the event stream `watch` and the TUI read (JSON lines): a file or "
                 "a FIFO, relative to the policy folder (`~` allowed), or `-` for standard "
                 "input"),
    "fritzbox": _f("string", "the FRITZ!Box call monitor, `HOST[:PORT]` (port 1012 by "
                   "default), e.g. `fritz.box`"),
    "kdeconnect": _f("bool", "the mobile, through KDE Connect on the session D-Bus",
                     default=False),
    "maildir": _f("string", "the Maildir whose new mail `mail --watch` and the TUI decide "
                  "(a folder with `new/` and `cur/`), relative to the policy folder, `~` "
                  "allowed"),
    "drafts": _f("string", "the Maildir of my mail client's drafts, where replies to mail go "
                 "(relative to the policy folder, `~` allowed)"),
}

MAIL = {
    "sendmail": _f("string", "how `mail --send` sends a reply: a sendmail-compatible command "
                   "that reads the whole message on standard input, e.g. `msmtp -t`"),
    "kinds": _f("map", "words in a mail's Subject that set its kind: `kind = [\"word\", …]`"
                " (whole words, any case; the first match in file order wins; else "
                "`question`)", values=_f("strings", enum=None)),
}

TONE = {
    "avoid": _f("strings", "more words and phrases the tone check warns about in replies",
                default=[]),
    "allow": _f("strings", "words in capitals that are not shouting, e.g. `ASAP`",
                default=[]),
}

ME = {
    "name": _f("string", "my name, `{my_name}` in replies", required=True),
    "timezone": _f("string", "IANA timezone of every window, e.g. `Europe/Vienna`", required=True),
    "locale": _f("string", "default language of replies", default="en",
                 pattern=LOCALE_PATTERN),
    "holidays": _f("string", "public holiday region, e.g. `AT-4`, `DE-BY`, `DE`"),
    "region": _f("string", "country for phone numbers without +country"),
    "unknown_tier": _f("string", "tier for senders that match no client", default="unknown"),
    "callback_landlines": _f("bool", "false: never call back a fixed-line number", default=True),
    "reply_once_days": _f("int", "send the same reply to the same sender at most once in this "
                          "many days (0: always; needs the journal)", minimum=0, maximum=3650,
                          default=0),
    "away": _f("tables", "time off: not reachable at all", fields=AWAY),
    "calendars": _f("tables", "calendars whose events make me busy or away", fields=CALENDAR),
    "sources": _f("table", "the phone and mail sources `watch`, `mail` and the TUI follow "
                  "when no source flag is given", fields=SOURCES),
    "addresses": _f("strings", "my mail addresses: whom mail must be for, and my From (the "
                    "first)", default=[]),
    "mail": _f("table", "how mail is answered", fields=MAIL),
    "tone": _f("table", "the tone check of reply templates and drafts", fields=TONE),
}

EXTRA_EFFORT = {
    "allowed": _f("bool", "may I answer outside hours at all?", default=False),
    "per_month": _f("int", "extra-effort answers per client and calendar month",
                    minimum=0, maximum=1000),
    "min_urgency": _f("string", "least urgency that earns extra effort", enum=URGENCIES,
                      default="urgent"),
}

CONDITIONS = {
    "hours": _f("string", "`in` or `out` of reachability hours", enum=HOURS_VALUES),
    "channel": _f("one-or-many", "channel(s)", enum=CHANNELS),
    "kind": _f("one-or-many", "kind(s) of request", enum=KINDS),
    "urgency": _f("one-or-many", "urgency or urgencies", enum=URGENCIES),
    "trust": _f("string", "the client's trust", enum=TRUSTS),
    "holiday": _f("bool", "the request's day is a public holiday"),
    "away": _f("bool", "I am away ([[away]] or calendar time off)"),
    "busy": _f("bool", "an event in my calendars makes me busy"),
    "client_time": _f("window", "the sender's own wall-clock time lies in HH:MM-HH:MM"),
    "repeat": _f("int", "at least this many requests from the sender in "
                 f"{REPEAT_MINUTES} minutes",
                 minimum=1, maximum=100),
}

RULE = {
    "when": _f("table", "conditions, all must hold; absent means any", fields=CONDITIONS),
    "decide": _f("string", "the decision", required=True, enum=DECISIONS),
    "reply": _f("string", "template key of the reply"),
    "note": _f("string", "the reason shown"),
}

TIER = {
    "description": _f("string", "shown in the TUI", default=""),
    "channels": _f("strings", "channels this tier may reach me on", enum=CHANNELS,
                   default=list(CHANNELS)),
    "hours": _f("hours", "day key -> window or list of windows, in my timezone"),
    "on_holidays": _f("bool", "false: public holidays are off", default=False),
    "callback": _f("string", "may I call back?", enum=CALLBACKS, default="always"),
    "discreet": _f("bool", "replies carry no names", default=False),
    "in_writing": _f("strings", "kinds of request confirmed in writing", enum=KINDS,
                     default=list(IN_WRITING_KINDS)),
    "extra_effort": _f("table", "answering outside hours", fields=EXTRA_EFFORT),
    "rules": _f("tables", "exceptions, first match wins", fields=RULE),
}

CLIENT = {
    "name": _f("string", "the client's name, `{client_name}` in replies", required=True),
    "tier": _f("string", "a file in tiers/ (its stem)", required=True),
    "phones": _f("strings", "phone numbers in any format", default=[]),
    "emails": _f("strings", "mail addresses", default=[]),
    "timezone": _f("string", "how replies state times (default: mine)"),
    "locale": _f("string", "language of replies (default: mine)", pattern=LOCALE_PATTERN),
    "trust": _f("string", "`revoked`: no extra effort", enum=TRUSTS, default="ok"),
    "callback": _f("string", "narrows the tier's callback", enum=CALLBACKS),
    "discreet": _f("bool", "widens the tier's discreet"),
    "in_writing": _f("bool", "true: every request is confirmed in writing"),
    "notes": _f("string", "free text", default=""),
}

CLIENTS = {
    "clients": _f("map", "client id -> client", values=_f("table", fields=CLIENT)),
}

CHECK = {
    "name": _f("string", "what the check is about", required=True),
    "from": _f("string", "client id, phone number or mail address", required=True),
    "channel": _f("string", "channel", enum=CHANNELS, default="call"),
    "at": _f("datetime-text", "the request's time, ISO 8601", required=True),
    "kind": _f("string", "kind of request", enum=KINDS, default="question"),
    "urgency": _f("string", "urgency", enum=URGENCIES, default="normal"),
    "expect": _f("string", "the expected decision", required=True, enum=DECISIONS),
    "next": _f("datetime-text", "expected next window start, my wall-clock time"),
    "callback": _f("string", "expected callback", enum=CALLBACKS),
    "in_writing": _f("bool", "expected in-writing flag"),
    "reply_key": _f("string", "expected reply template key"),
}

CHECKS = {"check": _f("tables", "policy tests", fields=CHECK)}

REPLIES = _f("map", "template key -> text", values=_f("string"))
