"""`mail`: a message decided and its reply shown, or a Maildir's new mail decided, each reply
written into Drafts (or sent), and each message remembered (sources.md §9).

`mail FILE|-` prints the decision as `check` does and the reply as RFC 5322 text (`--json`:
`check --json`'s object plus `mail`). `mail --maildir DIR` prints one line per message it
has not decided before (`--json`: one object a line), `FILE: warning: …` on stderr for a file
it cannot read, a progress line on a terminal, and a summary at the end; `--watch` keeps
going as mail arrives (watchfiles, else a look every POLL seconds) until SIGINT/SIGTERM, exit
0. The user's Maildir is only read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from boundaries.cli.errors import EXIT_FAIL, EXIT_OK, UsageError, emit_json

POLL = 2.0  # seconds between looks at the Maildir when watchfiles cannot watch it
BATCH = 64  # messages decided, then drafted together (one sync), then recorded
_DONE = {"drafted": "draft written", "sent": "sent", "kept": "not sent: kept as a draft",
         "nothing": "no message to send", "unsent": "not sent", "preview": ""}


def add_mail_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """`boundaries mail`'s parser, under the subcommands `sub`."""
    m = sub.add_parser(
        "mail", parents=[common], help="decide mail and draft (or send) the replies",
        description="Decide a mail message as `check` decides a request (channel email, "
                    "from its From, at its Date, the kind from [mail.kinds]) and show the "
                    "reply as a complete message; or decide every message of a Maildir not "
                    "decided before, write each reply as a draft into the Drafts Maildir "
                    "(or send it), and remember each in the journal. No reply ever goes to "
                    "a list, a bounce, an auto-reply, a no-reply address, or twice within "
                    "reply_once_days. The Maildir is only read. See docs/mail.md.",
        epilog="examples:\n"
               "  boundaries mail message.eml\n"
               "  boundaries mail - --json < message.eml\n"
               "  boundaries mail --maildir ~/Mail/work/INBOX --drafts ~/Mail/work/Drafts\n"
               "  boundaries mail --watch        # [sources] maildir and drafts in me.toml\n"
               "  boundaries mail --maildir ~/Mail/work/INBOX --send",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    m.add_argument("file", nargs="?", metavar="FILE.eml|-",
                   help="one message (- for standard input): decided and shown, nothing "
                        "written")
    m.add_argument("--maildir", metavar="DIR",
                   help="decide the Maildir's new/ and cur/ (default: [sources] maildir)")
    m.add_argument("--drafts", metavar="DIR",
                   help="the Drafts Maildir the replies go to (default: [sources] drafts); "
                        "without it and --send, replies are shown and nothing is recorded")
    m.add_argument("--send", action="store_true",
                   help="send each reply through [mail] sendmail (e.g. \"msmtp -t\"), marked "
                        "Auto-Submitted: auto-replied; a failed send is kept as a draft")
    m.add_argument("--watch", action="store_true",
                   help="keep going as mail arrives, until SIGINT/SIGTERM (exit 0)")
    m.add_argument("--json", action="store_true",
                   help="the check --json object plus \"mail\" (with --maildir: one a line)")
    m.add_argument("--journal", metavar="DIR",
                   help="journal folder (default: $BOUNDARIES_JOURNAL, then the user data "
                        "folder)")


def run_mail(args: argparse.Namespace, now: datetime) -> int:
    """`boundaries mail`: one message, or a Maildir (once, or watched)."""
    from boundaries.cli.commands import open_policies, require_good
    from boundaries.journal.store import journal_dir

    if args.file is not None and (args.maildir or args.drafts or args.send or args.watch):
        raise UsageError("give a message FILE or --maildir DIR, not both",
                         "`boundaries mail FILE` shows one decision; --drafts, --send and "
                         "--watch belong to --maildir")
    ps = require_good(open_policies(args).result)
    folder = journal_dir(args.journal)
    if args.file is not None:
        return _one(ps, args.file, folder, now, args.json)
    return _maildir(ps, args, folder)


# -- one message -----------------------------------------------------------------------------
def _one(ps: Any, name: str, journal: Path, now: datetime, as_json: bool) -> int:
    from boundaries.cli.check import format_decision
    from boundaries.service import decide_one

    m, warnings = decide_one(ps, _read_one(name), journal, now)
    for w in warnings:
        print(w, file=sys.stderr)
    if m.note:
        print(f"boundaries: {m.note}", file=sys.stderr)
    if as_json:
        emit_json(m.as_json())
        return EXIT_OK
    print(format_decision(ps, m.decision, "email"))
    if m.suppressed is not None:
        print(f"no reply: {m.suppressed.text}")
    for title, message in ((f"reply to {m.to}", m.reply),
                           (f"confirmation in writing to {m.to}", m.confirm)):
        if message is not None:
            print(f"\n--- {title} ---")
            print(message.as_string().rstrip("\n"))
    return EXIT_OK


def _read_one(name: str) -> Any:
    """The message of FILE or `-` (standard input, read as far as its headers); a message
    that cannot be read is a usage error naming it."""
    from boundaries.sources.mail.read import MAX_HEADER, MailReadError, parse_headers, read_message

    try:
        if name != "-":
            return read_message(Path(name))
        lines = []
        size = 0
        for line in sys.stdin.buffer:
            if line in (b"\n", b"\r\n"):
                break
            lines.append(line)
            size += len(line)
            if size > MAX_HEADER:
                raise MailReadError(f"no end of the headers in the first {MAX_HEADER // 1024} "
                                    "KiB")
        return parse_headers(b"".join(lines), "-", None)
    except MailReadError as exc:
        raise UsageError(f"{name}: {exc}", exc.hint or "give a mail message (.eml), as a "
                         "mail client saves it") from None


# -- a Maildir ---------------------------------------------------------------------------------
def _maildir(ps: Any, args: argparse.Namespace, journal: Path) -> int:
    from boundaries.policy.phone_sources import sources_in
    from boundaries.service import MailRun, SeenFiles
    from boundaries.sources.mail.drafts import inside_maildir

    table = sources_in(Path(ps.root))
    maildir = args.maildir or table.maildir
    if not maildir:
        raise UsageError("mail needs a message FILE or a Maildir",
                         "give FILE.eml, or --maildir DIR, or name it in me.toml: [sources] "
                         "maildir = \"~/Mail/work/INBOX\"")
    drafts = args.drafts or table.drafts
    if args.send and not ps.me.sendmail:
        raise UsageError("--send needs a sendmail command",
                         "name it in me.toml: [mail] sendmail = \"msmtp -t\"")
    if args.watch and not (drafts or args.send):
        raise UsageError("--watch needs a place for the replies",
                         "give --drafts DIR (or [sources] drafts in me.toml), or --send")
    source = Path(maildir).expanduser()
    target = Path(drafts).expanduser() if drafts else None
    if target is not None and inside_maildir(source, target):
        raise UsageError("the Drafts folder is the Maildir itself (or in its new/, cur/ or "
                         "tmp/)",
                         "give your mail client's Drafts Maildir, e.g. ~/Mail/work/Drafts")

    def clock() -> datetime:
        return datetime.now(UTC)

    run = MailRun(ps, journal, drafts=target, sendmail=ps.me.sendmail if args.send else None,
                  clock=clock)
    show = _Shown(ps, args.json)
    if target is None and not args.send:
        print("boundaries: no --drafts and no --send: the replies are shown, nothing is "
              "written or recorded", file=sys.stderr)
    seen = SeenFiles(source, journal)
    if args.watch:
        _watch(run, source, show, seen)
        return EXIT_OK
    show.scan(run, source, seen)
    show.summary()
    return EXIT_FAIL if show.counts["problem"] else EXIT_OK


def _names(folder: Path) -> list[str]:
    """The unique names (without flags) of the files in `folder`'s new/ and cur/."""
    import os

    from boundaries.sources.mail.maildir import unique_name

    out = []
    for sub in ("new", "cur"):
        try:
            out += [unique_name(n) for n in os.listdir(folder / sub) if not n.startswith(".")]
        except OSError:
            continue
    return out


class _Shown:
    """What a run prints: a line per message, warnings, the progress line, the summary."""

    def __init__(self, ps: Any, as_json: bool) -> None:
        self.ps, self.as_json = ps, as_json
        self.counts: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self._warned: set[tuple[str, str]] = set()
        self.stop: Any = None  # --watch: a signal came (an Event): the look ends early

    def scan(self, run: Any, folder: Path, seen: Any) -> None:
        """Every message of `folder` not `seen` before taken once, BATCH at a time; a file
        that cannot be read skipped (and told once). With nothing new, none is read."""
        from boundaries.cli.progress import Progress
        from boundaries.sources.mail.maildir import MailSkip, maildir_messages

        names = _names(folder)
        fresh = [n for n in names if n not in seen]
        self.counts["already"] += len(names) - len(fresh)
        if names and not fresh:
            return
        progress = Progress(None)
        batch: list[Any] = []
        done = 0
        try:
            for item in maildir_messages(folder, seen):  # the seen are never opened
                if self.stop is not None and self.stop.is_set():
                    break
                if isinstance(item, MailSkip):
                    self.skipped(item.path, item.warning)
                    continue
                batch.append(item)
                if len(batch) >= BATCH:
                    done += self._take(run, folder, seen, batch)
                    progress.update(done, None)
            if batch:
                self._take(run, folder, seen, batch)
        finally:
            progress.close()
            seen.save()
        for w in run.journal.warnings:
            print(w, file=sys.stderr)
        run.journal.warnings.clear()

    def _take(self, run: Any, folder: Path, seen: Any, batch: list[Any]) -> int:
        from boundaries.sources.mail.maildir import unique_name

        for item, handled in zip(batch, run.take_many([i.message for i in batch]),
                                 strict=True):
            if handled.done == "skipped":  # a From no request can be made of
                self.skipped(item.path, handled.problem)
                continue
            self.show(folder, handled)
            if handled.done not in ("unsent", "held", "preview"):
                seen.add(unique_name(Path(item.path).name))  # the next run need not read it
        taken = len(batch)
        batch.clear()
        return taken

    def skipped(self, path: str, why: str) -> None:
        if (path, why) in self._warned:  # --watch: told at the first look, not at each
            return
        self._warned.add((path, why))
        self.counts["skipped"] += 1
        print(f"{path}: warning: {why}; skipped", file=sys.stderr, flush=True)

    def show(self, folder: Path, h: Any) -> None:
        if h.done == "held":  # not sent earlier in this session: told then
            return
        if h.done == "already":
            self.counts["already"] += 1
            return
        self.counts[h.done] += 1
        if h.decided.suppressed is not None:
            self.rules[h.decided.suppressed.rule] += 1
        if h.problem:  # a send that failed, a journal that could not be written: exit 1
            self.counts["problem"] += 1
            print(f"boundaries: error: {h.problem}", file=sys.stderr, flush=True)
        if self.as_json:
            line = json.dumps(json_object(folder, h), ensure_ascii=False,
                              separators=(",", ":"))
        else:
            line = summary_line(self.ps, folder, h)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def summary(self) -> None:
        """`12 messages: 3 drafts, 8 no reply (list 5, not-for-me 3), 1 skipped`, on
        stdout (stderr with --json, whose stdout is JSON lines only)."""
        c = self.counts
        total = sum(v for k, v in c.items() if k not in ("already", "problem"))
        parts = []
        for key, word in (("drafted", "draft"), ("sent", "sent"), ("kept", "kept as draft"),
                          ("unsent", "not sent"), ("preview", "shown"),
                          ("nothing", "with nothing to send")):
            if c[key]:
                plural = "s" if key == "drafted" and c[key] != 1 else ""
                parts.append(f"{c[key]} {word}{plural}")
        if c["no-reply"]:
            rules = ", ".join(f"{r} {n}" for r, n in self.rules.most_common())
            parts.append(f"{c['no-reply']} no reply ({rules})")
        if c["skipped"]:
            parts.append(f"{c['skipped']} skipped")
        line = f"{total} message{'s' if total != 1 else ''}" + (
            f": {', '.join(parts)}" if parts else "")
        if c["already"]:
            line += f"; {c['already']} decided before"
        print(line, file=sys.stderr if self.as_json else sys.stdout)


def _who(ps: Any, h: Any) -> str:
    """The client (with its name unless discreet), else the sender's address."""
    d = h.decided.decision
    if d.client:
        return d.client if d.discreet or not d.client_name else f"{d.client} ({d.client_name})"
    return h.message.from_address or "unknown sender"


def _relative(folder: Path, path: str) -> str:
    try:
        return str(Path(path).relative_to(folder))
    except ValueError:
        return path


def summary_line(ps: Any, folder: Path, h: Any) -> str:
    """One line: the file, who, the verdict and its first reason, and what was done."""
    d = h.decided.decision
    parts = [_who(ps, h), d.decision.upper()]
    if d.reasons:
        parts.append(d.reasons[0].text)
    if h.decided.suppressed is not None:
        parts.append(f"no reply: {h.decided.suppressed.text}")
    elif h.done == "preview":
        parts.append("a reply to send" if h.decided.reply or h.decided.confirm
                     else "no message to send")
    else:  # why there is no message to send, where something stood in its way
        parts.append(h.decided.note or _DONE.get(h.done, h.done))
    if h.written:
        parts.append(", ".join(Path(p).name for p in h.written))
    return f"{_relative(folder, h.message.path)}  " + " · ".join(parts)


def json_object(folder: Path, h: Any) -> dict:
    """`check --json`'s object with `file` and `mail` (as `mail FILE --json` has it, plus
    what was done: `done`, `drafts`, `problem`)."""
    obj = {"file": _relative(folder, h.message.path), **h.decided.as_json()}
    obj["mail"].update(done=h.done, drafts=[str(p) for p in h.written],
                       problem=h.problem or None)
    return obj


# -- watching ----------------------------------------------------------------------------------
def _watch(run: Any, folder: Path, show: _Shown, seen: Any) -> None:
    """Take what is there, then new mail as it arrives, until SIGINT or SIGTERM (which end
    a look at the Maildir after the message in hand): woken by watchfiles where it can
    watch `new/` and `cur/`, else by a look every POLL seconds."""
    import signal
    import threading

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    show.stop = stop
    try:
        show.scan(run, folder, seen)
        if stop.is_set() or _watched(run, folder, show, seen, stop) or stop.is_set():
            return
        _watching(folder, f"looking every {POLL:g} s")
        while not stop.wait(POLL):
            _again(run, folder, show, seen)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _watched(run: Any, folder: Path, show: _Shown, seen: Any, stop: Any) -> bool:
    """Wake at each change of `new/` and `cur/` (watchfiles) until `stop`; False when
    watchfiles cannot watch (no inotify, too many watches, …): the caller polls. Once the
    watch is set up (its first quiet moment), the Maildir is looked at again: what arrived
    while it was being set up is taken too."""
    try:
        import watchfiles

        changes = iter(watchfiles.watch(
            *[folder / sub for sub in ("new", "cur") if (folder / sub).is_dir()],
            watch_filter=None, debounce=200, step=50, stop_event=stop, raise_interrupt=False,
            recursive=False, rust_timeout=500, yield_on_timeout=True))
    except Exception as exc:
        return _cannot(folder, exc)
    ready = False
    while True:
        try:
            changed = next(changes)
        except StopIteration:  # stopped
            return True
        except Exception as exc:
            return _cannot(folder, exc)
        if changed or not ready:
            _again(run, folder, show, seen)
        if not ready:
            ready = True
            _watching(folder, "woken by each change")


def _watching(folder: Path, how: str) -> None:
    print(f"boundaries: watching {folder} for new mail ({how})", file=sys.stderr, flush=True)


def _cannot(folder: Path, exc: Exception) -> bool:
    print(f"boundaries: cannot watch {folder} with watchfiles ({type(exc).__name__}: {exc})",
          file=sys.stderr, flush=True)
    return False


def _again(run: Any, folder: Path, show: _Shown, seen: Any) -> None:
    run.refresh()  # the journal as it is now: another front end may have written
    show.scan(run, folder, seen)


__all__ = ["add_mail_parser", "json_object", "run_mail", "summary_line"]
