"""Clients from the user's address book: vCard exports read into `Card`s (sources.md §7).

The line level (folding, quoted-printable, charsets, groups) is `sources/vcard.py`, our own
small reader: `vobject` fails on Android's 2.1 exports and gives no line numbers (see there).
Here: which card holds which name, numbers, addresses, language and zone, and a warning at
the card's `BEGIN:VCARD` for every value left out. Skipping cards (no phone or mail, a
duplicate) is the command's part; every card read is returned.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from boundaries.core.diagnostics import LineWarning
from boundaries.core.errors import BoundariesError
from boundaries.policy.locales import locale_problem
from boundaries.policy.phones import valid_number
from boundaries.sources.vcard import Property, components, properties, raw_lines, unescape


class ContactsError(BoundariesError):
    """An address book that cannot be read (a file or folder; a folder without .vcf): exit 2."""


class Card(NamedTuple):
    """One vCard, mapped as §7 says (the name's fallback to a mail or number is the command's)."""

    path: Path                   # the .vcf file
    line: int                    # line of its BEGIN:VCARD (1-based, in the raw file)
    name: str | None             # ORG's organisation, else FN, else N ("Given Family")
    phones: tuple[str, ...]      # E.164, valid numbers only; preferred (TYPE=pref, PREF) first
    emails: tuple[str, ...]      # as written, stripped; preferred first
    locale: str | None           # from LANG where valid (`de`, `de-AT`)
    timezone: str | None         # from TZ where it is an IANA zone name


CardWarning = LineWarning  # one type for a skipped line of any file we read


_WANTED = frozenset({"BEGIN", "END", "ORG", "FN", "N", "TEL", "EMAIL", "LANG", "TZ"})
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")


def read_contacts(source: Path, region: str | None) -> tuple[list[Card], list[CardWarning]]:
    """Every card of `source` (one .vcf file, or every *.vcf in a folder, sorted, not
    recursive), numbers read with `region` (me.region), and the warnings, in file order."""
    if source.is_dir():
        try:
            files = sorted(p for p in source.iterdir()
                           if p.suffix.lower() == ".vcf" and p.is_file())
        except OSError as exc:
            raise ContactsError(f"cannot read the folder {source}: {exc.strerror}") from exc
        if not files:
            raise ContactsError(f"{source} holds no .vcf file",
                                "give a .vcf file, or a folder of them (a vdir)")
    else:
        files = [source]
    cards: list[Card] = []
    warnings: list[CardWarning] = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ContactsError(f"cannot read {path}: {exc.strerror or exc}") from exc
        found = _read_file(path, data, region, cards, warnings)
        if not found:
            if len(files) == 1:
                raise ContactsError(f"{path} holds no vCard (no BEGIN:VCARD line)",
                                    "export the address book as vCard (.vcf)")
            warnings.append(CardWarning(path, 1, "no vCard in this file (no BEGIN:VCARD)"))
    return cards, warnings


def _read_file(path: Path, data: bytes, region: str | None,
               cards: list[Card], warnings: list[CardWarning]) -> int:
    """Append the cards of one file; the number found."""
    found = 0
    begin: int | None = None
    props: list[Property] = []
    depth = 0
    for prop in properties(raw_lines(data), _WANTED):
        if prop.name == "BEGIN" and prop.value.strip().upper() == "VCARD":
            if begin is None:
                begin, props, depth = prop.line, [], 1
            else:
                depth += 1  # a card inside a card (2.1's AGENT): its lines are not ours
            continue
        if begin is None:
            continue
        if prop.name == "END" and prop.value.strip().upper() == "VCARD":
            depth -= 1
            if depth == 0:
                cards.append(_card(path, begin, props, region, warnings))
                found += 1
                begin = None
            continue
        if depth == 1:
            props.append(prop)
    if begin is not None:
        warnings.append(CardWarning(path, begin, "card without END:VCARD (the file ends "
                                    "inside it); read as far as it goes"))
        cards.append(_card(path, begin, props, region, warnings))
        found += 1
    return found


def _card(path: Path, line: int, props: list[Property], region: str | None,
          warnings: list[CardWarning]) -> Card:
    def warn(message: str) -> None:
        warnings.append(CardWarning(path, line, message))

    org = fn = n = None
    tels: list[tuple[bool, str]] = []
    mails: list[tuple[bool, str]] = []
    lang = tz = None
    for prop in props:
        if prop.problem:
            warn(f"{prop.name}: {prop.problem}")
        name = prop.name
        if name == "ORG" and org is None:
            org = components(prop.value)[0].strip() or None
        elif name == "FN" and fn is None:
            fn = " ".join(unescape(prop.value).split()) or None
        elif name == "N" and n is None:
            parts = [*components(prop.value), "", ""]
            n = " ".join(p.strip() for p in (parts[1], parts[0]) if p.strip()) or None
        elif name == "TEL":
            tels.append((_preferred(prop), unescape(prop.value).strip()))
        elif name == "EMAIL":
            mails.append((_preferred(prop), unescape(prop.value).strip()))
        elif name == "LANG" and lang is None:
            lang = unescape(prop.value).strip()
        elif name == "TZ" and tz is None:
            tz = unescape(prop.value).strip()
    phones: list[str] = []
    for _pref, raw in sorted(tels, key=lambda t: not t[0]):
        number = raw[4:] if raw[:4].lower() == "tel:" else raw
        number = number.split(";")[0].strip()  # a tel: URI's `;ext=` or `;phone-context=`
        if not number:
            continue
        e164 = valid_number(number, region)
        if e164 is None:
            warn(f"`{raw}` is not a valid phone number"
                 f"{f' (region {region})' if region else ' (no me.region)'}; left out")
        elif e164 not in phones:
            phones.append(e164)
    emails: list[str] = []
    for _pref, raw in sorted(mails, key=lambda t: not t[0]):
        addr = raw[7:] if raw[:7].lower() == "mailto:" else raw
        if not addr:
            continue
        if not _ADDRESS.match(addr):
            warn(f"`{raw}` is not a mail address; left out")
        elif addr.casefold() not in {e.casefold() for e in emails}:
            emails.append(addr)
    return Card(path, line, org or fn or n, tuple(phones), tuple(emails),
                _locale(lang, warn), _timezone(tz, warn))


def _preferred(prop: Property) -> bool:
    types = {t.lower() for t in prop.params.get("TYPE", ())}
    return "pref" in types or "PREF" in prop.params


def _locale(value: str | None, warn) -> str | None:
    if not value:
        return None
    code = value.split(",")[0].strip()
    head, sep, tail = code.replace("_", "-").partition("-")
    code = head.lower() + sep + (tail.upper() if len(tail) == 2 else tail)
    if locale_problem(code) is None:
        return code
    warn(f"LANG `{value}` is not a language code; left out")
    return None


def _timezone(value: str | None, warn) -> str | None:
    if not value:
        return None
    if _is_zone(value):
        return value
    warn(f"TZ `{value}` is no IANA time zone name (like `Europe/Vienna`); left out")
    return None


@lru_cache(maxsize=512)
def _is_zone(name: str) -> bool:
    if "/" not in name and name != "UTC":
        return False  # an offset (`-05:00`) or an abbreviation (`CET`) is not a zone
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "ae", "Ö": "oe", "Ü": "ue",
                         "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o",
                         "œ": "oe", "Œ": "oe", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l",
                         "þ": "th", "Þ": "th", "ð": "d", "Ð": "d", "ı": "i"})
_RUNS = re.compile(r"[^a-z0-9]+")


def client_id(name: str, taken: set[str]) -> str:
    """An id for `name`: lower-case ASCII letters, digits and `-` (`Müller GmbH` ->
    `mueller-gmbh`, `Peña` -> `pena`), `client` when nothing is left, `-2`, `-3` … when it
    is in `taken`: the ids in use, case-folded (`str.casefold`), as `client add` compares
    them. The caller folds them once, however many ids it asks for."""
    text = unicodedata.normalize("NFC", name).translate(_GERMAN)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    base = _RUNS.sub("-", text.lower()).strip("-") or "client"
    cid, k = base, 1
    while cid in taken:
        k += 1
        cid = f"{base}-{k}"
    return cid


__all__ = ["Card", "CardWarning", "ContactsError", "client_id", "read_contacts"]
