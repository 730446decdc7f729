"""Loading a policy folder into a PolicySet: the files are read (read.py), parsed by tomllib,
checked against the schema (validate.py) and built into the model, every problem met on the
way collected as a Diagnostic; then the built set is linted (lint.py).

What tomllib, phonenumbers, holidays and pendulum answer is memoized (`Memo`) for the next
load of the same folder: asking these libraries (and importing them) is most of a cold
load."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from boundaries.core.diagnostics import Diagnostic, sort_diagnostics, suggest
from boundaries.core.model import (
    Away,
    CalendarRef,
    Check,
    Client,
    HolidayTable,
    Me,
    PolicySet,
    Template,
    Tier,
)
from boundaries.core.replies import template_problems
from boundaries.policy import schema as S
from boundaries.policy.files import fingerprint, policy_files, read_policy_file
from boundaries.policy.lint import lint
from boundaries.policy.locales import is_locale_code, locale_problem
from boundaries.policy.read import Folder, read_text, syntax_diagnostic
from boundaries.policy.result import LoadResult
from boundaries.policy.senders import folded_index
from boundaries.policy.tiers import build_tier
from boundaries.policy.tomldepth import MAX_DEPTH, position, too_deep
from boundaries.policy.tomlpos import Locator
from boundaries.policy.validate import FileCheck, a_toml_type

_LONG_INT = re.compile(r"[0-9][0-9_]{4300,}")
# What the libraries answered, keyed by the question, e.g.
# ("phone", "0664 1234567", "AT") -> ("+436641234567", "mobile"), or a file's bytes (their
# hash) -> its parsed data and positions, or clients.toml's bytes (and what else its checks
# read) -> its clients and diagnostics (see `load_clients`). A load records every answer it
# used, and the next load of the same folder starts from them.
Memo = dict[tuple, Any]
T = TypeVar("T")


class _Loader:
    """One load of the folder `root`: the model's parts, built file by file; every problem
    met (`diags`), each file read (`checks`: its positions), the answers used (`answers`)."""

    def __init__(self, root: Path, memo: Memo | None = None) -> None:
        self.root = root
        self.memo = memo or {}
        self.answers: Memo = {}  # what this load asked, to seed the next one
        self.diags: list[Diagnostic] = []
        self.file_checks: dict[str, FileCheck] = {}
        self.me_unreadable = False  # then national phone numbers cannot be judged
        self.phone_types: dict[str, str] = {}  # E.164 -> line type, of every client number
        self.folder = Folder(root)
        self.files, self.tier_files = self.folder.files, self.folder.tier_files

    def read(self, rel: str, keep: bool = True,
             raw: bytes | None = None) -> tuple[dict, FileCheck] | None:
        """A policy file's data and its FileCheck (a problem is reported, then None); its
        parse is kept for the next load unless `keep` is false. `raw`: its bytes, if the
        caller read them."""
        found = read_text(self.root, rel, raw)
        if isinstance(found, Diagnostic):
            self.diags.append(found)
            return None
        raw, text = found
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
        fc = self.file_checks[rel] = FileCheck(rel, text, self.diags, loc)
        return data, fc

    def locale(self, fc: FileCheck, path: tuple, code: str) -> bool:
        """Whether `code` may be a locale (else it is reported at its value)."""
        problem = locale_problem(code, self.folder.reply_locales)
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
        found = self.read(rel)
        if found is None:
            self.me_unreadable = True
            return Me(name="", timezone="UTC")
        data, fc = found
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
        calendars = []
        for i, entry in enumerate(v.get("calendars", [])):
            e = fc.table(entry, S.CALENDAR, ("calendars", i), "[[calendars]]")
            if "path" in e:
                if not e["path"].strip():
                    fc.report(("calendars", i, "path"), "`path` is empty",
                              "an .ics file or a folder of .ics files, e.g. "
                              '"calendars/work.ics"', at_value=True)
                    continue
                line, col = fc.loc.value(("calendars", i, "path"))
                calendars.append(CalendarRef(e["path"], e.get("timed", "busy"),
                                             e.get("all_day", "away"), f"me.toml:{line}:{col}"))
        if "sources" in v:  # the phone sources: checked here, read by the front ends
            from boundaries.policy.phone_sources import check_sources
            check_sources(fc, v["sources"])
        from boundaries.policy.mail_settings import read_mail_settings
        mail = read_mail_settings(fc, v)
        sources = {k: fc.source((k,)) for k in data if fc.loc.has((k,))}
        return Me(
            name=v.get("name", ""), timezone=tzname, locale=locale, holidays=region,
            region=phone_region.upper() if phone_region else None,
            unknown_tier=v.get("unknown_tier", "unknown"),
            callback_landlines=v.get("callback_landlines", True),
            reply_once_days=v.get("reply_once_days", 0),
            away=tuple(away), sources=dict(sources), calendars=tuple(calendars), **mail,
        )

    # -- tiers -----------------------------------------------------------------------
    def load_tiers(self) -> dict[str, Tier]:
        tiers: dict[str, Tier] = {}
        for f in self.folder.listed("tiers"):
            found = self.read(f"tiers/{f.name}")
            if found is not None:
                data, fc = found
                tiers[f.stem] = build_tier(fc, data, f.stem)
        return tiers

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
                   frozenset(self.tier_files), me.region, self.me_unreadable,
                   self.folder.reply_locales)
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
        found = self.read(rel, keep=False, raw=raw)  # the result above is kept instead
        if found is None:
            return clients, phones, emails
        data, fc = found
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
        for f in self.folder.listed("replies"):
            rel = f"replies/{f.name}"
            locale = f.stem
            found = self.read(rel)
            if found is None:
                continue
            data, fc = found
            if not is_locale_code(locale):
                fc.report((), f"`{f.name}`: the file name must be a locale code",
                          "e.g. replies/de.toml or replies/en.toml")
                continue
            table: dict[str, Template] = {}
            for key, text in data.items():
                if not isinstance(text, str):
                    fc.report((key,), f"reply `{key}` must be a string, not "
                              f"{a_toml_type(text)}", "write `key = \"text\"` or a \"\"\"multi-line"
                              " string\"\"\"", at_value=True)
                    continue
                problems = template_problems(text)
                for exc in problems:
                    line, col = fc.loc.in_string((key,), exc.offset)
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
        found = self.read(rel)
        if found is None:
            return ()
        data, fc = found
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
            return syntax_diagnostic(rel, str(exc), text)
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
    tiers = ld.load_tiers()
    clients, phones, emails = ld.load_clients(me)
    replies = ld.load_replies()
    checks = ld.load_checks(clients, phones, emails)

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
    found = lint(ps, {rel: fc.loc for rel, fc in ld.file_checks.items()}, ld.tier_files)
    return LoadResult(ps, tuple(sort_diagnostics([*ld.diags, *found]))), ld.answers


__all__ = ["LoadResult", "Memo", "fingerprint", "load", "load_with_memo", "policy_files"]
