"""When no reply may go to a message: the no-reply rules of RFC 3834 §2 and RFC 5230 §4.5.

One ordered table, `RULES`: each rule a stable name (the `"rule"` of `mail --json`'s
`"suppressed"`), the headers it reads and how its reason is worded. `suppression` returns the
first rule that holds, in the spec's order (sources.md §9):

1. `auto-submitted` — `Auto-Submitted` present and not `no` (case-insensitive, parameters
   after `;` ignored; an empty value counts as present);
2. `precedence` — `Precedence: bulk`, `list` or `junk`;
3. `list` — any `List-Id`, `List-Help`, `List-Subscribe`, `List-Unsubscribe`, `List-Post`,
   `List-Owner` or `List-Archive` header (RFC 2369, RFC 2919);
4. `auto-response-suppress` — `X-Auto-Response-Suppress` naming `OOF` or `All` (Exchange;
   comma or space separated, any case);
5. `null-return-path` — `Return-Path: <>` (spaces inside the brackets too): a bounce or a
   notification (RFC 3834 §2);
6. `robot-sender` — a robot's local part in `From`, else in `Return-Path` (the envelope
   sender Sieve's vacation looks at, RFC 5230 §4.5);
7. `from-me` — `From` is one of my addresses;
8. `not-for-me` — none of my addresses in `To`, `Cc`, `Bcc`, `Resent-To`, `Resent-Cc` or
   `Resent-Bcc` (only when I have addresses; a copy sent to me as a hidden Bcc, whose
   `Bcc` the server removed, is such a mail too — as in Sieve's vacation);
9. `x-loop` — an `X-Loop` naming one of my addresses;

and `replied-recently` (header None): a sender who already had a reply within
`reply_once_days` — `replied_recently` decides that, for the engine and the mail use case.

The robot local parts are ONE table, used for mail here and by the engine for every request
whose sender is an address (`engine.is_automated`). It is the union of the spec's list —
`MAILER-DAEMON`, `postmaster`, `LISTSERV`, `majordomo`, `noreply`, `no-reply`,
`do-not-reply`, `donotreply`, anything ending in `-request`, anything starting with `owner-`
— and the engine's older words: `bounce(s)`, `notification(s)`, `automated`, `daemon`, and
anything ending in `-bounces` or `-owner`. The fixed words may carry a suffix after `+`, `.`,
`_` or `-` (`noreply+shop`, `notifications.github`), the endings a `+tag`; all
case-insensitive.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import NamedTuple

from boundaries.core.echo import clip
from boundaries.core.mail import MailMessage, Suppressed, same_address
from boundaries.core.text import visible

# a robot's local part (see the module docstring for the words and where they come from)
_ROBOT_LOCAL = re.compile(
    r"(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?|notifications?|"
    r"automated|daemon|listserv|majordomo)(?:[+._-].*)?"
    r"|.*(?:-bounces|-request|-owner)(?:\+.*)?"
    r"|owner-.*", re.IGNORECASE | re.DOTALL)

LIST_HEADERS = ("List-Id", "List-Help", "List-Subscribe", "List-Unsubscribe", "List-Post",
                "List-Owner", "List-Archive")
RECIPIENT_HEADERS = ("To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc")
_ADDRESS = re.compile(r"[^\s<>,;:\"()\[\]]+@[^\s<>,;:\"()\[\]]+")
_VALUE_LIMIT = 50  # a header value quoted in a reason: its first characters only


def robot_local_part(local: str) -> bool:
    """Whether a local part (`noreply`, `MAILER-DAEMON`, `list-request`) is a robot's."""
    return _ROBOT_LOCAL.fullmatch(local.strip()) is not None


def is_robot_address(address: str) -> bool:
    """Whether a bare address (`noreply@shop.example`) is a robot's or a list's; an address
    without `@` is read as a local part alone (`MAILER-DAEMON`)."""
    address = address.strip().strip("<>")
    local = address.rpartition("@")[0] if "@" in address else address
    return bool(local) and robot_local_part(local)


def addresses_in(value: str) -> list[str]:
    """The bare addresses written in a header value (display names and brackets dropped)."""
    return _ADDRESS.findall(value)


def _mine(address: str, addresses: tuple[str, ...]) -> bool:
    return any(same_address(address, a) for a in addresses)


class Rule(NamedTuple):
    """One no-reply rule: its stable name, the headers it reads, how it is worded, and its
    test — the (header, value) that shows it holds, or None."""

    name: str
    headers: tuple[str, ...]
    wording: str  # "no reply to a mailing list": the header and value follow in brackets
    holds: Callable[[MailMessage, tuple[str, ...]], tuple[str, str] | None]


def _values(msg: MailMessage, name: str) -> tuple[str, ...]:
    return tuple(msg.headers.get(name.lower(), ()))


_COMMENT = re.compile(r"\([^()]*\)")  # an RFC 5322 comment (not nested): folding space


def _keyword(value: str) -> str:
    """A header's first word, its parameters after `;` and its comments left out."""
    return _COMMENT.sub(" ", value.split(";", 1)[0]).strip().lower()


def _auto_submitted(msg: MailMessage, _: tuple[str, ...]) -> tuple[str, str] | None:
    for v in _values(msg, "Auto-Submitted"):
        if _keyword(v) != "no":
            return "Auto-Submitted", v
    return None


