"""`client import`: clients from a vCard export or a vdir folder (sources.md §7).

The cards are read by `sources.contacts`; here each becomes a `[clients.ID]` table or is
skipped (no phone or mail, or a number or mail some client has already: never two clients
for one person), and the tables are appended by `policy.clients_append`, the code
`client add` uses, in one atomic write.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from boundaries.cli.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    from boundaries.core.model import PolicySet
    from boundaries.sources.contacts import Card, CardWarning


class Mapped(NamedTuple):
    """The tables to append, and a warning for each card skipped."""

    tables: list[tuple[str, dict]]
    skipped: list[CardWarning]


def map_cards(cards: Sequence[Card], ps: PolicySet, tier: str) -> Mapped:
    """Each card as a client of `tier`, or skipped: without phone and mail, or with a number
    (E.164) or mail (case-insensitive) that a client of `ps` or an earlier card has. Ids are
    made unique against `ps`'s clients and the cards before."""
    from boundaries.sources.contacts import CardWarning, client_id

    taken = {c.casefold() for c in ps.clients}
    # E.164 number / case-folded mail -> who has it: "client `x`" or an earlier card's place
    phones = {n: f"is already client `{c}`'s number" for n, c in ps.phone_index.items()}
    mails = {m: f"is already client `{c}`'s address" for m, c in ps.email_index.items()}
    tables: list[tuple[str, dict]] = []
    skipped: list[CardWarning] = []
    for card in cards:
        card_phones = list(dict.fromkeys(card.phones))
        card_mails = _unique_mails(card.emails)
        if not card_phones and not card_mails:
            skipped.append(CardWarning(card.path, card.line,
                                       f"{_who(card)}: no phone number or mail address left; "
                                       "card skipped"))
            continue
        clash = next((f"`{n}` {phones[n]}" for n in card_phones if n in phones), None) or next(
            (f"`{m}` {mails[m.casefold()]}" for m in card_mails if m.casefold() in mails), None)
        if clash:
            skipped.append(CardWarning(card.path, card.line, f"{_who(card)}: {clash}; card "
                                       "skipped (never two clients for one person)"))
            continue
        name = card.name or (card_mails[0] if card_mails else card_phones[0])
        cid = client_id(name, taken)
        taken.add(cid.casefold())
        entry: dict = {"name": name, "tier": tier}
        if card_phones:
            entry["phones"] = card_phones
        if card_mails:
            entry["emails"] = card_mails
        if card.timezone:
            entry["timezone"] = card.timezone
        if card.locale:
            entry["locale"] = card.locale
        tables.append((cid, entry))
        here = f"is on an earlier card too ({card.path.name}:{card.line}, client `{cid}`)"
        phones.update(dict.fromkeys(card_phones, here))
        mails.update(dict.fromkeys((m.casefold() for m in card_mails), here))
    return Mapped(tables, skipped)


def _unique_mails(mails: Sequence[str]) -> list[str]:
    """`mails` without repeats (compared case-insensitively), each as first written."""
    seen: dict[str, str] = {}
    for m in mails:
        seen.setdefault(m.casefold(), m)
    return list(seen.values())


def _who(card: Card) -> str:
    return f"`{card.name}`" if card.name else "a card without a name"


def run_client_import(args: argparse.Namespace) -> int:
    """Append a client for every usable card of `args.source` (see the module)."""
    from boundaries.policy.clients_append import WouldBreak, append_clients, writable_set
    from boundaries.service import find_set, load_set
    from boundaries.sources.contacts import read_contacts

    root = writable_set(find_set(args.policies))
    tier = args.tier
    if not (root / "tiers" / f"{tier}.toml").is_file():
        from boundaries.core.diagnostics import suggest

        known = sorted(p.stem for p in (root / "tiers").glob("*.toml"))
        raise UsageError(f"no tier `{tier}` (no tiers/{tier}.toml); nothing imported",
                         suggest(tier, known) or f"tiers: {', '.join(known) or 'none'}")
    first = load_set(root)
    _refuse_errors(first.diagnostics, root)
    assert first.policies is not None
    if not str(args.source).strip():
        raise UsageError("FILE is empty", "name a .vcf file or a folder of them")
    source = Path(args.source).expanduser()
    cards, warnings = read_contacts(source, first.policies.me.region)
    heading = f"imported from {source.name or source} on {date.today().isoformat()} " \
              "(boundaries client import)"
    mapped: list[Mapped] = []

    def build(before) -> list[tuple[str, dict]]:
        _refuse_errors(before.diagnostics, root)  # it may have changed since the first look
        mapped[:] = [map_cards(cards, before.policies, tier)]
        return mapped[0].tables

    def waiting(lock: Path) -> None:
        print(f"boundaries: waiting for {lock} (another `client add` or `import`?)",
              file=sys.stderr)

    try:
        done = append_clients(root, build, not_done="no client was imported",
                              dry_run=args.dry_run, heading=heading, on_wait=waiting)
    except WouldBreak as exc:
        from boundaries.cli.setup import would_break

        return would_break(exc, "imported")
    result = mapped[0]
    for w in sorted([*warnings, *result.skipped], key=lambda w: (str(w.path), w.line)):
        print(w.format(), file=sys.stderr)
    if args.dry_run:
        sys.stdout.write(done.text)
    counts = f"{len(result.tables)} imported, {len(result.skipped)} skipped"
    if args.dry_run:
        print(f"{counts} (dry run: {done.target} is unchanged)", file=sys.stderr)
    elif done.written:
        via = f" (the file it links to, {done.real})" if done.target.is_symlink() else ""
        print(f"{counts}: appended to {done.target}{via}", file=sys.stderr)
    else:
        print(f"{counts}: {done.target} is unchanged", file=sys.stderr)
    return EXIT_OK


def _refuse_errors(diagnostics: Sequence, root: Path) -> None:
    """Print a set's errors lint-style and refuse (exit 2) if it has any."""
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        for d in diagnostics:
            print(d.format(), file=sys.stderr)
        n = len(errors)
        raise UsageError(f"the policy set has {n} error{'s' if n != 1 else ''}; nothing "
                         "imported", f"fix them first: boundaries lint --policies {root}")
