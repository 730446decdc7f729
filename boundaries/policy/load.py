"""Reading a policy folder into a PolicySet, collecting every problem as a Diagnostic."""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from boundaries.core import schema as S
from boundaries.core.diagnostics import Diagnostic, sort_diagnostics, suggest
from boundaries.core.hours import (
    HoursError,
    day_key_choices,
    merge_windows,
    parse_day_key,
    parse_window,
)
from boundaries.core.model import (
    URGENCY_RANK,
    Away,
    Check,
    Client,
    ExtraEffort,
    HolidayTable,
    Me,
    PolicySet,
    Rule,
    Template,
    Tier,
)
from boundaries.core.replies import template_problems
from boundaries.policy.files import FileRefused, fingerprint, policy_files, read_policy_file
from boundaries.policy.locales import is_locale_code, locale_problem
from boundaries.policy.result import LoadResult
from boundaries.policy.senders import folded_index
from boundaries.policy.tomldepth import MAX_DEPTH, position, too_deep
from boundaries.policy.tomlpos import Locator
from boundaries.policy.validate import FileCheck

_LONG_INT = re.compile(r"[0-9][0-9_]{4300,}")
_SYNTAX = re.compile(r"^(?P<msg>.*?) \(at line (?P<line>\d+), column (?P<col>\d+)\)$")
# What tomllib, phonenumbers, holidays and pendulum answered, keyed by the question, e.g.
# ("phone", "0664 1234567", "AT") -> ("+436641234567", "mobile"), or a file's bytes (their
# hash) -> its parsed data and positions, or clients.toml's bytes (and what else its checks
# read) -> its clients and diagnostics (see `load_clients`). A load records every answer it
# used, and the next load of the same folder starts from them: asking these libraries (and
# importing them) is most of a cold load.
Memo = dict[tuple, Any]
T = TypeVar("T")


