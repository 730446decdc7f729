"""Running the policy tests of checks.toml (always with an empty journal)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from boundaries.core.engine import decide
from boundaries.core.model import Check, PolicySet
from boundaries.core.request import Decision, Request
from boundaries.core.time import zone
from boundaries.policy.senders import SenderError, resolve_sender
from boundaries.policy.timeparse import TimeError, parse_at


class CheckResult(NamedTuple):
    check: Check
    passed: bool
    problems: tuple[str, ...]
    decision: Decision | None


def build_request(ps: PolicySet, fields: dict, now: datetime) -> Request:
    """A Request from check/CLI fields (`from`, `channel`, `at`, `kind`, `urgency`)."""
    tz = zone(ps.me.timezone)
    at = fields.get("at")
    if isinstance(at, datetime):
        at = at.isoformat()
    when = parse_at(at, tz, now) if at is not None else now.astimezone(tz)
    return Request(
        sender=resolve_sender(ps, str(fields["from"])),
        at=when,
        channel=fields.get("channel", "call"),
        kind=fields.get("kind", "question"),
        urgency=fields.get("urgency", "normal"),
    )


def run_one_check(ps: PolicySet, check: Check) -> CheckResult:
    """Decide one check and compare every expectation it states."""
    f = dict(check.fields)
    tz = zone(ps.me.timezone)
    try:
        req = build_request(ps, f, datetime(2000, 1, 1, tzinfo=tz))
    except (SenderError, TimeError) as exc:
        return CheckResult(check, False, (f"bad request: {exc}",), None)
    d = decide(ps, req)
    problems = []
    if d.decision != f["expect"]:
        why = d.reasons[0].text if d.reasons else ""
        problems.append(f"expected {f['expect']}, got {d.decision} ({why})")
    if "next" in f:
        nxt = f["next"].isoformat() if isinstance(f["next"], datetime) else str(f["next"])
        got = d.next_window[0] if d.next_window else None
        try:  # lint read it in UTC; in my timezone it may still leave the supported years
            want = parse_at(nxt, tz, req.at)
        except TimeError as exc:
            problems.append(f"bad next: {exc}")
        else:
            if got is None or got != want:
                shown = got.strftime("%Y-%m-%dT%H:%M") if got else "none"
                problems.append(f"expected next window at {want.strftime('%Y-%m-%dT%H:%M')}, "
                                f"got {shown}")
    if "callback" in f and d.callback != f["callback"]:
        problems.append(f"expected callback {f['callback']}, got {d.callback}")
    if "in_writing" in f and d.in_writing != f["in_writing"]:
        problems.append(f"expected in_writing = {str(f['in_writing']).lower()}, got "
                        f"{str(d.in_writing).lower()}")
    if "reply_key" in f:
        got_key = d.reply.key if d.reply else None
        if got_key != f["reply_key"] and not (
                got_key and got_key == f"{f['reply_key']}-discreet"):
            problems.append(f"expected reply `{f['reply_key']}`, got "
                            f"{'`' + got_key + '`' if got_key else 'none'}")
    return CheckResult(check, not problems, tuple(problems), d)


def run_checks(ps: PolicySet) -> list[CheckResult]:
    """Every check of the set, in file order."""
    return [run_one_check(ps, c) for c in ps.checks]
