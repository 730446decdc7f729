"""The `boundaries` command line: the parser, the dispatch to each command family's module,
and `main`, which turns every problem into an exit code and a stderr line. Never imports
Textual on the subcommand paths."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime

from boundaries import __version__
from boundaries.cli.errors import EXIT_BAD, EXIT_OK, report
from boundaries.core.errors import BoundariesError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with usage, as argparse does, no traceback
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD)


_CHECK_EXAMPLES = """examples:
  boundaries check --from "+43 732 123456" --at 2026-01-08T18:20
  boundaries check --from acme --channel sms --urgency urgent --json
  boundaries check --from office@acme.example --channel email --kind change --at 18:20
"""


def _request_options(sender_required: bool) -> argparse.ArgumentParser:
    """The request fields of §2, shared by `check` and `log` (`log --import` takes them from
    its file, so there `--from` is checked by cli/journal.py, not by argparse)."""
    request = argparse.ArgumentParser(add_help=False)
    request.add_argument("--from", dest="sender", required=sender_required, metavar="WHO",
                         help="client id, client name, phone number (any format) or mail address")
    request.add_argument("--channel", default="call", metavar="C",
                         help="call, sms, email or chat (default: call)")
    request.add_argument("--at", metavar="T",
                         help="ISO 8601 time, with or without offset (without: my time), "
                              "or HH:MM today (default: now)")
    request.add_argument("--kind", default="question", metavar="K",
                         help="question, task, change, billing or complaint (default: question)")
    request.add_argument("--urgency", default="normal", metavar="U",
                         help="normal, urgent or emergency (default: normal)")
    request.add_argument("--journal", metavar="DIR",
                         help="journal folder for budgets and repeats (default: "
                              "$BOUNDARIES_JOURNAL, then the user data folder); only `log` "
                              "writes it")
    return request


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's absent --policies must not undo one given before it
    common.add_argument("--policies", metavar="DIR", default=argparse.SUPPRESS,
                        help="policy folder (default: $BOUNDARIES_POLICIES, ./policies, "
                             "the user config folder, then the shipped example set)")
    p = _Parser(prog="boundaries", parents=[common],
                description="Should I answer this call, SMS or mail now? Decides from your "
                            "policy files (TOML) and says why, when, and what to reply.",
                epilog="Run `boundaries COMMAND --help` for examples. Without a command, "
                       "starts the terminal UI (or, when not on a terminal, prints an "
                       "overview of the policy set in use).",
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"boundaries {__version__}")
    p.add_argument("--from", dest="sender", metavar="WHO",
                   help="open the terminal UI with this caller already filled in")
    # the terminal UI's phone sources (sources.md §8), as `watch` takes them
    p.add_argument("--events", dest="tui_events", metavar="FILE",
                   help="terminal UI: follow the event stream (JSON lines: a file or a FIFO)")
    p.add_argument("--fritzbox", dest="tui_fritzbox", metavar="HOST[:PORT]",
                   help="terminal UI: follow the FRITZ!Box call monitor (port 1012)")
    p.add_argument("--kdeconnect", dest="tui_kdeconnect", action="store_true",
                   help="terminal UI: follow the mobile through KDE Connect")
    p.add_argument("--log", dest="tui_log", action="store_true",
                   help="terminal UI: record finished calls and messages in the journal")
    p.add_argument("--maildir", dest="tui_maildir", metavar="DIR",
                   help="terminal UI: list new mail of this Maildir in Incoming (default: "
                        "[sources] maildir)")
    p.add_argument("--drafts", dest="tui_drafts", metavar="DIR",
                   help="terminal UI: the Drafts Maildir Ctrl+S writes a mail's reply into "
                        "(default: [sources] drafts)")
    # an explicit prog spares argparse a help formatter (and a shutil import) at every start
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                           prog="boundaries")

    request, log_request = _request_options(True), _request_options(False)

    c = sub.add_parser("check", parents=[common, request], help="decide one incoming request",
                       description="Decide one incoming request: answer now, later, or "
                                   "decline, with reasons, next window and a reply to send.",
                       epilog=_CHECK_EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("--json", action="store_true", help="print the decision as one JSON object")

    lg = sub.add_parser("log", parents=[common, log_request],
                        help="record a request and what I did",
                        description="Decide a request as `check` does and append it, with what "
                                    "I did, to the journal (budgets, repeats, reports). With "
                                    "--import, every call of a FRITZ!Box call list export.",
                        epilog="examples:\n"
                               "  boundaries log --from acme --at 2026-01-08T18:20 --outcome "
                               "missed\n"
                               "  boundaries log --from stahlwerk --urgency urgent --outcome "
                               "answered --minutes 25 --note \"Server down\"\n"
                               "  boundaries log --import FRITZ.Box_Anrufliste.csv",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    lg.add_argument("--outcome", metavar="O",
                    help="answered, called-back, missed, declined or received (a message "
                         "that came in; required without --import)")
    lg.add_argument("--import", dest="import_file", metavar="FILE.csv",
                    help="record a FRITZ!Box call list export (Telefonie → Anrufliste → "
                         "export): each call decided as `check` would have at its time; a "
                         "call already in the journal is not recorded again")
    lg.add_argument("--minutes", type=int, default=0, help="time spent")
    lg.add_argument("--note", default="", help="what was agreed, in a few words")

    rq = sub.add_parser("report", parents=[common], help="per-client figures from the journal",
                        description="Per client for a month or a range: requests, answered, "
                                    "after-hours share, extra effort used vs budget, minutes, "
                                    "declined, missed.",
                        epilog="examples:\n"
                               "  boundaries report --month 2026-01\n"
                               "  boundaries report --month 2026-01..2026-03\n"
                               "  boundaries report --month 2026-01 --client acme --format csv",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    rq.add_argument("--month", metavar="YYYY-MM[..YYYY-MM]", help="default: this month")
    rq.add_argument("--client", metavar="ID", help="one client only")
    rq.add_argument("--format", choices=["text", "csv", "json"], default="text")
    rq.add_argument("--journal", metavar="DIR", help="journal folder")

    rp = sub.add_parser("replay", parents=[common],
                        help="decide many requests at once; what an edit would change",
                        description="Decide every request of a CSV file (columns from, at; "
                                    "optional channel, kind, urgency; others are passed "
                                    "through), of the journal, or every message of a Maildir "
                                    "or an mbox file (one of the four), and summarise. With "
                                    "--against, decide each with both sets and show what "
                                    "would change. Never writes the journal.",
                        epilog="examples:\n"
                               "  boundaries replay calls.csv\n"
                               "  boundaries replay calls.csv --against ../policies-new\n"
                               "  boundaries replay --journal 2026-01 --against ../policies-new\n"
                               "  boundaries replay calls.csv --format csv > decided.csv\n"
                               "  boundaries replay --maildir ~/Mail/work/INBOX\n"
                               "  boundaries replay --mbox Takeout/Mail/Inbox.mbox --against "
                               "../policies-new\n"
                               "  boundaries replay calls.csv --against ../policies-new "
                               "--fail-on-change   # pre-commit hook\n\n"
                               "exit codes: 0 done, 1 --strict with bad rows or "
                               "--fail-on-change with changes, 2 bad input or policy set",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    rp.add_argument("file", nargs="?", metavar="FILE.csv",
                    help="requests, one per row, with a header line (- reads stdin)")
    rp.add_argument("--journal", metavar="YYYY-MM[..YYYY-MM]",
                    help="replay the journal's requests of these months instead of a file")
    rp.add_argument("--maildir", metavar="DIR",
                    help="replay every message of this Maildir (new/ and cur/) instead of a "
                         "file: from its From, at its Date, channel email, the kind from "
                         "[mail.kinds]; only read")
    rp.add_argument("--mbox", metavar="FILE",
                    help="replay every message of this mbox file (Thunderbird's folders, "
                         "Google Takeout's .mbox) instead of a file, as --maildir; only read")
    rp.add_argument("--journal-dir", metavar="DIR",
                    help="journal folder (default: $BOUNDARIES_JOURNAL, then the user data "
                         "folder)")
    rp.add_argument("--against", metavar="DIR",
                    help="a second (edited) policy set: show the requests it decides "
                         "differently")
    rp.add_argument("--format", choices=["text", "csv", "json"], default="text",
                    help="text: a summary; csv / json (JSON Lines): every row with its "
                         "decision, or with --against every changed row")
    rp.add_argument("--fail-on-change", action="store_true",
                    help="exit 1 if any request would be decided differently")
    rp.add_argument("--strict", action="store_true", help="exit 1 if any row is bad")
    rp.add_argument("--no-history", action="store_true",
                    help="decide every row as if alone (no simulated budgets or repeats)")
    rp.add_argument("--show", type=int, default=3, metavar="N",
                    help="rows shown per group of changes (default: 3)")

    ln = sub.add_parser("lint", parents=[common], help="check the policy files",
                        description="Report every problem of every policy file as "
                                    "PATH:LINE:COL: error|warning: message, and of the "
                                    "calendars in me.toml: one that cannot be read is an "
                                    "error at its `path` key, an event that cannot be "
                                    "understood a warning at its line in the .ics file. "
                                    "Exit 1 on errors.",
                        epilog="examples:\n  boundaries lint\n  boundaries lint --policies "
                               "~/my-policies --json",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    ln.add_argument("--json", action="store_true", help="print the diagnostics as JSON")

    t = sub.add_parser("test", parents=[common], help="run the checks in checks.toml",
                       description="Run every [[check]] of checks.toml (with an empty "
                                   "journal). One line per failing check; exit 1 if any failed.",
                       epilog="examples:\n  boundaries test\n  boundaries test -v",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("-v", "--verbose", action="store_true", help="list passing checks too")

    w = sub.add_parser("week", parents=[common], help="show a week of reachability",
                       description="The coming seven days as a grid of reachable time, with "
                                   "public holidays and time off marked.",
                       epilog="examples:\n  boundaries week --tier maintenance\n"
                              "  boundaries week --from tanaka --at 2026-01-12",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    g = w.add_mutually_exclusive_group(required=True)
    g.add_argument("--tier", metavar="T", help="a tier name")
    g.add_argument("--from", dest="sender", metavar="WHO", help="a client or sender")
    w.add_argument("--at", metavar="T", help="first day (default: today)")

    i = sub.add_parser("init", help="write a starter policy set",
                       description="Write a small, commented starter set (me, clients, three "
                                   "tiers, de + en replies, checks) for your timezone and "
                                   "language, reading your calendars if you name them. "
                                   "Never overwrites anything.",
                       epilog="examples:\n"
                              "  boundaries init ~/policies --timezone Europe/Vienna --locale de "
                              "--holidays AT-4 --name \"Martin Huber\"\n"
                              "  boundaries init ~/policies --calendar ~/.calendars/work "
                              "--calendar ~/Downloads/holidays.ics\n"
                              "  boundaries init ~/policies     # asks, with defaults from this "
                              "machine",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    i.add_argument("dir", metavar="DIR", help="folder to create (must not hold these files)")
    i.add_argument("--name", help="your name, used in replies")
    i.add_argument("--timezone", metavar="TZ", help="IANA timezone (default: this machine's)")
    i.add_argument("--locale", choices=["de", "en"], help="language of replies")
    i.add_argument("--holidays", metavar="REGION",
                   help="public holidays region, e.g. AT-4, DE-BY (empty: none)")
    i.add_argument("--calendar", action="append", metavar="PATH",
                   help="an existing calendar whose events make you busy or away: an .ics "
                        "file or a folder of them (a vdir, as vdirsyncer and khal keep "
                        "them); written into me.toml as a [[calendars]] table (repeatable)")
    i.add_argument("-y", "--yes", action="store_true", help="take the defaults, ask nothing")

    sc = sub.add_parser("schema", help="print the JSON Schema of the policy files",
                        description="JSON Schema (draft 2020-12) of the policy files, made "
                                    "from the definitions the loader checks against.",
                        epilog="examples:\n"
                               "  boundaries schema > boundaries.schema.json\n"
                               "  boundaries schema --kind tier\n"
                               "  boundaries schema --write ~/policies   # .schema/*.json for "
                               "the #:schema lines",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    sc.add_argument("--kind", choices=["me", "clients", "tier", "replies", "checks"],
                    help="one file kind (default: all, under $defs)")
    sc.add_argument("--write", metavar="DIR",
                    help="write DIR/.schema/<kind>.schema.json instead of printing")

    cl = sub.add_parser("client", help="manage clients.toml",
                        description="Change clients.toml without touching what is in it.")
    clsub = cl.add_subparsers(dest="client_command", metavar="ACTION", required=True,
                              parser_class=_Parser, prog="boundaries client")
    ca = clsub.add_parser("add", parents=[common], help="append a client",
                          description="Append a [clients.ID] table at the end of clients.toml, "
                                      "atomically, leaving every existing byte as it was. "
                                      "Refuses a duplicate id, an unknown tier, a number or "
                                      "address another client has, or anything lint rejects.",
                          epilog="example:\n"
                                 "  boundaries client add kunde-x --tier maintenance "
                                 "--phone \"0664 1112223\" --mail a@b.example",
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    ca.add_argument("id", metavar="ID", help="the client id (letters, digits, - and _)")
    ca.add_argument("--tier", required=True, help="a tier in tiers/")
    ca.add_argument("--name", help="the client's name (default: the id)")
    ca.add_argument("--phone", action="append", default=[], help="a phone number (repeatable)")
    ca.add_argument("--mail", action="append", default=[], help="a mail address (repeatable)")
    ca.add_argument("--timezone", help="the client's timezone, for times in replies")
    ca.add_argument("--locale", help="the client's language of replies")
    ca.add_argument("--notes", help="free text")
    ci = clsub.add_parser("import", parents=[common], help="append clients from vCards",
                          description="Append a client for every card of a vCard export (2.1, "
                                      "3.0, 4.0) or a folder of .vcf files, in one atomic "
                                      "write at the end of clients.toml. Skips, with a "
                                      "warning, a card without phone and mail and one with a "
                                      "number or address a client has already.",
                          epilog="examples:\n"
                                 "  boundaries client import contacts.vcf --tier standard "
                                 "--dry-run\n"
                                 "  boundaries client import ~/.contacts/work/ --tier standard",
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    ci.add_argument("source", metavar="FILE.vcf|DIR", help="a .vcf file or a folder of them")
    ci.add_argument("--tier", required=True, help="a tier in tiers/, for every new client")
    ci.add_argument("--dry-run", action="store_true",
                    help="print the TOML it would append; write nothing")

    wa = sub.add_parser("watch", parents=[common],
                        help="decide every call and message as it comes in",
                        description="Follow the phone sources and decide every ring and "
                                    "message the moment it arrives, with the journal's facts "
                                    "(budgets, repeats): one line each on stdout, or one JSON "
                                    "object a line. Sources: the flags, else [sources] in "
                                    "me.toml. Runs until the sources end or SIGINT/SIGTERM "
                                    "(exit 0).",
                        epilog="examples:\n"
                               "  boundaries watch --fritzbox fritz.box\n"
                               "  boundaries watch --events ~/phone.fifo --json --log\n"
                               "  boundaries watch --kdeconnect\n"
                               "  my-pbx-events | boundaries watch --events - --json",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    wa.add_argument("--events", metavar="FILE|-",
                    help="the event stream: JSON lines from a file, a FIFO, or - (stdin)")
    wa.add_argument("--fritzbox", metavar="HOST[:PORT]",
                    help="the FRITZ!Box call monitor (port 1012 by default; dial #96*5* "
                         "to turn it on)")
    wa.add_argument("--kdeconnect", action="store_true",
                    help="the mobile, through KDE Connect on the session D-Bus")
    wa.add_argument("--json", action="store_true", help="one JSON object a line")
    wa.add_argument("--log", action="store_true",
                    help="record finished calls and messages in the journal (each once)")
    wa.add_argument("--journal", metavar="DIR",
                    help="journal folder (default: $BOUNDARIES_JOURNAL, then the user data "
                         "folder)")

    from boundaries.cli.mail import add_mail_parser

    add_mail_parser(sub, common)

    sub.add_parser("where", parents=[common],
                   help="which policy set, journal and calendars are in use",
                   description="Say which policy folder is used and which rule chose it, "
                               "where the journal and the cache live, and which calendars "
                               "me.toml reads: each with its path, how many .ics files and "
                               "events it holds, or why it cannot be read.",
                   epilog="example:\n  boundaries where",
                   formatter_class=argparse.RawDescriptionHelpFormatter)
    return p


def _now() -> datetime:
    return datetime.now(UTC)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `boundaries` console script.

    Every byte of text it prints (results, diagnostics, argparse's messages) passes
    `core.text.visible`: a control character from a file or an argument is shown as
    `\\u001b`, never obeyed by the terminal."""
    from boundaries.cli.output import visible_output

    with visible_output():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if not hasattr(args, "policies"):  # given neither before nor after the subcommand
            args.policies = None
        return _dispatch(args, _now())
    except BoundariesError as exc:
        return report(exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): silence the final flush
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except SystemExit as exc:  # argparse (--help, --version, usage)
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None
                                                            else EXIT_BAD)
    except Exception as exc:  # never a traceback for a user
        if os.environ.get("BOUNDARIES_DEBUG"):
            raise
        print(f"boundaries: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("    hint: set BOUNDARIES_DEBUG=1 to see where, and please report it",
              file=sys.stderr)
        return EXIT_BAD
    finally:
        _cache_warnings()