class _Loader:
    def __init__(self, root: Path, memo: Memo | None = None) -> None:
        self.root = root
        self.memo = memo or {}
        self.answers: Memo = {}  # what this load asked, to seed the next one
        self.diags: list[Diagnostic] = []
        self.checks: dict[str, FileCheck] = {}
        self.me_unreadable = False  # then national phone numbers cannot be judged
        self.phone_types: dict[str, str] = {}  # E.164 -> line type, of every client number
        self.files = {f.relative_to(root).as_posix(): f for f in policy_files(root)}
        self.tier_files = {f.stem for f in self.listed("tiers")}

    def listed(self, folder: str) -> list[Path]:
        """The policy files in tiers/ or replies/, in order, whatever their kind (a folder
        or a FIFO named `x.toml` is read, and reported, like any other)."""
        return [f for rel, f in self.files.items() if rel.startswith(f"{folder}/")]

    # -- reading ---------------------------------------------------------------
    def read(self, rel: str, keep: bool = True, raw: bytes | None = None) -> dict | None:
        """A policy file's data (a problem is reported, then None); its parse is kept for the
        next load unless `keep` is false. `raw`: its bytes, if the caller read them."""
        if raw is None:
            try:
                raw = read_policy_file(self.root / rel)
            except FileRefused as exc:  # not a regular file, or too large: never read
                self.diags.append(Diagnostic(rel, 1, 1, "error", exc.message, exc.hint))
                return None
            except OSError as exc:
                self.diags.append(Diagnostic(rel, 1, 1, "error",
                                             f"cannot read file: {exc.strerror or exc}"))
                return None
        try:
            text = raw.decode("utf-8-sig")  # a byte order mark (some Windows editors) is fine
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            self.diags.append(Diagnostic(rel, line, col, "error",
                                         "file is not UTF-8 text",
                                         "save it as UTF-8; TOML files must be UTF-8"))
            return None
        if "\0" in text:
            self.diags.append(Diagnostic(rel, 1, 1, "error", "file is binary, not TOML text"))
            return None
        key = ("toml", hashlib.blake2b(raw, digest_size=16).digest())
        parsed = None
        if key not in self.memo:  # else the last load parsed and indexed these bytes
            data = _parse(rel, text)
            if isinstance(data, Diagnostic):
                self.diags.append(data)
                return None
            parsed = (data, Locator(text, data))
        data, loc = self.memo.get(key, parsed)
        if keep:
            self.answers[key] = (data, loc)
        self.checks[rel] = FileCheck(rel, text, self.diags, loc)
        return data

    @functools.cached_property
    def reply_locales(self) -> frozenset[str]:
        """The locales the set has replies for (the stems of replies/*.toml)."""
        return frozenset(f.stem for f in self.listed("replies"))

    def locale(self, fc: FileCheck, path: tuple, code: str) -> bool:
        """Whether `code` may be a locale (else it is reported at its value)."""
        problem = locale_problem(code, self.reply_locales)
        if problem:
            fc.report(path, *problem, at_value=True)
        return problem is None

    def ask(self, key: tuple, compute: Callable[[], T]) -> T:
        """A library's answer to `key`: from the last load's memo, else `compute()`."""
        found = self.memo[key] if key in self.memo else compute()
        self.answers[key] = found
        return found

    # -- me.toml ---------------------------------------------------------------------
    def load_me(self) -> Me:
        rel = "me.toml"
        if rel not in self.files:
            self.diags.append(Diagnostic(rel, 1, 1, "error", "me.toml is missing",
                                         "every policy folder needs me.toml with `name` and "
                                         "`timezone`; `boundaries init DIR` writes a starter"))
            return Me(name="", timezone="UTC")
        data = self.read(rel)
        if data is None:
            self.me_unreadable = True
            return Me(name="", timezone="UTC")
        fc = self.checks[rel]
        v = fc.table(data, S.ME, (), "me.toml")
        tzname = v.get("timezone", "UTC")
        if "timezone" in v and not _valid_tz(tzname):
            fc.report(("timezone",), f"unknown timezone `{tzname}`",
                      _tz_hint(tzname), at_value=True)
            tzname = "UTC"
        locale = v.get("locale", "en")
        if "locale" in v and not self.locale(fc, ("locale",), locale):
            locale = "en"
        region = v.get("holidays")
        phone_region = v.get("region")
        if region is not None:
            message, choices = self.ask(("holiday-region", region),
                                        lambda: _check_holiday_region(region))
            country = region.split("-")[0].upper()
            if phone_region is None and (not message or "subdivision" in message):
                phone_region = country  # a typo in the subdivision keeps the country
            if message:
                fc.report(("holidays",), message, suggest(region, choices), at_value=True)
                region = None
        if "region" in v and not self.ask(("phone-region", v["region"]),
                                          lambda: _valid_phone_region(v["region"])):
            fc.report(("region",), f"unknown country code `{v['region']}` for phone numbers",
                      "a two-letter country code, e.g. `AT`", at_value=True)
            phone_region = None
        away = []
        for i, entry in enumerate(v.get("away", [])):
            e = fc.table(entry, S.AWAY, ("away", i), "[[away]]")
            if "from" in e and "to" in e:
                if e["to"] < e["from"]:
                    fc.report(("away", i, "to"), "`to` is before `from`",
                              "both dates are inclusive; swap them", at_value=True)
                    continue
                away.append(Away(e["from"], e["to"], e.get("reason", ""),
                                 fc.source(("away", i))))
        sources = {k: fc.source((k,)) for k in data if fc.loc.has((k,))}
        return Me(
            name=v.get("name", ""), timezone=tzname, locale=locale, holidays=region,
            region=phone_region.upper() if phone_region else None,
            unknown_tier=v.get("unknown_tier", "unknown"),
            callback_landlines=v.get("callback_landlines", True),
            reply_once_days=v.get("reply_once_days", 0),
            away=tuple(away), sources=dict(sources),
        )

    # -- tiers -----------------------------------------------------------------------
    def load_tier(self, rel: str, name: str) -> Tier | None:
        data = self.read(rel)
        if data is None:
            return None
        fc = self.checks[rel]
        v = fc.table(data, S.TIER, (), f"tier file {rel}")
        week, day_sources, has_hours = self.hours(fc, v.get("hours"))
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
        channels = tuple(dict.fromkeys(v.get("channels", S.CHANNELS)))
        rules = tuple(self.rule(fc, i, r, extra) for i, r in enumerate(v.get("rules", [])))
        self.shadowed_rules(fc, rules)
        sources = {k: fc.source((k,)) for k in data if fc.loc.has((k,))}
        return Tier(
            name=name, description=v.get("description", ""), channels=channels,
            week=week, day_sources=day_sources, has_hours=has_hours,
            on_holidays=v.get("on_holidays", False), callback=v.get("callback", "always"),
            discreet=v.get("discreet", False),
            in_writing=frozenset(v.get("in_writing", ("change", "billing", "complaint"))),
            extra_effort=extra, rules=tuple(r for r in rules if r is not None), path=rel,
            sources=dict(sources),
        )

    def hours(self, fc: FileCheck, table: dict | None):
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
            windows = self.windows(fc, path, key, value)
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

    def windows(self, fc: FileCheck, path, key: str, value) -> list | None:
        if value == "off":
            return []
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            ipath = (*path, i) if isinstance(value, list) else path
            if not isinstance(item, str):
                fc.report(ipath, f"a window must be a string `HH:MM-HH:MM`, not "
                          f"{_toml_a(item)}", "e.g. `\"08:00-12:00\"`", at_value=True)
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

    def rule(self, fc: FileCheck, i: int, data: dict, extra: ExtraEffort) -> Rule | None:
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
        rule = Rule(index=i, when=tuple(when.items()), decide=v["decide"],
                    reply=v.get("reply"), note=v.get("note"), source=fc.source(path))
        self.never_applies(fc, rule, extra)
        return rule

    def never_applies(self, fc: FileCheck, rule: Rule, extra: ExtraEffort) -> None:
        when = dict(rule.when)
        path = ("rules", rule.index)
        if rule.decide == "answer" and rule.reply:
            fc.report((*path, "reply"), f"rule {rule.index + 1} answers, and an answer carries "
                      "no reply: this `reply` is never sent",
                      "drop `reply`, or use it on a rule that decides `later` or `decline`",
                      severity="warning")
        if when.get("hours") == "in" and when.get("away") is True:
            fc.report(path, f"rule {rule.index + 1} can never apply: I am never within hours "
                      "while away", "drop `hours` or `away` from `when`", severity="warning")
        if rule.decide != "answer" or when.get("hours") != "out":
            return
        why = None
        if not extra.allowed:
            why = "extra effort is not allowed for this tier"
        elif when.get("trust") == "revoked":
            why = "extra effort is never granted to a client whose trust is revoked"
        else:
            urg = when.get("urgency")
            urgs = urg if isinstance(urg, list) else [urg] if urg else list(URGENCY_RANK)
            if all(URGENCY_RANK[u] < URGENCY_RANK[extra.min_urgency] for u in urgs):
                why = f"extra effort needs urgency `{extra.min_urgency}` or more"
        if why:
            hint = {
                "extra effort is not allowed for this tier":
                    "set `[extra_effort] allowed = true`, or `decide = \"later\"`",
                "extra effort is never granted to a client whose trust is revoked":
                    "drop `trust = \"revoked\"` from `when`, or `decide = \"later\"`",
            }.get(why, "lower `[extra_effort] min_urgency`, or `decide = \"later\"`")
            fc.report(path, f"rule {rule.index + 1} can never answer: {why}, so outside hours "
                      "it always becomes `later`", hint, severity="warning")

    def shadowed_rules(self, fc: FileCheck, rules: tuple[Rule | None, ...]) -> None:
        for r in rules:
            if r is not None and not r.when:
                for later in rules[r.index + 1:]:
                    if later is not None:
                        fc.report(("rules", later.index),
                                  f"rule {later.index + 1} can never apply: rule {r.index + 1} "
                                  "above has no `when` and matches every request",
                                  "move it above, or add conditions to the earlier rule",
                                  severity="warning")
                return

    # -- clients -----------------------------------------------------------------------
    def load_clients(self, me: Me) -> tuple[dict[str, Client], dict[str, str], dict[str, str]]:
        """Clients and their number and address indexes. The result, with its diagnostics,
        is kept for the next load: it depends only on the file's bytes, the tier file names,
        the phone region and whether me.toml was readable. So a load after an edit elsewhere
        takes it as it is, and does not even parse clients.toml, the largest file."""
        rel = "clients.toml"
        try:
            raw = read_policy_file(self.root / rel)
        except OSError:
            raw = None  # `read` reports why (or the file is optional and absent)
        key = None
        if raw is not None:
            key = ("clients", hashlib.blake2b(raw, digest_size=16).digest(),
                   frozenset(self.tier_files), me.region, self.me_unreadable, self.reply_locales)
            if key in self.memo:
                clients, phones, emails, types, diags = self.answers[key] = self.memo[key]
                self.diags.extend(diags)
                self.phone_types.update(types)
                for k, v in self.memo.items():  # numbers classified earlier stay known
                    if k[0] == "phone":
                        self.answers[k] = v
                return dict(clients), dict(phones), dict(emails)
        first = len(self.diags)
        clients, phones, emails = self._clients(rel, me, raw)
        if key is not None:
            self.answers[key] = (clients, phones, emails,
                                 {n: self.phone_types[n] for n in phones}, self.diags[first:])
        return clients, phones, emails

    def _clients(self, rel: str, me: Me, raw: bytes | None):
        clients: dict[str, Client] = {}
        phones: dict[str, str] = {}
        emails: dict[str, str] = {}
        if raw is None and rel not in self.files:
            return clients, phones, emails
        data = self.read(rel, keep=False, raw=raw)  # the result above is kept instead
        if data is None:
            return clients, phones, emails
        fc = self.checks[rel]
        top = fc.table(data, S.CLIENTS, (), "clients.toml")
        for cid, entry in top.get("clients", {}).items():
            path = ("clients", cid)
            if not isinstance(entry, dict):
                fc.report(path, f"client `{cid}` must be a table `[clients.{cid}]`",
                          at_value=True)
                continue
            v = fc.table(entry, S.CLIENT, path, f"client `{cid}`")
            tier = v.get("tier")
            if tier is not None and tier not in self.tier_files:
                known = sorted(self.tier_files)
                fc.report((*path, "tier"), f"client `{cid}` names tier `{tier}`, but there is "
                          f"no tiers/{tier}.toml",
                          suggest(tier, known) or (f"known tiers: {', '.join(known)}" if known
                                                   else "there are no files in tiers/ yet: "
                                                   f"add tiers/{tier}.toml"),
                          at_value=True)
            tz = v.get("timezone")
            if tz is not None and not _valid_tz(tz):
                fc.report((*path, "timezone"), f"unknown timezone `{tz}`", _tz_hint(tz),
                          at_value=True)
                tz = None
            if "locale" in v and not self.locale(fc, (*path, "locale"), v["locale"]):
                del v["locale"]
            nums = []
            for i, raw in enumerate(v.get("phones", [])):
                found = self.ask(("phone", raw, me.region),
                                 lambda raw=raw: _classify(raw, me.region))
                if found is None and self.me_unreadable:
                    continue  # the region is in me.toml, which has its own error
                if found is None:
                    fc.report((*path, "phones", i), f"`{raw}` is not a phone number",
                              "write it with +country code, e.g. `+43 732 123456`"
                              + ("" if me.region else ", or set `region` in me.toml"),
                              at_value=True)
                    continue
                e164, line = found
                if _claim(phones, e164, cid, fc, (*path, "phones", i),
                          f"phone number `{raw}` ({e164})", "a number may belong to one client"):
                    nums.append(e164)
                    self.phone_types[e164] = line
            mails = []
            for i, raw in enumerate(v.get("emails", [])):
                addr = raw.strip().casefold()
                if "@" not in addr or addr.startswith("@") or addr.endswith("@"):
                    fc.report((*path, "emails", i), f"`{raw}` is not a mail address",
                              "e.g. `office@example.com`", at_value=True)
                    continue
                if _claim(emails, addr, cid, fc, (*path, "emails", i), f"mail address `{raw}`",
                          "an address may belong to one client"):
                    mails.append(addr)
            sources = {k: fc.source((*path, k)) for k in entry if fc.loc.has((*path, k))}
            clients[cid] = Client(
                id=cid, name=v.get("name", cid), tier=tier or "", phones=tuple(nums),
                emails=tuple(mails), timezone=tz, locale=v.get("locale"),
                trust=v.get("trust", "ok"), callback=v.get("callback"),
                discreet=v.get("discreet"), in_writing=v.get("in_writing"),
                notes=v.get("notes", ""), source=fc.source(path),
                sources=dict(sources),
            )
        return clients, phones, emails

    # -- replies ---------------------------------------------------------------------------
    def load_replies(self) -> dict[str, dict[str, Template]]:
        out: dict[str, dict[str, Template]] = {}
        for f in self.listed("replies"):
            rel = f"replies/{f.name}"
            locale = f.stem
            data = self.read(rel)
            if data is None:
                continue
            fc = self.checks[rel]
            if not is_locale_code(locale):
                fc.report((), f"`{f.name}`: the file name must be a locale code",
                          "e.g. replies/de.toml or replies/en.toml")
                continue
            table: dict[str, Template] = {}
            for key, text in data.items():
                if not isinstance(text, str):
                    fc.report((key,), f"reply `{key}` must be a string, not "
                              f"{_toml_a(text)}", "write `key = \"text\"` or a \"\"\"multi-line"
                              " string\"\"\"", at_value=True)
                    continue
                problems = template_problems(text)
                for exc in problems:
                    line, col = _offset_in_value(fc, key, text, exc.offset)
                    self.diags.append(Diagnostic(rel, line, col, "error",
                                                 f"reply `{key}`: {exc}", exc.hint))
                if problems:
                    continue
                table[key] = Template(text, fc.source((key,)))
            out[locale] = table
        return out

    # -- checks ----------------------------------------------------------------------------
    def load_checks(self, clients, phones, emails) -> tuple[Check, ...]:
        rel = "checks.toml"
        if rel not in self.files:
            return ()
        data = self.read(rel)
        if data is None:
            return ()
        fc = self.checks[rel]
        top = fc.table(data, S.CHECKS, (), "checks.toml")
        out = []
        for i, entry in enumerate(top.get("check", [])):
            path = ("check", i)
            v = fc.table(entry, S.CHECK, path, f"check {i + 1}")
            for key in ("at", "next"):
                if isinstance(v.get(key), (str, datetime)):  # a bare TOML datetime, too
                    from boundaries.policy.timeparse import TimeError, parse_at

                    text = v[key] if isinstance(v[key], str) else v[key].isoformat()
                    if re.fullmatch(r"\s*\d{1,2}:\d{2}\s*", text):
                        fc.report((*path, key), f"`{text}` has no date: a check must not "
                                  "depend on the day it runs", "e.g. `2026-01-08T18:20`",
                                  at_value=True)
                        del v[key]
                        continue
                    try:
                        parse_at(text, ZoneInfo("UTC"), datetime(2000, 1, 1))
                    except TimeError as exc:
                        fc.report((*path, key), str(exc), exc.hint, at_value=True)
                        del v[key]
            sender = v.get("from")
            if isinstance(sender, str) and sender.strip() and not _could_be_sender(
                    sender, clients):
                fc.report((*path, "from"), f"`{sender}` is no client id, phone number or mail "
                          "address", suggest(sender, clients)
                          or f"client ids: {', '.join(sorted(clients)) or 'none'}",
                          at_value=True)
                continue
            if isinstance(v.get("from"), str) and not v["from"].strip():
                fc.report((*path, "from"), "`from` is empty",
                          "a client id, phone number or mail address", at_value=True)
                continue
            if all(k in v for k in ("name", "from", "at", "expect")):
                out.append(Check(name=v["name"], fields=dict(v),
                                 source=fc.source(path)))
        return tuple(out)

    # -- cross-file -------------------------------------------------------------------------
    def reply_keys(self, tiers: dict[str, Tier], replies, checks: tuple[Check, ...]) -> None:
        known = {k for table in replies.values() for k in table}
        for tier in tiers.values():
            fc = self.checks.get(tier.path)
            for rule in tier.rules:
                if rule.reply and rule.reply not in known and fc:
                    fc.report(("rules", rule.index, "reply"),
                              f"no replies file has a template `{rule.reply}`: this rule's "
                              "decision will carry no reply",
                              suggest(rule.reply, known) or "add it to replies/<locale>.toml",
                              at_value=True, severity="warning")
        if replies:
            for key in S.ENGINE_REPLY_KEYS:
                if key not in known:
                    first = sorted(replies)[0]
                    fc = self.checks.get(f"replies/{first}.toml")
                    if fc:
                        fc.report((), f"no replies file has a template `{key}`: such decisions "
                                  "carry no reply", f"add `{key} = \"…\"`", severity="warning")
        fc = self.checks.get("checks.toml")
        for i, check in enumerate(checks):
            key = check.fields.get("reply_key")
            if key and key not in known and fc:
                fc.report(("check", i, "reply_key"), f"no replies file has a template `{key}`",
                          suggest(key, known), at_value=True, severity="warning")

    def unknown_tier(self, me: Me, tiers: dict[str, Tier]) -> None:
        if me.unknown_tier not in self.tier_files and "unknown_tier" in me.sources:
            fc = self.checks.get("me.toml")
            if fc:
                fc.report(("unknown_tier",), f"there is no tiers/{me.unknown_tier}.toml: unknown "
                          "senders get `later`, callback on request",
                          suggest(me.unknown_tier, tiers), at_value=True, severity="warning")


