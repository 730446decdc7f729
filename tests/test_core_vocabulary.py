"""Each fixed word once: the schema, the JSON Schema, the ranks, the repeat window, the day
and month names and the user-facing errors all follow `core/vocabulary.py`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

import pytest

from boundaries.core import vocabulary as V
from boundaries.core.errors import BoundariesError
from boundaries.core.hours import HoursError, summarize_week
from boundaries.core.replies import TemplateError
from boundaries.journal.schema import EntryError
from boundaries.policy import schema as S
from boundaries.policy.json_schema import DAY_KEY, schema_for
from boundaries.policy.locales import names_for
from boundaries.policy.schema import Field
from boundaries.policy.senders import SenderError
from boundaries.policy.timeparse import TimeError
from boundaries.replay.input import InputError
from boundaries.replay.run import BadRow

WORD_LISTS = {V.CHANNELS, V.KINDS, V.URGENCIES, V.DECISIONS, V.CALLBACKS, V.TRUSTS,
              V.HOURS_VALUES}


def _fields(table: Mapping[str, Field], path: str = "") -> Iterator[tuple[str, Field]]:
    for name, f in table.items():
        yield path + name, f
        yield from _fields(f.fields, f"{path}{name}.")
        if f.values is not None:
            yield from _fields(f.values.fields, f"{path}{name}.*.")


def _enums(node: object) -> Iterator[list]:
    if isinstance(node, dict):
        if "enum" in node:
            yield node["enum"]
        for value in node.values():
            yield from _enums(value)
    elif isinstance(node, list):
        for value in node:
            yield from _enums(value)


@pytest.mark.parametrize("table", [S.TIER, S.CLIENTS, S.CHECKS], ids=["tier", "clients",
                                                                       "checks"])
def test_every_enum_of_the_schema_is_a_word_list_of_the_vocabulary(table):
    enums = [(name, f.enum) for name, f in _fields(table) if f.enum is not None]
    assert enums
    for name, enum in enums:
        assert enum in WORD_LISTS, name


@pytest.mark.parametrize("kind", ["clients", "tier", "checks"])
def test_the_json_schema_enums_equal_the_vocabulary(kind):
    found = list(_enums(schema_for(kind)))
    assert found
    for enum in found:
        assert tuple(enum) in WORD_LISTS


def test_the_json_schema_names_the_channels_and_callbacks_in_order():
    props = schema_for("tier")["properties"]
    assert props["callback"]["enum"] == list(V.CALLBACKS)
    assert props["channels"]["items"]["enum"] == list(V.CHANNELS)
    assert S.TIER["channels"].default == list(V.CHANNELS)
    assert S.TIER["in_writing"].default == list(V.IN_WRITING_KINDS)


def test_day_keys_of_the_json_schema_are_the_vocabulary_days():
    for day in V.DAYS:
        assert re.fullmatch(DAY_KEY, day) and re.fullmatch(DAY_KEY, f"{day}-{V.DAYS[0]}")
    assert not re.fullmatch(DAY_KEY, "mo")


def test_ranks_follow_the_order_of_their_word_lists():
    assert list(V.URGENCY_RANK) == list(V.URGENCIES)
    assert list(V.CALLBACK_RANK) == list(V.CALLBACKS)
    assert [V.URGENCY_RANK[u] for u in V.URGENCIES] == list(range(len(V.URGENCIES)))
    assert V.CALLBACK_RANK["always"] == 0 and V.CALLBACK_RANK["never"] == 2


def test_the_repeat_window_is_one_fact():
    assert V.REPEAT_WINDOW.total_seconds() == V.REPEAT_SECONDS == V.REPEAT_MINUTES * 60
    assert f"{V.REPEAT_MINUTES} minutes" in S.CONDITIONS["repeat"].doc


def test_every_day_name_table_has_seven_days_monday_first():
    tables = [V.DAYS, V.DAY_NAMES_EN, V.DAY_ABBREVIATIONS_EN, V.EN_NAMES["days"],
              names_for("en")["days"], names_for("de")["days"], names_for("xx-YY")["days"]]
    for table in tables:
        assert len(table) == 7
    assert [d[:3].lower() for d in V.DAY_NAMES_EN] == list(V.DAYS)
    assert V.DAY_ABBREVIATIONS_EN == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    assert names_for("de")["days"][0] == "Montag" and names_for("de")["days"][6] == "Sonntag"
    assert summarize_week((((480, 720),),) * 5 + ((),) * 2) == "Mon–Fri 08:00–12:00"


def test_every_month_name_table_has_twelve_months_january_first():
    for table in (V.MONTH_NAMES_EN, names_for("en")["months"], names_for("de")["months"]):
        assert len(table) == 12
    assert V.MONTH_NAMES_EN[0] == "January" and names_for("de")["months"][2] == "März"
    assert names_for("en") == V.EN_NAMES


@pytest.mark.parametrize("cls", [HoursError, TemplateError, TimeError, SenderError, EntryError,
                                 InputError, BadRow])
def test_every_user_facing_error_has_the_one_base_and_its_hint(cls):
    assert issubclass(cls, BoundariesError)
    assert cls("message").hint is None
    exc = cls("message", "a fix")
    assert str(exc) == "message" and exc.hint == "a fix"


@pytest.mark.parametrize("cls", [HoursError, TemplateError, TimeError, SenderError, EntryError])
def test_errors_that_were_value_errors_still_are(cls):
    assert issubclass(cls, ValueError)
