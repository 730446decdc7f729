"""Getting started and editing help: `init`, `schema`, `client add`, `where`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from boundaries.cli.errors import EXIT_BAD, EXIT_OK, UsageError, emit_json

if TYPE_CHECKING:
    from collections.abc import Callable

    from boundaries.policy.clients_append import WouldBreak
    from boundaries.policy.discovery import Found


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
    asked = None if args.calendar is not None or not interactive else _ask(
        "An existing calendar: an .ics file or a vdir folder (empty for none)", "")
    calendars = tuple(_calendar_path(raw) for raw in (
        args.calendar if args.calendar is not None else [asked or ""]) if raw.strip())
    settings = Settings(name=name, timezone=tz, locale=locale, holidays=region or None,
                        calendars=calendars)
    holidays: dict = {}
    if settings.holidays:
        for year in (today.year + 1, today.year + 2):
            holidays.update(compute(settings.holidays, year, "en"))
    texts = {**files(settings, holidays, today, _busy_at(root, calendars, tz)), **schemas}
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
    if calendars:
        print(f"Calendars: `boundaries where --policies {root}` lists them with their events; "
              "see docs/calendars.md.")
    return EXIT_OK


def _calendar_path(raw: str) -> str:
    """A calendar for init's me.toml, as the user gave it (`~` kept; a relative path made
    absolute, since the policy folder is elsewhere). It must exist: a UsageError (exit 2,
    nothing written) if not, or if it is a folder of calendars rather than one calendar. A
    folder without .ics files yet (before a first sync) is written, with a warning."""
    from boundaries.sources.calendars import CalendarError, calendar_files

    raw = raw.strip()
    path = Path(raw).expanduser()
    try:
        found = calendar_files(path)
    except CalendarError as exc:
        raise UsageError(f"cannot use the calendar: {exc}",
                         "give an existing .ics file or a folder of them (a vdir), or leave "
                         "it out and add a [[calendars]] table to me.toml later") from None
    if not found:
        inner = sorted(d.name for d in path.iterdir()
                       if d.is_dir() and not d.name.startswith(".") and any(d.glob("*.ics")))
        if inner:
            raise UsageError(f"{raw} holds calendars, not events: its folders "
                             f"{', '.join(inner[:3])}{' …' if len(inner) > 3 else ''} hold "
                             "the .ics files",
                             f"give each calendar you want: --calendar {raw.rstrip('/')}/"
                             f"{inner[0]} (repeat --calendar for more)")
        print(f"boundaries: warning: calendar {raw} holds no .ics files yet; written anyway "
              "(sync it first, e.g. `vdirsyncer sync`)", file=sys.stderr)
    return raw if raw.startswith("~") or os.path.isabs(raw) else os.path.abspath(raw)


def _busy_at(root: Path, calendars: tuple[str, ...],
             tz: str) -> Callable[[datetime], bool] | None:
    """Whether the calendars hold me at a wall-clock time in `tz` (None: no calendars): the
    starter's checks are set on a day they leave free. Read as the new set will read them
    (same labels), so what this expands stays good in the cache."""
    if not calendars:
        return None
    from boundaries.core.calendar import CalendarTable
    from boundaries.core.model import CalendarRef
    from boundaries.service import calendar_cache
    from boundaries.sources.calendar_store import CalendarStore, resolve_path
    from boundaries.sources.my_calendars import Labeller

    zone, cache = ZoneInfo(tz), calendar_cache()
    opened = []
    for raw in calendars:
        ref = CalendarRef(raw)
        path = resolve_path(ref, root)
        opened.append(CalendarStore(ref, path, zone, cache, Labeller(root, ref, path)))
    table = CalendarTable(lambda month: [s for store in opened for s in store.month(month)])

    def busy(t: datetime) -> bool:
        return table.at(t.replace(tzinfo=zone).timestamp()) != (None, None)
    return busy


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
    if me.is_file():
        _where_calendars(found)
    return EXIT_OK


def _where_calendars(found: Found) -> None:
    """The calendars of me.toml: each with its resolved path and how many .ics files and
    events it holds, or why it cannot be read."""
    from boundaries.service import calendar_cache, load_set
    from boundaries.sources.my_calendars import calendar_info

    ps = load_set(found.path, found.origin).policies
    if ps is None:
        print("calendars:  ? (the set cannot be loaded: `boundaries lint`)")
        return
    if not ps.me.calendars:
        print("calendars:  none (add a [[calendars]] table to me.toml: docs/calendars.md)")
        return
    print(f"calendars:  {len(ps.me.calendars)}, in me.toml")
    for info, ref in zip(calendar_info(ps, calendar_cache()), ps.me.calendars, strict=True):
        resolved = info.resolved.resolve()
        head = f"  {info.path}" + ("" if str(resolved) == info.path else f"  → {resolved}")
        if info.problem:
            print(f"{head}\n    cannot be read: {info.problem}  ({ref.source})")
            continue
        kind = "folder" if info.resolved.is_dir() else "file"
        files = f"{info.files:,} .ics file{'s' if info.files != 1 else ''}"
        events = f"{info.events:,} event{'s' if info.events != 1 else ''}"
        print(f"{head}\n    {kind}: {files}, {events} · timed: {ref.timed} · "
              f"all-day: {ref.all_day}")


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
