"""Getting started and editing help: `init`, `schema`, `client add`, `where`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from boundaries.cli.errors import EXIT_BAD, EXIT_OK, UsageError, emit_json

if TYPE_CHECKING:
    from boundaries.policy.clients_append import WouldBreak


def _ask(prompt: str, default: str) -> str:
    answer = input(f"{prompt} [{default}]: ").strip()
    return answer or default


# -- init ------------------------------------------------------------------------------------
def run_init(args: argparse.Namespace) -> int:
    from boundaries.policy.holidays import check_region, compute
    from boundaries.policy.starter import Settings, detect, files, schema_files, write_all

    if not args.dir.strip():
        raise UsageError("DIR is empty; init writes into the folder you name",
                         "e.g. `boundaries init ~/policies`, or `.` for this folder")
    root = Path(args.dir).expanduser()
    found = detect()
    today = date.today()
    schemas = schema_files()
    _refuse_blocked(root, [*files(found, {}, today), *schemas])  # before any question
    interactive = sys.stdin.isatty() and sys.stdout.isatty() and not args.yes
    name = args.name or (_ask("Your name", found.name) if interactive else found.name)
    tz = args.timezone or (_ask("Timezone", found.timezone) if interactive else found.timezone)
    locale = args.locale or (_ask("Language of replies (de/en)", found.locale)
                             if interactive else found.locale)
    region = args.holidays if args.holidays is not None else (
        _ask("Public holidays region (e.g. AT-9, DE-BY; empty for none)", found.holidays or "")
        if interactive else found.holidays)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown timezone `{tz}`",
                         "an IANA name such as `Europe/Vienna`; see `timedatectl "
                         "list-timezones`") from None
    if locale not in ("de", "en"):
        raise UsageError(f"no starter replies in `{locale}`", "use `de` or `en`; add "
                         "replies/<locale>.toml yourself afterwards")
    if region:
        message, _ = check_region(region)
        if message:
            raise UsageError(message, "e.g. `AT-9`, `DE-BY`, `CH-ZH`, or leave it out")
    settings = Settings(name=name, timezone=tz, locale=locale, holidays=region or None)
    holidays: dict = {}
    if settings.holidays:
        for year in (today.year + 1, today.year + 2):
            holidays.update(compute(settings.holidays, year, "en"))
    texts = {**files(settings, holidays, today), **schemas}
    _refuse_blocked(root, texts)
    try:
        write_all(root, texts)
    except OSError as exc:
        print(f"{exc.filename or root}: error: cannot write: {exc.strerror or exc}",
              file=sys.stderr)
        raise UsageError(f"nothing was written to {root}",
                         "check the folder's permissions and the disk") from None
    print(f"Wrote a starter policy set to {root}:")
    for rel in sorted(texts):
        if not rel.startswith("."):
            print(f"  {rel}")
    print(f"""
Next:
  1. edit {root / 'me.toml'} and {root / 'clients.toml'} (or: boundaries client add …)
  2. boundaries lint --policies {root}     # every problem, with file:line
  3. boundaries test --policies {root}     # the examples in checks.toml
  4. git init {root} && git -C {root} add . && git -C {root} commit -m "My boundaries"
  5. use it everywhere: export BOUNDARIES_POLICIES={root}
