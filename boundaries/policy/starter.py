"""The small, commented starter set that `boundaries init` writes."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

SCHEMA_DIR = ".schema"


@dataclass(frozen=True)
class Settings:
    name: str
    timezone: str
    locale: str
    holidays: str | None
    calendars: tuple[str, ...] = ()  # paths as the user gave them (absolute or ~)


def detect() -> Settings:
    """Defaults from this machine: $TZ or /etc/localtime, $LANG, the login's full name."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if not tz:
        try:
            target = os.path.realpath("/etc/localtime")
            tz = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
        except OSError:
            tz = ""
    lang = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    code = lang.split(".")[0]  # de_AT.UTF-8 -> de_AT
    locale = code.split("_")[0].lower() if code and code not in ("C", "POSIX") else "en"
    country = code.split("_")[1].upper() if "_" in code else None
    name = ""
    try:
        import pwd

        entry = pwd.getpwuid(os.getuid())
        name = entry.pw_gecos.split(",")[0] or entry.pw_name
    except (ImportError, KeyError, OSError):
        name = os.environ.get("USER", "")
    return Settings(name=name or "Your Name", timezone=tz or "UTC",
                    locale=locale if locale in ("de", "en") else "en", holidays=country)


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    import json

    return json.dumps(text, ensure_ascii=False)


WEEKS_SEARCHED = 52  # for a Wednesday the calendars leave free; then the first plain one
# the wall-clock times checks.toml decides at: (days after the Wednesday, time)
CHECK_TIMES = ((0, time(10, 0)), (0, time(19, 30)), (1, time(9, 0)))


def _plain_wednesday(holidays: dict[date, str], start: date,
                     busy: Callable[[datetime], bool] | None = None) -> date:
    """The first Wednesday from `start` such that it and the Thursday after are workdays
    and, given `busy` (whether my calendars hold me at a wall-clock time), every time of
    CHECK_TIMES is free: the starter's checks hold on the day they are written. None free
    within a year: the first plain Wednesday (its checks fail until they are moved)."""
    wed = start + timedelta(days=(2 - start.weekday()) % 7)
    first = None
    for _ in range(WEEKS_SEARCHED):
        if wed not in holidays and wed + timedelta(days=1) not in holidays:
            first = first or wed
            if busy is None or not any(busy(datetime.combine(wed + timedelta(days=d), t))
                                       for d, t in CHECK_TIMES):
                return wed
        wed += timedelta(days=7)
    return first or wed


def _calendars_toml(paths: tuple[str, ...]) -> str:
    """me.toml's `[[calendars]]` tables for `paths`, or a commented example."""
    head = ("\n# My calendars: a timed event makes me busy (`later`, reply `busy`), an all-day "
            "event\n# away. `path` is an .ics file or a folder of them (a vdir, as vdirsyncer "
            "and khal\n# keep them); see docs/calendars.md.\n")
    if not paths:
        return head + '# [[calendars]]\n# path = "~/.calendars/work"\n'
    tables = [f'[[calendars]]\npath = {_q(p)}\ntimed = "busy"       # or "ignore"\n'
              'all_day = "away"     # or "busy", "ignore"\n' for p in paths]
    return head + "\n".join(tables)


def _header(kind: str, depth: int) -> str:
    """The taplo / Even Better TOML directive, relative to the file."""
    up = "../" * depth if depth else "./"
    return f"#:schema {up}{SCHEMA_DIR}/{kind}.schema.json\n"