def _precedence(msg: MailMessage, _: tuple[str, ...]) -> tuple[str, str] | None:
    for v in _values(msg, "Precedence"):
        if _keyword(v) in {"bulk", "list", "junk"}:
            return "Precedence", v
    return None


def _list(msg: MailMessage, _: tuple[str, ...]) -> tuple[str, str] | None:
    for name in LIST_HEADERS:
        values = _values(msg, name)
        if values:
            return name, values[0]
    return None


def _auto_response_suppress(msg: MailMessage, _: tuple[str, ...]) -> tuple[str, str] | None:
    for v in _values(msg, "X-Auto-Response-Suppress"):
        if {w.lower() for w in re.split(r"[\s,;]+", v)} & {"oof", "all"}:
            return "X-Auto-Response-Suppress", v
    return None


def _null_return_path(msg: MailMessage, _: tuple[str, ...]) -> tuple[str, str] | None:
    for v in _values(msg, "Return-Path"):
        if re.fullmatch(r"\s*<\s*>\s*", v):
            return "Return-Path", v
    return None


def _robot_sender(msg: MailMessage, _: tuple[str, ...]) -> tuple[str, str] | None:
    if msg.from_address and is_robot_address(msg.from_address):
        return "From", msg.from_address
    for v in _values(msg, "Return-Path"):
        for a in addresses_in(v):
            if is_robot_address(a):
                return "Return-Path", a
    return None


def _from_me(msg: MailMessage, addresses: tuple[str, ...]) -> tuple[str, str] | None:
    if msg.from_address and _mine(msg.from_address, addresses):
        return "From", msg.from_address
    return None


def _not_for_me(msg: MailMessage, addresses: tuple[str, ...]) -> tuple[str, str] | None:
    if not addresses or any(_mine(r, addresses) for r in msg.recipients):
        return None
    for name in RECIPIENT_HEADERS:  # the first recipient header written, to show
        values = _values(msg, name)
        if values:
            return name, ", ".join(values)
    return "To", "none"


def _x_loop(msg: MailMessage, addresses: tuple[str, ...]) -> tuple[str, str] | None:
    for v in _values(msg, "X-Loop"):
        if any(_mine(a, addresses) for a in addresses_in(v)):
            return "X-Loop", v
    return None


RULES: tuple[Rule, ...] = (
    Rule("auto-submitted", ("Auto-Submitted",), "no reply to an automatic message",
         _auto_submitted),
    Rule("precedence", ("Precedence",), "no reply to bulk mail", _precedence),
    Rule("list", LIST_HEADERS, "no reply to a mailing list", _list),
    Rule("auto-response-suppress", ("X-Auto-Response-Suppress",),
         "no automatic reply: the sender asked for none", _auto_response_suppress),
    Rule("null-return-path", ("Return-Path",), "no reply to a bounce or a notification",
         _null_return_path),
    Rule("robot-sender", ("From", "Return-Path"), "no reply to a robot or a mailing list",
         _robot_sender),
    Rule("from-me", ("From",), "no reply to my own mail", _from_me),
    Rule("not-for-me", RECIPIENT_HEADERS, "no reply to mail not addressed to me", _not_for_me),
    Rule("x-loop", ("X-Loop",), "no reply: this mail has already passed through me", _x_loop),
)
REPLIED_RECENTLY = "replied-recently"
RULE_NAMES = (*(r.name for r in RULES), REPLIED_RECENTLY)


def _shown(value: str) -> str:
    """A header value as a reason quotes it: one line, short, nothing a terminal obeys."""
    return visible(clip(" ".join(value.split()), _VALUE_LIMIT), multiline=False)


def suppression(msg: MailMessage, addresses: tuple[str, ...]) -> Suppressed | None:
    """The first no-reply rule that holds for `msg` (my `addresses` from me.toml), or None:
    a reply may go to it."""
    for rule in RULES:
        found = rule.holds(msg, addresses)
        if found is not None:
            header, value = found
            return Suppressed(rule.name, header, f"{rule.wording} ({header}: {_shown(value)})")
    return None


def replied_recently(replies_sent: Mapping[str, datetime], key: str | None, at: datetime,
                     days: int) -> datetime | None:
    """When the reply `key` (None: any reply) last went to this sender, if that was less
    than `days` days before `at`; else None (also when `days` is 0: the rule is off)."""
    if not days:
        return None
    last = max(replies_sent.values(), default=None) if key is None else replies_sent.get(key)
    if last is not None and at - last < timedelta(days=days):
        return last
    return None


def replied_recently_suppressed(last: datetime, days: int, tz: tzinfo) -> Suppressed:
    """The `replied-recently` rule's value: a reply went to this sender at `last`, less than
    `days` days ago (shown in my timezone `tz`)."""
    when = last.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return Suppressed(REPLIED_RECENTLY, None,
                      f"no second reply within {days} days: one went to this sender on "
                      f"{when}")


__all__ = ["LIST_HEADERS", "RECIPIENT_HEADERS", "REPLIED_RECENTLY", "RULES", "RULE_NAMES",
           "Rule", "addresses_in", "is_robot_address", "replied_recently",
           "replied_recently_suppressed", "robot_local_part", "suppression"]
