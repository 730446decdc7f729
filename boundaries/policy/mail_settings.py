"""me.toml's mail keys: `addresses`, `[mail]` (`sendmail`, `[mail.kinds]`) and `[tone]`.

    addresses = ["martin@huber-it.example"]   # whom mail must be for; the first is my From
    [mail]
    sendmail = "msmtp -t"                    # how `mail --send` sends
    [mail.kinds]                             # words in a Subject that set the kind
    billing = ["Rechnung", "invoice"]
    [tone]
    avoid = ["leider nein"]                  # more words the tone check warns about
    allow = ["ASAP"]                         # capitals that are not shouting

Checked with the rest of me.toml; `read_mail_settings` returns the `Me` fields they fill.
"""

from __future__ import annotations

from boundaries.core.vocabulary import KINDS
from boundaries.policy import schema as S
from boundaries.policy.validate import FileCheck


def read_mail_settings(fc: FileCheck, v: dict) -> dict:
    """The `Me` keyword arguments of me.toml's checked table `v` (values it refuses are
    reported at their position and left out)."""
    out: dict = {}
    addresses = []
    for i, address in enumerate(v.get("addresses", [])):
        if not isinstance(address, str):
            continue  # reported by the type check
        text = address.strip()
        local, at, domain = text.rpartition("@")
        if not at or not local or "." not in domain or any(c.isspace() for c in text):
            fc.report(("addresses", i), f"`{address}` is not a mail address",
                      'write the bare address, e.g. "martin@huber-it.example"',
                      at_value=True)
            continue
        addresses.append(text)
    out["addresses"] = tuple(addresses)
    mail = fc.table(v["mail"], S.MAIL, ("mail",), "[mail]") if "mail" in v else {}
    command = mail.get("sendmail")
    if command is not None and not command.strip():
        fc.report(("mail", "sendmail"), "`sendmail` in [mail] is empty",
                  'a command that reads a message on standard input, e.g. "msmtp -t"',
                  at_value=True)
        command = None
    out["sendmail"] = command
    kinds = []
    for kind, words in mail.get("kinds", {}).items():
        path = ("mail", "kinds", kind)
        if not fc.allowed(kind, KINDS, path, "a key of [mail.kinds]"):
            continue
        if not fc.value(words, S.MAIL["kinds"].values, path, kind):
            continue
        kept = tuple(w.strip() for w in words if isinstance(w, str) and w.strip())
        if kept:
            kinds.append((kind, kept))
    out["mail_kinds"] = tuple(kinds)
    tone = fc.table(v["tone"], S.TONE, ("tone",), "[tone]") if "tone" in v else {}
    out["tone_avoid"] = tuple(w for w in tone.get("avoid", []) if isinstance(w, str) and w.strip())
    out["tone_allow"] = tuple(w for w in tone.get("allow", []) if isinstance(w, str) and w.strip())
    return out
