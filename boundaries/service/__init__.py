"""The use cases every front end shares: open a policy set, build a request, decide it with
the journal's facts, record it; import a call list; follow the phone as it rings.

Values in, values out: nothing here prints, exits or asks. A problem the user can fix is
raised as a `BoundariesError` (a message and a `hint`); `cli/` turns it into exit 2 and a
stderr line, the TUI into a notification. The loader, the journal store and the libraries
behind them are imported inside the functions that need them, so `check` starts no slower.

One module per use case, everything re-exported here (`from boundaries.service import …`;
the calls' modules when a name of theirs is first asked for, so that `check` does not pay
for them):

- `sets`: which folder, the set loaded with its calendars (`open_set`, `load_set`, …)
- `requests`: a request from a front end's fields, decided with the journal's facts
  (`JournalCache`), recorded (`record`, `make_entry`)
- `call_list`: `log --import FILE.csv`, a FRITZ!Box call list export into the journal
- `call_journal`: how the journal holds calls (the same call never twice, called-back),
  shared by the import and the live sources
- `incoming`: what a phone source reports, decided as it comes and recorded when it ends
  (`Incoming`, `Seen`), for `watch` and the TUI
- `call_sources`: which phone sources to follow (flags, or me.toml's `[sources]`), opened,
  and followed side by side (`follow`)
- `mail`: a mail message decided, guarded by the no-reply rules, its reply drafted or sent
  and recorded once (`decide_one`, `MailRun`); `mail_memory`: what a run remembers (the
  journal's mail, indexed; the Maildir files decided before, in the cache)
- `sms`: an SMS reply sent once through the paired phone after the user confirmed it, and
  recorded (`send_sms_reply`)
"""

from __future__ import annotations

from boundaries.service.requests import (
    Decided,
    JournalCache,
    JournalWriteError,
    build_request,
    choice,
    decide_with_journal,
    journal_facts,
    make_entry,
    record,
)
from boundaries.service.sets import (
    BadPolicySet,
    Opened,
    PolicyFolderMissing,
    calendar_cache,
    find_set,
    good_policies,
    load_set,
    open_set,
    peek_set,
    with_calendars,
)

_LATER = {  # imported on first use: `check` pays nothing for the calls' use cases
    "call_list": ("CallListImport", "import_call_list"),
    "call_sources": ("SourceError", "SourceSpec", "chosen_sources", "follow", "open_sources"),
    "incoming": ("Incoming", "Seen"),
    "mail": ("Handled", "MailDecided", "MailRun", "MailSetupError", "SeenFiles",
             "decide_mail", "decide_one", "mail_kind", "mail_request"),
    "sms": ("SmsReplyError", "SmsReplySent", "already_sent", "send_sms_reply", "sms_phone",
            "sms_target"),
}


def __getattr__(name: str) -> object:
    """`from boundaries.service import Incoming` and the like: the module that holds it is
    imported the first time it is asked for (PEP 562)."""
    if name in _LATER["call_list"]:
        from boundaries.service import call_list as module
    elif name in _LATER["call_sources"]:
        from boundaries.service import call_sources as module
    elif name in _LATER["incoming"]:
        from boundaries.service import incoming as module
    elif name in _LATER["mail"]:
        from boundaries.service import mail as module
    elif name in _LATER["sms"]:
        from boundaries.service import sms as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)


__all__ = ["BadPolicySet", "CallListImport", "Decided", "Handled", "Incoming", "JournalCache",
           "JournalWriteError", "MailDecided", "MailRun", "MailSetupError", "Opened",
           "PolicyFolderMissing", "Seen", "SeenFiles", "SmsReplyError", "SmsReplySent",
           "SourceError", "SourceSpec", "already_sent",
           "build_request", "calendar_cache", "choice", "chosen_sources", "decide_mail",
           "decide_one", "decide_with_journal", "find_set", "follow", "good_policies",
           "import_call_list", "journal_facts", "load_set", "mail_kind", "mail_request",
           "make_entry", "open_set", "open_sources", "peek_set", "record", "send_sms_reply",
           "sms_phone", "sms_target", "with_calendars"]