def files(s: Settings, holidays: dict[date, str], today: date,
          busy: Callable[[datetime], bool] | None = None) -> dict[str, str]:
    """Relative path -> text of every starter file. `busy(t)`: whether my calendars hold me
    at wall-clock time `t` (the checks are set on a day they leave free)."""
    wed = _plain_wednesday(holidays, date(today.year + 1, 1, 8), busy)
    thu = wed + timedelta(days=1)
    hol = f"holidays = {_q(s.holidays)}" if s.holidays else '# holidays = "AT-9"'
    out = {
        "me.toml": _header("me", 0) + f'''\
# Who I am. Every window in tiers/ is wall-clock time in `timezone`.
name = {_q(s.name)}
timezone = {_q(s.timezone)}
locale = {_q(s.locale)}              # default language of replies (replies/<locale>.toml)
{hol}                      # public holidays region, e.g. "AT-9", "DE-BY", "DE"
callback_landlines = true          # false: never call back a fixed-line number

# Time off, both dates inclusive:
# [[away]]
# from = 2026-08-03
# to = 2026-08-14
# reason = "Urlaub"
''' + _calendars_toml(s.calendars),
        "clients.toml": _header("clients", 0) + '''\
# My clients, one [clients.<id>] table each; add more with `boundaries client add`.
# Phone numbers in any format; they are compared after normalising to +country form.

[clients.example]
name = "Example Ltd"
tier = "standard"
phones = ["+43 660 0000001"]
emails = ["office@example.com"]
notes = "Replace me with a real client."
''',
        "tiers/standard.toml": _header("tier", 1) + '''\
# A tier: how a kind of client may reach me. The file name is the tier's name.
description = "Office hours, no work outside them"
channels = ["call", "sms", "email"]   # a chat is declined politely (reply `wrong-channel`)
callback = "always"                   # "always", "on-request" or "never"

[hours]                               # mon … sun, ranges like mon-fri, or daily
mon-fri = ["09:00-12:00", "13:00-17:00"]

[extra_effort]                        # answering outside hours
allowed = false
''',
        "tiers/priority.toml": _header("tier", 1) + '''\
# Important clients: longer hours, and urgent calls after hours within a monthly budget.
description = "Long hours; urgent calls after hours, 3 a month"

[hours]
mon-fri = "08:00-18:00"

[extra_effort]
allowed = true
per_month = 3
min_urgency = "urgent"

# Exceptions come first; the first whose `when` holds decides.
[[rules]]
when = { hours = "out", urgency = ["urgent", "emergency"], channel = "call" }
decide = "answer"
note = "urgent calls after hours"
''',
        "tiers/unknown.toml": _header("tier", 1) + '''\
# Senders that match no client: please write instead of calling.
description = "Unknown senders: SMS or mail"
channels = ["sms", "email"]
callback = "never"

[hours]
mon-fri = "09:00-16:00"
''',
    }
    for loc in ("de", "en"):
        out[f"replies/{loc}.toml"] = _header("replies", 1) + _REPLIES[loc]
    out["checks.toml"] = _header("checks", 0) + f'''\
# Examples that must keep holding: `boundaries test`. `at` is my wall-clock time.

[[check]]
name = "A client's call in office hours is answered"
from = "example"
at = "{wed.isoformat()}T10:00"
expect = "answer"

[[check]]
name = "After hours: later, from the next morning"
from = "example"
at = "{wed.isoformat()}T19:30"
expect = "later"
next = "{thu.isoformat()}T09:00"
reply_key = "after-hours"

[[check]]
name = "A chat is not a channel of the standard tier"
from = "example"
channel = "chat"
at = "{wed.isoformat()}T10:00"
expect = "decline"
reply_key = "wrong-channel"

[[check]]
name = "An unknown number is asked to write"
from = "+43 699 00000009"
at = "{wed.isoformat()}T10:00"
expect = "decline"
callback = "never"
'''
    return out