Editors: the files start with `#:schema`, which Even Better TOML / taplo use to complete
keys and flag mistakes (see docs/editors.md).""")
    return EXIT_OK


def _refuse_blocked(root: Path, rels: Iterable[str]) -> None:
    """A `PATH: error:` line for each file or folder in the way of init, then exit 2."""
    from boundaries.policy.starter import blocked

    problems = blocked(root, rels)
    for path, message in problems:
        print(f"{path}: error: {message}", file=sys.stderr)
    if problems:
        raise UsageError(f"nothing was written to {root}",
                         "init never overwrites: choose an empty or new folder")


# -- schema ----------------------------------------------------------------------------------
def run_schema(args: argparse.Namespace) -> int:
    from boundaries.policy.json_schema import bundle, schema_for

    if args.write:
        from boundaries.fsutil import atomic_write
        from boundaries.policy.starter import schema_files

        target = Path(args.write).expanduser()
        for rel, text in schema_files().items():
            try:
                atomic_write(target / rel, text.encode("utf-8"))
            except (FileExistsError, NotADirectoryError) as exc:  # a file where a folder goes
                print(f"{exc.filename}: error: is a file; a folder is needed there",
                      file=sys.stderr)
                return EXIT_BAD
            except OSError as exc:
                print(f"{exc.filename or target / rel}: error: cannot write: "
                      f"{exc.strerror or exc}", file=sys.stderr)
                return EXIT_BAD
        print(f"wrote {len(schema_files())} schema files to {target / '.schema'}")
        return EXIT_OK
    emit_json(schema_for(args.kind) if args.kind else bundle())
    return EXIT_OK


# -- where -----------------------------------------------------------------------------------
def run_where(args: argparse.Namespace) -> int:
    from boundaries.cli.journal import print_conflicts
    from boundaries.journal.store import journal_dir
    from boundaries.policy.cache import cache_dir
    from boundaries.service import find_set

    found = find_set(args.policies)
    me = found.path / "me.toml"
    state = ("" if me.is_file() else "   (me.toml is not a regular file: `boundaries lint`)"
             if os.path.lexists(me) else "   (no me.toml there!)")
    print(f"policy set: {found.path}{state}")
    shipped = found.is_example and not found.fell_back
    print(f"  chosen by: {found.origin}" + ("  — the shipped example set" if shipped else ""))
    print("  order: --policies, $BOUNDARIES_POLICIES, ./policies with a me.toml, the user "
          "config folder, the shipped example set")
    jd = journal_dir()
    print(f"journal:    {jd}" + ("  ($BOUNDARIES_JOURNAL)" if os.environ.get(
        "BOUNDARIES_JOURNAL") else "  (user data folder; set BOUNDARIES_JOURNAL to move it)"))
    print_conflicts(jd)
    cd = cache_dir()
    print(f"cache:      {cd if cd else 'off ($BOUNDARIES_CACHE)'}")
    return EXIT_OK


# -- client add ------------------------------------------------------------------------------
def run_client_add(args: argparse.Namespace) -> int:
    """Append a client under the folder's clients.toml lock: read, check and write as one."""
    from boundaries.policy.clients_append import WouldBreak, append_clients, writable_set
    from boundaries.service import find_set

    root = writable_set(find_set(args.policies))
    if not args.id.replace("-", "").replace("_", "").isalnum():
        raise UsageError(f"`{args.id}` cannot be a client id",
                         "use letters, digits, `-` and `_`, e.g. `kunde-x`")

    def waiting(lock: Path) -> None:
        print(f"boundaries: waiting for {lock} (another `client add`?)", file=sys.stderr)

    try:
        done = append_clients(root, lambda before: [_client_table(args, root, before)],
                              not_done=f"`{args.id}` was not added", on_wait=waiting)
    except WouldBreak as exc:
        return would_break(exc, "added")
    via = f" (the file it links to, {done.real})" if done.target.is_symlink() else ""
    print(f"added client `{args.id}` (tier {args.tier}) at the end of {done.target}{via}")
    return EXIT_OK


def would_break(exc: WouldBreak, what: str) -> int:
    """Tell the new errors an append would have caused, lint-style, and return exit 2."""
    for d in exc.diagnostics:
        print(d.format(), file=sys.stderr)
    print(f"boundaries: not {what}: the set would have these new errors; clients.toml is "
          "unchanged", file=sys.stderr)
    return EXIT_BAD


def _client_table(args: argparse.Namespace, root: Path, before) -> tuple[str, dict]:
    """The `[clients.ID]` table of `client add`'s arguments, checked against the set as it
    is now (`before`): a UsageError for a taken id, an unknown tier, a taken number or mail."""
    ps = before.policies
    assert ps is not None
    cid = args.id
    same = next((c for c in ps.clients if c.casefold() == cid.casefold()), None)
    if same is not None:
        raise UsageError(f"client `{same}` exists already ({ps.clients[same].source})",
                         "choose another id, or edit clients.toml by hand")
    if not (root / "tiers" / f"{args.tier}.toml").is_file():
        from boundaries.core.diagnostics import suggest

        known = sorted(p.stem for p in (root / "tiers").glob("*.toml"))
        raise UsageError(f"no tier `{args.tier}` (no tiers/{args.tier}.toml)",
                         suggest(args.tier, known) or f"tiers: {', '.join(known) or 'none'}")
    from boundaries.policy.phones import normalise

    for phone in args.phone:
        e164 = normalise(phone, ps.me.region)
        if e164 is None:
            raise UsageError(f"`{phone}` is not a phone number",
                             "write it with +country code, e.g. `+43 664 1234567`")
        if e164 in ps.phone_index:
            raise UsageError(f"`{phone}` is already client `{ps.phone_index[e164]}`'s number")
    for mail in args.mail:
        owner = ps.email_index.get(mail.strip().casefold())
        if owner:
            raise UsageError(f"`{mail}` is already client `{owner}`'s address")
    entry: dict = {"name": args.name or cid, "tier": args.tier}
    if args.phone:
        entry["phones"] = list(args.phone)
    if args.mail:
        entry["emails"] = list(args.mail)
    for key in ("timezone", "locale", "notes"):
        if getattr(args, key):
            entry[key] = getattr(args, key)
    return cid, entry