def _claim(index: dict[str, str], key: str, cid: str, fc: FileCheck, path: tuple,
           what: str, hint: str) -> bool:
    """Give `key` to client `cid` unless another client has it (then report it)."""
    owner = index.get(key)
    if owner is not None and owner != cid:
        fc.report(path, f"{what} is also client `{owner}`'s", hint, at_value=True)
        return False
    index[key] = cid
    return True


def _could_be_sender(text: str, clients: dict[str, Client]) -> bool:
    """A client id or name (any case), something with `@`, or something written like a number."""
    from boundaries.policy.phones import looks_like_phone

    folded = text.strip().casefold()
    if any(folded in (c.id.casefold(), c.name.casefold()) for c in clients.values()):
        return True
    return "@" in text or looks_like_phone(text)


def _parse(rel: str, text: str) -> dict | Diagnostic:
    """tomllib's data for `text`, or the problem that stops it (never an exception)."""
    deep = too_deep(text)
    if deep is None:
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            return _syntax_diagnostic(rel, str(exc), text)
        except ValueError:  # int() refuses more than 4,300 digits; tomllib passes that on
            m = _LONG_INT.search(text)
            line, col = position(text, m.start()) if m else (1, 1)
            return Diagnostic(rel, line, col, "error", "a number of more than 4,300 digits",
                              "policy numbers are small: see the bounds in the docs")
        except RecursionError:  # too_deep is meant to see it first
            pass
    line, col = (deep.line, deep.col) if deep else (1, 1)
    return Diagnostic(rel, line, col, "error", f"nested more than {MAX_DEPTH} levels deep here",
                      "each table, array, inline table and part of a dotted key is a level; "
                      "policy files need a few")


