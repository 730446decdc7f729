"""Edge values for fuzzing, by schema type and by key: what lint must refuse or survive.

Every pool is plain data (or a `Raw` TOML text), so a mutation can be written down in a
failure report exactly as it was generated.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone

from boundaries.core.vocabulary import DAYS
from boundaries.policy.schema import Field

from .tomlgen import Raw

DEEP = 600  # nesting that broke tomllib and the cache write (issue #12, item 8)

CONTROL = [
    "E\x1b]0;PWNED\x07\x1b]52;c;aGFja2Vk\x07",  # retitle the terminal, write the clipboard
    "\x1b[2J\x1b[H", "red\x1b[31m", "\x9b31m", "bell\x07", "nul\x00", "a\rb", "del\x7f",
    "\u202egnp.exe", "line\u2028sep", "tab\there", "two\nlines", "\x1bP+q\x1b\\",
]
STRINGS = [
    "", " ", "x" * 5000, "ü" * 3000, "👩‍💻" * 400, "{next}", "{", "}", "{unknown}", "{{}}",
    "%s%n", "../../../etc/passwd", "a\\b", 'q"x', "NaN", "true", "0", "-1", "\ufeffbom",
    *CONTROL,
]
INTS: list[object] = [
    0, -1, 1, 2, -(2**63), 2**63 - 1, 2**64, 10**18, 740_000, 10**6, 2**31, 366, 10**100,
    Raw("1" + "0" * 5000), Raw("0x7fffffffffffffff"), Raw("-0"), Raw("+99"),
]
FLOATS: list[object] = [0.5, -0.0, 1e308, float("inf"), float("-inf"), float("nan"), 3.0]
DATES: list[object] = [
    date(1, 1, 1), date(9999, 12, 31), date(2024, 2, 29), date(2026, 1, 6),
    Raw("0000-01-01"), Raw("2026-02-30"), "2026-08-03", 20260803,
]
TOML_DATETIMES: list[object] = [
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59))),
    datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999), time(23, 59, 59, 999999),
    time(0, 0), Raw("9999-12-31T23:59:59Z"), Raw("0001-01-01T00:00:00-00:01"),
]
DATETIME_TEXTS = [
    "9999-12-31T23:59:59Z", "9999-12-31T23:59", "0001-01-01T00:00", "0001-01-01T00:00+14:00",
    "9999-12-31T23:59-12:00", "2026-02-30T10:00", "2026-01-08T18:20+99:00", "2026-03-29T02:30",
    "2026-10-25T02:30", "18:20", "2026-01-08", "2026-01-08T24:00", "+002026-01-08T10:00",
    "2026-W02-4T10:00", "20260108T1820", "2026-01-08T18:20:00.123456789", "2026-01-08T18:20",
]
WINDOWS = [
    "00:00-24:00", "23:59-00:00", "24:00-24:00", "00:00-00:00", "12:00-12:00", "22:00-06:00",
    "25:00-26:00", "08:00", "8-12", "08:00-12:00,13:00-14:00", "off", "", "08:00 - 12:00",
    "٠٨:٠٠-١٢:٠٠", "08:60-09:00", "-1:00-02:00", "08:00-12:00\x1b[2J", "07:30-18:00",
]
KEYS = ["", " ", "a.b", 'q"x', "back\\slash", "E\x1b]0;PWNED\x07", "x" * 5000, "ä",
        "1", "after-hours", "acme", "-", "Jörg"]
PHONES = ["+43 1", "0", "+999999999999999999999", "0664 1234567", "+43 732 123456", "00", "+",
          "x", "+43 664 5550101", "0" * 500, "+1 (555) 010-0000 ext. 99999999",
          "\x1b]0;x\x07+43 1", "+43 660 7788990"]
EMAILS = ["", "@", "a@b", "OFFICE@ACME.EXAMPLE", "x" * 5000 + "@y.example",
          "it@stahlwerk.example", "noreply@x.example", " a@b.example ", "\x1b[2J@x.example"]
TIMEZONES = ["Europe/Vienna", "UTC", "Etc/GMT+12", "Etc/GMT-14", "Pacific/Kiritimati",
             "Pacific/Pago_Pago", "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe",
             "Mars/Olympus", "../../../etc/passwd", "/etc/localtime", "x" * 5000, "",
             "europe/vienna", "EST5EDT", "Europe/Vienna\x00", "Asia/Tokyo"]
LOCALES = ["de", "en", "de_AT", "en-US", "zz", "x" * 5000, "../en", "", "DE", "ja",
           "\x1b]0;x\x07", "en_US.UTF-8"]
HOLIDAYS = ["AT-4", "DE", "DE-BY", "US-CA", "XX-99", "AT-99", "", "x" * 5000, "at-4", "JP"]
REGIONS = ["AT", "ZZ", "", "x" * 200, "at", "001", "JP"]
TIER_NAMES = ["unknown", "premium", "nope", "../me", "", "tiers/premium", "premium.toml",
              "x" * 5000, "Premium", "maintenance"]
REPLY_KEYS = ["after-hours", "nope", "", "away-discreet", "x" * 5000, "confirm", "holiday"]
TEMPLATES = ["{next}", "{unknown}", "{", "}", "{{", "{next:>999999}", "{next!r}", "{0}",
             "{next.__class__}", "{next[0]}", "{next:>9999999999999}", "x" * 100_000,
             "{my_name} {client_name} {channels} {next_date} {next_time}", *CONTROL]
SENDERS = ["acme", "+43 732 123456", "", "nobody", "x" * 5000, "office@acme.example", "+43 1",
           *CONTROL]


def deep_raw(rng: random.Random) -> Raw:
    """An array, inline table or mix nested DEEP (or far deeper) levels."""
    n = rng.choice([DEEP, DEEP, 5000])
    form = rng.randrange(3)
    if form == 0:
        return Raw("[" * n + "]" * n)
    if form == 1:
        return Raw("{a = " * n + "1" + "}" * n)
    return Raw("[{a = " * n + "1" + "}]" * n)


def any_value(rng: random.Random) -> object:
    """A value of any type: most often the wrong one."""
    pools: list[Callable[[], object]] = [
        lambda: rng.choice(INTS), lambda: rng.choice(FLOATS), lambda: rng.choice([True, False]),
        lambda: rng.choice(STRINGS), lambda: rng.choice(DATES),
        lambda: rng.choice(TOML_DATETIMES), lambda: [], lambda: {}, lambda: [1, "a"],
        lambda: {"a": 1}, lambda: [rng.choice(STRINGS)] * rng.choice([1, 2000]),
        lambda: deep_raw(rng),
    ]
    return rng.choice(pools)()


def _enum_value(rng: random.Random, enum: tuple[str, ...]) -> str:
    e = rng.choice(enum)
    return rng.choice([e, e, e.upper(), f" {e}", f"{e}\x1b[2J", "", "bogus", e + "x" * 5000])


def _one_or_many(rng: random.Random, enum: tuple[str, ...]) -> object:
    e = rng.choice(enum)
    return rng.choice([e, list(enum), [], [e] * 1000, "bogus", [[e]], [e, "bogus"],
                       list(enum) * 3, _enum_value(rng, enum)])


def _strings(rng: random.Random, f: Field, name: str) -> object:
    pool = {"phones": PHONES, "emails": EMAILS}.get(name)
    if f.enum:
        return _one_or_many(rng, f.enum) if rng.random() < 0.5 else \
            [_enum_value(rng, f.enum) for _ in range(rng.randrange(4))]
    item = (lambda: rng.choice(pool)) if pool else (lambda: rng.choice(STRINGS))
    return rng.choice([[], [""], [item()], [item(), item()], [1, 2], [[item()]],
                       [item()] * 2000, [item() for _ in range(50)]])


def _hours(rng: random.Random) -> object:
    day = rng.choice([*DAYS, "mon-fri", "sat-sun", "sun-mon", "mon-sun", "xyz", "MON", ""])
    w = rng.choice(WINDOWS)
    return rng.choice([
        {"mon-sun": "00:00-24:00"}, {"sun-mon": "08:00-12:00"}, {"mon": ["08:00-09:00"] * 500},
        {"mon": []}, {}, {"mon-fri": "off", "mon": "off"}, {day: w}, {day: [w, w]},
        {"mon": ["22:00-06:00", "05:00-23:00"]}, {d: "00:00-24:00" for d in DAYS},
        {d: rng.choice(WINDOWS) for d in DAYS}, {"mon": {"a": 1}}, {"mon": 8},
    ])


_BY_NAME: dict[str, list] = {
    "timezone": TIMEZONES, "locale": LOCALES, "holidays": HOLIDAYS, "region": REGIONS,
    "unknown_tier": TIER_NAMES, "tier": TIER_NAMES, "reply": REPLY_KEYS,
    "reply_key": REPLY_KEYS, "from": SENDERS,
}


_TYPED: dict[str, Callable[[random.Random, Field], object]] = {
    "string": lambda rng, f: rng.choice(f.enum) if f.enum else rng.choice(STRINGS),
    "int": lambda rng, f: rng.choice([0, 1, 2, 366, 740_000, 10**6, 2**31, 2**63 - 1]),
    "bool": lambda rng, f: rng.choice([True, False]),
    "date": lambda rng, f: rng.choice([date(1, 1, 1), date(9999, 12, 31), date(2024, 2, 29)]),
    "one-or-many": lambda rng, f: rng.choice([rng.choice(f.enum or ("x",)),
                                              list(f.enum or ("x",))]),
}


def edge_value(rng: random.Random, f: Field, name: str, typed: bool = False) -> object:
    """An edge value for key `name` of schema field `f`: near valid, extreme, or wrong.

    `typed`: of the right type (and for an enum, a valid value), so lint may pass and
    the value reaches the commands."""
    r = rng.random()
    if typed and f.type in _TYPED and not (name in _BY_NAME and r < 0.5):
        return _TYPED[f.type](rng, f)
    if not typed and r < 0.2:
        return any_value(rng)
    if not typed and r < 0.25:
        return deep_raw(rng)
    if name in _BY_NAME and f.type in ("string", "datetime-text") and rng.random() < 0.6:
        return rng.choice(_BY_NAME[name])
    t = f.type
    if t == "string":
        return _enum_value(rng, f.enum) if f.enum else rng.choice(STRINGS)
    if t == "int":
        return rng.choice(INTS)
    if t == "bool":
        return rng.choice([True, False, "true", 1, 0, Raw("True")])
    if t == "date":
        return rng.choice(DATES)
    if t == "datetime-text":
        return rng.choice(DATETIME_TEXTS) if rng.random() < 0.7 else rng.choice(TOML_DATETIMES)
    if t == "window":
        return rng.choice(WINDOWS)
    if t == "one-or-many":
        return _one_or_many(rng, f.enum or ("x",))
    if t == "strings":
        return _strings(rng, f, name)
    if t == "hours":
        return _hours(rng)
    if t == "key":
        return rng.choice(KEYS)
    if t in ("table", "map"):
        return rng.choice([{}, {"zzz": 1}, [], "table", {"a": {"b": {"c": 1}}}])
    if t == "tables":
        return rng.choice([[], [{}], [{}] * 1000, {}, "x", [1, 2]])
    return any_value(rng)


# -- the journal ----------------------------------------------------------------------------
JSON_VALUES: list[object] = [
    None, True, False, 0, -1, 2**63, 10**30, -(10**30), 1.5, float("nan"), float("inf"), "",
    "x" * 5000, [], ["x"], {}, {"a": 1}, "lots", *CONTROL,
]
JSON_BY_FIELD: dict[str, list[object]] = {
    "at": ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-23:59", "2026-01-08T18:20:00",
           "garbage", "", "2026-01-08T18:20:00+01:00\x1b]0;x\x07", "9999-12-31T23:59:59+14:00",
           "0001-01-01T00:00:00+14:00", "2026-01-08T18:20:00+01:00"],
    "recorded_at": ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "x"],
    "client": ["nobody", "acme", 'q"x', "E\x1b]0;PWNED\x07", "x" * 5000],
    "sender": ["client:acme", "number:+43", "", "client:", "client:nobody"],
    "minutes": [-1, 2**63, 10**30, 1.5, "lots", 10**6],
    "reply_key": [["x"], "after-hours", {"a": 1}],
    "id": ["", "x", "01M8SH7NDD5M8X5TG09371AXF0", 1],
    "outcome": ["answered", "ANSWERED", "lost", ""],
    "decision": ["answer", "later", "decline", "maybe"],
    "extra_effort": [True, "yes", 1],
    "within_hours": [True, "no", 0],
}


def json_value(rng: random.Random, name: str) -> object:
    """An edge value for journal field `name` (`Raw` JSON text for deep nesting)."""
    r = rng.random()
    if r < 0.1:
        n = rng.choice([DEEP, 5000, 100_000])
        return Raw("[" * n + "]" * n)
    if r < 0.5 and name in JSON_BY_FIELD:
        return rng.choice(JSON_BY_FIELD[name])
    return rng.choice(JSON_VALUES)
