"""Getting started and editing help: `init`, `schema`, `client add`, `where`."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from boundaries.cli.errors import EXIT_BAD, EXIT_OK, UsageError, emit_json


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
_ATTEMPTS = 3  # reads of clients.toml before giving up on an editor that keeps saving it


class _Changed(Exception):
    """clients.toml changed between our read and our rename (an edit that took no lock)."""


def run_client_add(args: argparse.Namespace) -> int:
    """Append a client under the folder's clients.toml lock: read, check and write as one."""
    import contextlib

    from boundaries.fsutil import exclusive_lock, lock_path
    from boundaries.service import find_set

    found = find_set(args.policies)
    root = found.path
    if found.is_example:
        raise UsageError("refusing to change the shipped example set",
                         "copy it first or run `boundaries init DIR`, then pass --policies DIR")
    if not (root / "me.toml").is_file():
        raise UsageError(f"{root} is not a policy folder (no me.toml)",
                         "pass --policies DIR, or run `boundaries init DIR` first")
    if not args.id.replace("-", "").replace("_", "").isalnum():
        raise UsageError(f"`{args.id}` cannot be a client id",
                         "use letters, digits, `-` and `_`, e.g. `kunde-x`")
    target = root / "clients.toml"
    real = _writable_target(target)

    def waiting() -> None:
        print(f"boundaries: waiting for {lock_path(real)} (another `client add`?)",
              file=sys.stderr)

    with contextlib.ExitStack() as held:
        try:
            held.enter_context(exclusive_lock(real, on_wait=waiting))
        except OSError as exc:
            raise UsageError(f"could not lock {target}: {exc.strerror or exc}; it is unchanged",
                             "check the folder's permissions") from None
        for _ in range(_ATTEMPTS):
            with contextlib.suppress(_Changed):
                return _add_once(args, root, target, real)
    raise UsageError(f"{target} changed each time it was read (an editor saving it?); it is "
                     f"as that edit left it, and `{args.id}` was not added",
                     "save and close the file, then run the command again")


def _writable_target(target: Path) -> Path:
    """The file to write: clients.toml, or the file its symlink points at. Refuses (exit 2)
    a dangling link, something that is not a regular file, and a read-only file."""
    import stat

    if not os.path.lexists(target):
        return target
    real = Path(os.path.realpath(target))
    try:
        st = os.stat(real)
    except OSError as exc:
        raise UsageError(f"{target} leads to {real}, which cannot be read: "
                         f"{exc.strerror or exc}", "fix or remove the link") from None
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{target} is not a regular file; it is unchanged",
                         "clients.toml must be a plain text file")
    if not st.st_mode & stat.S_IWUSR or not os.access(real, os.W_OK):
        raise UsageError(f"{target} is read-only; it is unchanged",
                         f"make it writable (chmod u+w {real}) or add the client by hand")
    return real


def _snapshot(path: Path) -> tuple[bytes, int] | None:
    """The bytes and permission bits of a regular file, or None if there is none."""
    from boundaries.policy.files import FileRefused, read_policy_file

    try:
        return read_policy_file(path), os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        return None
    except FileRefused as exc:
        raise UsageError(f"{path}: {exc.message}; it is unchanged", exc.hint) from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}; it is unchanged") from None


def _unchanged(path: Path, old: tuple[bytes, int] | None) -> None:
    """Raise _Changed unless `path` holds what `_snapshot` read before (bytes, not stat: an
    edit can keep size and mtime)."""
    now = _snapshot(path)
    if (None if now is None else now[0]) != (None if old is None else old[0]):
        raise _Changed


def _add_once(args: argparse.Namespace, root: Path, target: Path, real: Path) -> int:
    """One read-check-write of clients.toml, under its lock; _Changed if it moved under us."""
    import tomllib

    from boundaries.fsutil import atomic_write
    from boundaries.policy.load import load

    snap = _snapshot(real)
    old = snap[0] if snap else b""
    before = load(root)
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
    if old:
        try:
            tomllib.loads(old.decode("utf-8-sig"))  # a byte order mark is fine, as in lint
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            raise UsageError("clients.toml has errors; fix them first",
                             f"boundaries lint --policies {root}") from None
    new = _appended(old, cid, entry)
    problems = _errors_with(root, new, before)
    if problems:
        for d in problems:
            print(d.format(), file=sys.stderr)
        print("boundaries: not added: the set would have these new errors; clients.toml is "
              "unchanged", file=sys.stderr)
        return EXIT_BAD
    try:
        atomic_write(real, new, mode=snap[1] if snap else 0o600,
                     before_replace=lambda: _unchanged(real, snap))
    except OSError as exc:
        raise UsageError(f"could not write {target}: {exc.strerror or exc}; it is unchanged",
                         "check the disk and the folder's permissions") from None
    via = f" (the file it links to, {real})" if target.is_symlink() else ""
    print(f"added client `{cid}` (tier {args.tier}) at the end of {target}{via}")
    return EXIT_OK


def _appended(old: bytes, cid: str, entry: dict) -> bytes:
    """`old` with a `[clients.<cid>]` table after a blank line, in `old`'s line endings
    (those of its first line: CRLF or LF)."""
    import tomli_w

    first = old.find(b"\n")
    nl = b"\r\n" if first > 0 and old[first - 1:first] == b"\r" else b"\n"
    table = tomli_w.dumps({"clients": {cid: entry}}).encode("utf-8").replace(b"\n", nl)
    sep = b"" if not old else (nl if old.endswith(b"\n") else nl + nl)
    return old + sep + table


def _errors_with(root: Path, clients: bytes, before) -> list:
    """The errors a set would have with `clients` as its clients.toml, that it has not now."""
    from boundaries.policy.load import load

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "set"
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".git"))
        (copy / "clients.toml").write_bytes(clients)
        after = load(copy)
    old = {(d.path, d.message) for d in before.errors}
    return [d for d in after.errors if (d.path, d.message) not in old]