def _syntax_diagnostic(rel: str, message: str, text: str) -> Diagnostic:
    m = _SYNTAX.match(message)
    if m:
        line, col, msg = int(m.group("line")), int(m.group("col")), m.group("msg")
    else:
        msg = message.replace(" (at end of document)", "")
        line = text.count("\n") + 1
        col = len(text.rsplit("\n", 1)[-1]) + 1
    hint = None
    if msg.startswith("Invalid value"):
        hint = 'strings need quotes, e.g. `"08:00-12:00"`; booleans are `true`/`false`'
    elif "Cannot overwrite" in msg or "Cannot declare" in msg:
        hint = "a key or table is written twice"
    elif "Expected '=' after a key" in msg:
        hint = "keys with spaces or other characters need quotes, e.g. `\"mon fri\" = …`"
    return Diagnostic(rel, line, col, "error", f"TOML syntax: {msg[0].lower() + msg[1:]}", hint)


def _offset_in_value(fc: FileCheck, key: str, text: str, offset: int) -> tuple[int, int]:
    """Line/column of character `offset` of the string value of `key`, in the file."""
    line, col = fc.loc.value((key,))
    raw = fc.text
    # find where the string's content starts in the raw text
    start = _line_offset(raw, line) + col - 1
    quote = raw[start:start + 3]
    skip = 3 if quote in ('"""', "'''") else 1
    content = start + skip
    if skip == 3 and raw[content:content + 1] == "\n":
        content += 1  # a newline right after the opening quotes is not part of the value
    if "\\" in raw[content:content + offset + 1] and skip == 1:
        return line, col  # escapes shift columns; the value's start is close enough
    target = content + offset
    before = raw[:target]
    return before.count("\n") + 1, target - (before.rfind("\n") + 1) + 1