def _cache_warnings() -> None:
    """What the compiled cache refused (it prints nothing itself), if this run used it."""
    cache = sys.modules.get("boundaries.policy.cache")
    for message in cache.take_warnings() if cache else ():
        print(f"boundaries: warning: {message}", file=sys.stderr)


def _dispatch(args: argparse.Namespace, now: datetime) -> int:
    """Run the parsed command at time `now` and return its exit code. Each command family is
    its own module, imported only when its command runs (`check` never pays for replay, the
    journal report or Textual). Without a command: the terminal UI on a terminal, else an
    overview of the set in use."""
    cmd = args.command
    if cmd in ("check", "week"):
        from boundaries.cli.check import run_check_command, run_week

        return (run_check_command if cmd == "check" else run_week)(args, now)
    if cmd in ("lint", "test"):
        from boundaries.cli.lint import run_lint, run_test

        return (run_lint if cmd == "lint" else run_test)(args)
    if cmd == "replay":
        from boundaries.cli.replay import run_replay

        return run_replay(args, now)
    if cmd in ("log", "report"):
        from boundaries.cli.journal import run_log, run_report

        return (run_log if cmd == "log" else run_report)(args, now)
    if cmd == "watch":
        from boundaries.cli.watch import run_watch

        return run_watch(args, now)
    if cmd == "mail":
        from boundaries.cli.mail import run_mail

        return run_mail(args, now)
    if cmd == "client" and args.client_command == "import":
        from boundaries.cli.contacts import run_client_import

        return run_client_import(args)
    if cmd in ("init", "schema", "client", "where"):
        from boundaries.cli import setup as sc

        run = {"init": sc.run_init, "schema": sc.run_schema, "client": sc.run_client_add,
               "where": sc.run_where}[cmd]
        return run(args)
    if sys.stdin.isatty() and sys.stdout.isatty():
        from boundaries.cli.output import raw_output
        from boundaries.tui import make_app

        with raw_output():  # the TUI sanitizes what it shows, and draws with escapes
            make_app(args.policies, who=args.sender or "", events=args.tui_events,
                     fritzbox=args.tui_fritzbox, kdeconnect=args.tui_kdeconnect,
                     log=args.tui_log, maildir=args.tui_maildir,
                     drafts=args.tui_drafts).run()
        return EXIT_OK
    from boundaries.cli.lint import run_overview

    return run_overview(args)