_REPLIES = {
    "de": '''# Antwortvorlagen. Platzhalter: {next}, {next_date}, {next_time}, {my_name},
# {client_name}, {channels}. Schlüssel mit -discreet nennen niemanden.
after-hours = """
Guten Tag,

danke für Ihre Nachricht. Ich bin gerade nicht erreichbar und melde mich {next}.

Viele Grüße
{my_name}"""
holiday = """
Guten Tag,

heute ist Feiertag; ich bin {next} wieder für Sie da.

Viele Grüße
{my_name}"""
away = """
Guten Tag,

ich bin derzeit nicht im Büro und {next} wieder erreichbar.

Viele Grüße
{my_name}"""
busy = """
Guten Tag,

danke für Ihre Nachricht. Ich bin gerade in einem Termin und {next} wieder erreichbar.

Viele Grüße
{my_name}"""
wrong-channel = """
Guten Tag,

bitte schreiben Sie mir per {channels}; ich melde mich {next}.

Viele Grüße
{my_name}"""
declined = """
Guten Tag,

danke für Ihre Anfrage. Das kann ich in diesem Rahmen leider nicht übernehmen.
Gern besprechen wir eine andere Lösung – am einfachsten per {channels}.

Viele Grüße
{my_name}"""
confirm = """
Guten Tag,

wie besprochen fasse ich unsere Vereinbarung kurz zusammen: …
Bitte bestätigen Sie mir das kurz per E-Mail.

Viele Grüße
{my_name}"""
''',
    "en": '''# Reply templates. Placeholders: {next}, {next_date}, {next_time}, {my_name},
# {client_name}, {channels}. Keys ending in -discreet name nobody.
after-hours = """
Hello,

thank you for your message. I am not available right now and will get back to you {next}.

Best regards,
{my_name}"""
holiday = """
Hello,

today is a public holiday here; I will be back {next}.

Best regards,
{my_name}"""
away = """
Hello,

I am out of the office and back {next}.

Best regards,
{my_name}"""
busy = """
Hello,

thank you for your message. I am in a meeting right now and available again {next}.

Best regards,
{my_name}"""
wrong-channel = """
Hello,

could you please reach me by {channels}? I will get back to you {next}.

Best regards,
{my_name}"""
declined = """
Hello,

thank you for your request. I am afraid I cannot take this on within our arrangement.
I would be glad to discuss another way – the easiest is by {channels}.

Best regards,
{my_name}"""
confirm = """
Hello,

as just discussed, a short summary of what we agreed: …
Could you briefly confirm by mail? Thank you!

Best regards,
{my_name}"""
''',
}


def schema_files() -> dict[str, str]:
    """`.schema/<kind>.schema.json` -> JSON text, for the `#:schema` directives."""
    import json

    from boundaries.policy.json_schema import KINDS, schema_for

    return {f"{SCHEMA_DIR}/{k}.schema.json": json.dumps(schema_for(k), indent=2) + "\n"
            for k in KINDS}


def blocked(root: Path, rels: Iterable[str]) -> list[tuple[Path, str]]:
    """What stands in the way of writing `rels` under `root`: a file (or anything but a
    folder) where a folder must be, and anything at all where a file must go."""
    problems: dict[Path, str] = {}
    for rel in sorted(rels):
        path = root / rel
        for folder in [None, *reversed(path.relative_to(root).parents[:-1])]:
            here = root if folder is None else root / folder
            if os.path.lexists(here) and not here.is_dir():
                problems.setdefault(here, "is a file; init needs a folder there")
                break
        else:
            if os.path.lexists(path):
                problems[path] = "exists already; init never overwrites"
    return sorted(problems.items())


def write_all(root: Path, texts: dict[str, str]) -> None:
    """Write new files atomically; personal data (me, clients) readable by the user only.
    All or nothing: on an OSError, what this call made is removed again and it re-raises."""
    from boundaries.fsutil import atomic_write

    made: list[Path] = []  # files and folders, in the order they were made
    try:
        for rel, text in texts.items():
            path = root / rel
            missing = [d for d in (path.parent, *path.parent.parents) if not d.exists()]
            for folder in reversed(missing):
                folder.mkdir()
                made.append(folder)
            mode = 0o600 if rel in ("me.toml", "clients.toml") else 0o644
            if os.path.lexists(path):  # appeared since the check
                raise FileExistsError(errno.EEXIST, "exists already", str(path))
            atomic_write(path, text.encode("utf-8"), mode=mode)
            made.append(path)
    except OSError:
        for path in reversed(made):
            with contextlib.suppress(OSError):
                if path.is_dir():
                    path.rmdir()  # only if empty: never what someone else put there
                else:
                    path.unlink()
        raise