def _line_offset(text: str, line: int) -> int:
    pos = 0
    for _ in range(line - 1):
        pos = text.index("\n", pos) + 1
    return pos


def _toml_a(value: object) -> str:
    from boundaries.policy.validate import toml_type

    t = toml_type(value)
    return ("an " if t[0] in "aeiou" else "a ") + t


_TZ_CACHE: set[str] | None = None


def _valid_tz(name: str) -> bool:
    try:
        ZoneInfo(name)
        return True
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False


def _tz_hint(name: str) -> str:
    global _TZ_CACHE
    if _TZ_CACHE is None:
        _TZ_CACHE = available_timezones()
    return suggest(name, _TZ_CACHE) or "an IANA name such as `Europe/Vienna`"


def _check_holiday_region(region: str) -> tuple[str | None, list[str]]:
    from boundaries.policy.holidays import check_region

    return check_region(region)


def _valid_phone_region(code: str) -> bool:
    from boundaries.policy.phones import valid_region

    return valid_region(code)


def _classify(raw: str, region: str | None) -> tuple[str, str] | None:
    from boundaries.policy.phones import classify

    return classify(raw, region)


def load(root: Path, origin: str = "") -> LoadResult:
    """Read and check every file of the folder `root`; all problems come back together."""
    return load_with_memo(root, origin)[0]


