"""Building a Tier from a tier file's parsed data: its hours, extra effort and rules. What
cannot be used is reported at its place and left out."""

from __future__ import annotations

from boundaries.core.diagnostics import suggest
from boundaries.core.hours import (
    HoursError,
    day_key_choices,
    merge_windows,
    parse_day_key,
    parse_window,
)
from boundaries.core.model import ExtraEffort, Rule, Tier
from boundaries.core.vocabulary import CHANNELS
from boundaries.policy import schema as S
from boundaries.policy.validate import FileCheck, a_toml_type

Week = tuple[tuple[tuple[int, int], ...], ...]


def build_tier(fc: FileCheck, data: dict, name: str) -> Tier:
    """The tier `name` of the file `fc` (`tiers/NAME.toml`), whose data is `data`."""
    v = fc.table(data, S.TIER, (), f"tier file {fc.rel}")
    week, day_sources, has_hours = _hours(fc, v.get("hours"))
    if "hours" not in data:
        fc.report((), f"tier `{name}` has no [hours]: it is never reachable",
                  "add e.g. `[hours]` with `mon-fri = \"09:00-17:00\"`",
                  severity="warning")
    ee_data = v.get("extra_effort", {})
    ee = fc.table(ee_data, S.EXTRA_EFFORT, ("extra_effort",), "[extra_effort]")
    ee_sources = {k: fc.source(("extra_effort", k)) for k in ee_data
                  if fc.loc.has(("extra_effort", k))}
    if "extra_effort" in data:
        ee_sources["table"] = fc.source(("extra_effort",))
    extra = ExtraEffort(allowed=ee.get("allowed", False), per_month=ee.get("per_month"),
                        min_urgency=ee.get("min_urgency", "urgent"),
                        sources=dict(ee_sources))
    channels = tuple(dict.fromkeys(v.get("channels", CHANNELS)))
    rules = [_rule(fc, i, r) for i, r in enumerate(v.get("rules", []))]
    sources = {k: fc.source((k,)) for k in data if fc.loc.has((k,))}
    return Tier(
        name=name, description=v.get("description", ""), channels=channels,
        week=week, day_sources=day_sources, has_hours=has_hours,
        on_holidays=v.get("on_holidays", False), callback=v.get("callback", "always"),
        discreet=v.get("discreet", False),
        in_writing=frozenset(v.get("in_writing", ("change", "billing", "complaint"))),
        extra_effort=extra, rules=tuple(r for r in rules if r is not None), path=fc.rel,
        sources=dict(sources),
    )


def _hours(fc: FileCheck, table: dict | None) -> tuple[Week, tuple[str, ...], bool]:
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    sources = [fc.source(("hours",)) if table is not None else "builtin"] * 7
    if not table:
        return tuple(() for _ in range(7)), tuple(sources), False
    owner: dict[tuple[int, int], str] = {}  # (day, specificity) -> key
    best = [-1] * 7
    parsed: list[tuple[str, tuple[int, ...], int, list]] = []
    for key, value in table.items():
        path = ("hours", key)
        try:
            days, spec = parse_day_key(key)
        except HoursError as exc:
            fc.report(path, str(exc), exc.hint or suggest(key, day_key_choices())
                      or "use `mon`…`sun`, a range like `mon-fri`, or `daily`")
            continue
        clash = [owner[(d, spec)] for d in days if (d, spec) in owner]
        if clash:
            fc.report(path, f"day key `{key}` covers the same day as `{clash[0]}`",
                      "a single day overrides a range and a range overrides `daily`; "
                      "two keys of the same kind must not overlap")
            continue
        for d in days:
            owner[(d, spec)] = key
        windows = _windows(fc, path, key, value)
        if windows is None:
            continue
        parsed.append((key, days, spec, windows))
    for key, days, spec, windows in parsed:
        for d in days:
            if spec > best[d]:
                best[d] = spec
                week[d] = windows
                sources[d] = fc.source(("hours", key))
    final = tuple(merge_windows(w) for w in week)
    return final, tuple(sources), True


def _windows(fc: FileCheck, path: tuple, key: str, value: object) -> list | None:
    if value == "off":
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for i, item in enumerate(items):
        ipath = (*path, i) if isinstance(value, list) else path
        if not isinstance(item, str):
            fc.report(ipath, f"a window must be a string `HH:MM-HH:MM`, not "
                      f"{a_toml_type(item)}", "e.g. `\"08:00-12:00\"`", at_value=True)
            return None
        if item == "off":
            fc.report(ipath, "`off` cannot stand in a list of windows",
                      f"write `{key} = \"off\"` or `{key} = []`", at_value=True)
            return None
        try:
            out.append(parse_window(item))
        except HoursError as exc:
            fc.report(ipath, str(exc), exc.hint, at_value=True)
            return None
    return out


def _rule(fc: FileCheck, i: int, data: dict) -> Rule | None:
    path = ("rules", i)
    v = fc.table(data, S.RULE, path, f"rule {i + 1}")
    when_data = v.get("when", {})
    when = fc.table(when_data, S.CONDITIONS, (*path, "when"), f"rule {i + 1}'s `when`")
    good = True
    if "client_time" in when:
        try:
            parse_window(when["client_time"])
        except HoursError as exc:
            fc.report((*path, "when", "client_time"), str(exc), exc.hint, at_value=True)
            good = False
    if "decide" not in v or len(when) != len(when_data) or not good:
        return None
    return Rule(index=i, when=tuple(when.items()), decide=v["decide"],
                reply=v.get("reply"), note=v.get("note"), source=fc.source(path))