def load_with_memo(root: Path, origin: str = "",
                   memo: Memo | None = None) -> tuple[LoadResult, Memo]:
    """`load`, reusing what the libraries answered an earlier load (`memo`);
    also returns the answers this load used, to pass to the next one."""
    from boundaries.policy.holidays import compute
    from boundaries.policy.locales import names_for

    ld = _Loader(root, memo)
    me = ld.load_me()
    tiers: dict[str, Tier] = {}
    for f in ld.listed("tiers"):
        tier = ld.load_tier(f"tiers/{f.name}", f.stem)
        if tier is not None:
            tiers[f.stem] = tier
    clients, phones, emails = ld.load_clients(me)
    replies = ld.load_replies()
    checks = ld.load_checks(clients, phones, emails)
    ld.reply_keys(tiers, replies, checks)
    ld.unknown_tier(me, tiers)

    region, lang = me.holidays, me.locale.split("_")[0]
    years = {}
    if region:
        this_year = date.today().year
        years = {y: ld.ask(("holidays", region, y, lang), lambda y=y: compute(region, y, lang))
                 for y in range(this_year - 1, this_year + 3)}
    table = HolidayTable(region, (lambda y: compute(region, y, lang)) if region else None,
                         years)
    locales = {me.locale, "en", *replies, *(c.locale for c in clients.values() if c.locale)}
    names = {loc.split("_")[0]: ld.ask(("locale-names", loc), lambda loc=loc: names_for(loc))
             for loc in sorted(locales)}
    ps = PolicySet(
        root=str(root), me=me, tiers=dict(tiers),
        clients=dict(clients), phone_index=dict(phones),
        email_index=dict(emails), phone_types={n: ld.phone_types[n] for n in phones},
        replies=replies,
        checks=checks, holidays=table, locale_names=dict(names),
        fingerprint=fingerprint(root), origin=origin,
        folded_names=folded_index(clients),
    )
    return LoadResult(ps, tuple(sort_diagnostics(ld.diags))), ld.answers


__all__ = ["LoadResult", "Memo", "fingerprint", "load", "load_with_memo", "policy_files"]
