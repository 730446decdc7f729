"""The reply to a mail as a complete RFC 5322 message (sources.md §9), and its Message-ID.

Decisions where the spec is silent:

- **Subject**: `Re: ` is added unless the subject already starts with a reply prefix: `Re`,
  `AW` (German Outlook) in any case (`RE:`, `re:`, `Aw:`), also with a counter (`Re[2]:`,
  `Re^2:`, as some clients write). A subject that already has one is kept as it is, even
  `Re: Re: …` — never a second prefix, and never a rewrite of the thread's subject.
  `Fwd:` is no reply prefix: `Fwd: x` becomes `Re: Fwd: x`.
- **References**: the original's `References` (else its `In-Reply-To`) plus its
  `Message-ID`, each once; longer than `REFERENCES_KEPT` IDs, the first (the thread's root)
  and the latest ones are kept, as RFC 5322 §3.6.4 allows.
- **Body**: `text/plain; charset="utf-8"`; `7bit` when the text is ASCII, else
  `quoted-printable`, which every server carries (8bit needs the server's 8BITMIME).
- **Header safety**: control characters (CR, LF, …) in the subject or a name become spaces,
  and an encoded word left in decoded text is decoded once more (`header_text`), so nothing
  from the original can add a header; non-ASCII words are RFC 2047 encoded (ASCII words
  stay plain: `Re: =?utf-8?…`), an internationalised name too, and every header is folded
  between words into lines of at most 78 characters.
- **The written confirmation** (`confirmation_message`) is a second message of the same form:
  the same recipients, the same `Re:` subject, threaded under the original, its own
  Message-ID.
- **Addresses**: an internationalised domain is written in its IDNA form (`xn--…`); an
  address with a non-ASCII local part cannot be replied to (a `BoundariesError`: it needs
  SMTPUTF8 at every hop).
- **Discreet**: `From` is my address alone; my name is in no header (the Message-ID is made
  from a token and my domain only).
"""

from __future__ import annotations

import binascii
import hashlib
import itertools
import re
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.header import Header, decode_header, make_header
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from functools import lru_cache

from boundaries.core.errors import BoundariesError
from boundaries.core.mail import MailMessage

REFERENCES_KEPT = 20  # at most this many Message-IDs in References: the root, then the latest
_PREFIX = re.compile(r"\s*(?:re|aw)(?:\[\d+\]|\^\d+)?\s*:", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# a Message-ID a reply may copy: printable ASCII, as RFC 5322 writes one (no control
# character, and no UTF-8: a header of it could be written by no 7-bit server)
_MSG_ID = re.compile(r"<[\x21-\x3b\x3d\x3f\x41-\x7e]+@[\x21-\x3b\x3d\x3f\x41-\x7e]+>")
_EW = re.compile(r"=\?[^?]*\?[qQbB]\?.*?\?=")  # an RFC 2047 encoded word, as email finds one
_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")


def _one_line(text: str) -> str:
    """`text` with every control character (a CR or LF above all) a space and each run of
    white space one: one header line, which folds only between words."""
    return " ".join(_CONTROL.sub(" ", text).split())


def header_text(text: str) -> str:
    """`text` made safe for a header `email` will fold: one line, and no RFC 2047 encoded
    word left in it. An encoded word in text already decoded (sent encoded twice) is decoded
    again, control characters and all made spaces; one that cannot be decoded gets a
    zero-width space after its `=`, so no one decodes it. (`email` decodes an encoded word it
    is handed as text, and Python 3.11's folding then writes a decoded line break raw: a
    header injection.)"""
    t = _one_line(text)
    for _ in range(5):
        if not _EW.search(t):
            return t
        try:
            t = _one_line(str(make_header(decode_header(t))))
        except (HeaderParseError, LookupError, UnicodeError, ValueError):
            break
    return _EW.sub(lambda m: "=\u200b" + m.group()[1:], t)


def reply_subject(subject: str) -> str:
    """The reply's subject: `Re: ` + `subject`, unless it already starts with a reply prefix
    (`Re:`, `RE:`, `AW:`, `Aw:`, `Re[2]:`, any case)."""
    subject = header_text(subject)
    if _PREFIX.match(subject):
        return subject
    return f"Re: {subject}" if subject else "Re:"


def make_message_id(my_address: str, token: str) -> str:
    """A Message-ID from my domain: `<token@domain>`. `token` comes from the caller (unique
    per message; `reply_token` makes one from the original) and must be dot-atom text."""
    domain = my_address.strip().rpartition("@")[2]
    try:
        domain = ascii_domain(domain)
    except UnicodeError:
        domain = ""
    if "@" not in my_address or not domain or _CONTROL.search(domain) or " " in domain:
        raise BoundariesError(f"no domain in my address `{my_address}` for a Message-ID",
                              hint="write a full address in me.toml's `addresses`, "
                                   "like \"martin@huber-it.example\"")
    if not _TOKEN.fullmatch(token) or token.startswith(".") or token.endswith("."):
        raise ValueError(f"a Message-ID token must be dot-atom text: {token!r}")
    return f"<{token}@{domain}>"


def reply_token(original: MailMessage, part: str = "reply") -> str:
    """A token for `make_message_id` that is the same for the same original and `part`
    (`reply`, `confirm`): a run that writes the reply again gives it the same Message-ID."""
    return f"{part}.{hashlib.sha256(original.key.encode()).hexdigest()[:24]}.boundaries"


def references(original: MailMessage) -> tuple[str, ...]:
    """The reply's References: the original's (else its In-Reply-To) and its Message-ID,
    each once, bounded to `REFERENCES_KEPT` (the first and the latest kept)."""
    chain = list(original.references) or (
        [original.in_reply_to] if original.in_reply_to else [])
    if original.message_id:
        chain.append(original.message_id)
    ids = list(dict.fromkeys(i.strip() for i in chain if _MSG_ID.fullmatch(i.strip())))
    if len(ids) > REFERENCES_KEPT:
        ids = [ids[0], *ids[-(REFERENCES_KEPT - 1):]]
    return tuple(ids)


def ascii_domain(domain: str) -> str:
    """A domain as a header carries it: an internationalised one in its IDNA form
    (`müller.example` → `xn--mller-kva.example`). UnicodeError when it has none."""
    return domain if domain.isascii() else domain.encode("idna").decode("ascii")


def _address(addr: str, name: str = "") -> Address | None:
    """`addr` as an Address email can write, or None (also for a non-ASCII local part:
    that needs SMTPUTF8 all the way, which a reply cannot count on). Made once per run for
    an ordinary address (a run replies to the same senders again and again; Address objects
    are immutable, so one serves every reply), each time for a long one."""
    if len(addr) + len(name) > 500:
        return _make_address(addr, name)
    return _cached_address(addr, name)


def _make_address(addr: str, name: str) -> Address | None:
    local, _, domain = addr.strip().rpartition("@")
    try:
        return Address(display_name=header_text(name),
                       addr_spec=f"{local}@{ascii_domain(domain)}" if local else addr.strip())
    except (ValueError, IndexError, HeaderParseError):  # UnicodeError is a ValueError
        return None


_cached_address = lru_cache(maxsize=4096)(_make_address)


def reply_recipients(original: MailMessage) -> tuple[Address, ...]:
    """Whom the reply goes to: every `Reply-To` address, else the `From` address."""
    found = _recipients(original.reply_to, original.from_address)
    if found:
        return found
    raise BoundariesError(f"{original.path}: no address to reply to",
                          hint="the message has no usable From or Reply-To address")


def _recipients(reply_to: tuple[str, ...], from_address: str | None
                ) -> tuple[Address, ...]:
    for candidates in (reply_to, (from_address,)):
        found: dict[str, Address] = {}  # each mailbox once, as first written
        for a in (_address(c) for c in candidates if c):
            if a is not None:
                found.setdefault(a.addr_spec.casefold(), a)
        if found:
            return tuple(found.values())
    return ()


class _CachingRegistry(HeaderRegistry):
    """`email`'s header registry, each header object made once per (name, value): the
    Content-Type every reply has is parsed once, not at each reading (`email` reads it four
    times a message). Header objects are immutable (str values), so sharing them is safe."""

    def __init__(self) -> None:
        super().__init__()
        self._made = lru_cache(maxsize=256)(super().__call__)

    def __call__(self, name: str, value: str) -> BaseHeader:
        return self._made(name, value)


# email's default policy, with the registry above; headers written out as they were set
# (`refold_source="none"`): a Message-ID longer than a line (Outlook's are) would otherwise
# be refolded by `email` into RFC 2047 encoded words, which no mail client threads by
POLICY = policy.default.clone(header_factory=_CachingRegistry(), refold_source="none")
_LINE = 78  # RFC 5322 §2.1.1: a line SHOULD be at most 78 characters
_PLAIN_BODY = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _fold_words(name: str, words: list[str]) -> str:
    """`name: w1 w2 …`, folded before a word that would take a line past 78 characters."""
    lines, line = [], f"{name}:"
    for w in words:
        if len(line) + 1 + len(w) > _LINE and line != f"{name}:":
            lines.append(line)
            line = " " + w
        else:
            line += " " + w
    return "\n".join([*lines, line])


def _unstructured(name: str, text: str) -> str:
    """`name: text`, RFC 2047 encoded where it is not ASCII (or has a word too long to
    fold), folded. `text` is one line without encoded words (`header_text`)."""
    words = text.split(" ")
    if text.isascii() and max(map(len, words), default=0) <= _LINE - len(name) - 2:
        return _fold_words(name, words) if text else f"{name}:"
    # ASCII words as they are (`Re: =?…`, as mail clients write it); each run of other
    # words one encoded text (its spaces inside: a space between two encoded words is not
    # read), split into encoded words of at most 76 characters; ASCII words too long to
    # fold are encoded too, so they can split
    tokens: list[str] = []
    for plain, run in itertools.groupby(words, key=lambda w: w.isascii() and len(w) < 60):
        if plain:
            tokens.extend(run)
        else:
            tokens.extend(Header(" ".join(run), "utf-8").encode(
                linesep="\n", maxlinelen=_LINE - len(name) - 2).split("\n "))
    return _fold_words(name, tokens)


def _mailbox(addr: Address, width: int) -> list[str]:
    """An address as a header writes it, in pieces a fold may go between: `Name <a@b>`
    (the name quoted, or RFC 2047 encoded in words of at most `width` characters where it
    is not ASCII), or the bare address."""
    if not addr.display_name:
        return [addr.addr_spec]
    angle = f"<{addr.addr_spec}>"
    if not addr.display_name.isascii():
        return [*Header(addr.display_name, "utf-8").encode(linesep="\n", maxlinelen=width)
                .split("\n "), angle]
    name = formataddr((addr.display_name, addr.addr_spec)).removesuffix(f" {angle}")
    return [*(name.split(" ") if not name.startswith('"') else [name]), angle]


def _addresses(name: str, addrs: tuple[Address, ...]) -> str:
    """`name: a, b, …` folded between addresses (and inside a long display name)."""
    pieces: list[str] = []
    for i, a in enumerate(addrs):
        parts = _mailbox(a, _LINE - len(name) - 2)
        if i < len(addrs) - 1:
            parts[-1] += ","
        pieces += parts
    return _fold_words(name, pieces)


def _body(text: str) -> tuple[str, str]:
    """The body's transfer encoding and bytes: 7bit for plain ASCII, else
    quoted-printable."""
    if not text.endswith("\n"):
        text += "\n"
    if (text.isascii() and not _PLAIN_BODY.search(text)
            and all(len(line) <= 998 for line in text.split("\n"))):
        return "7bit", text
    return "quoted-printable", binascii.b2a_qp(text.encode("utf-8"), istext=True).decode()


# what a run makes again and again for the same sender, subject or reply text, made once
# (pure functions of strings; values longer than _CACHED, a hostile header's, each time)
_CACHED = 2000
_cached_body = lru_cache(maxsize=256)(_body)


@lru_cache(maxsize=64)
def _from_header(my_address: str, my_name: str) -> str:
    """The reply's From header (my address is checked before)."""
    me = _address(my_address, my_name)
    assert me is not None
    return _addresses("From", (me,))


def _to_header(original: MailMessage) -> str:
    """The reply's To header: its Reply-To addresses, else its From."""
    if len(original.from_address or "") + sum(map(len, original.reply_to)) > _CACHED:
        return _addresses("To", reply_recipients(original))
    header = _cached_to(original.reply_to, original.from_address)
    return header if header is not None else _addresses("To", reply_recipients(original))


@lru_cache(maxsize=4096)
def _cached_to(reply_to: tuple[str, ...], from_address: str | None) -> str | None:
    recipients = _recipients(reply_to, from_address)
    return _addresses("To", recipients) if recipients else None


def _subject_header(subject: str) -> str:
    """The reply's Subject header, the original's `subject` with `Re: ` where it needs one."""
    if len(subject) > _CACHED:
        return _unstructured("Subject", reply_subject(subject))
    return _cached_subject(subject)


@lru_cache(maxsize=4096)
def _cached_subject(subject: str) -> str:
    return _unstructured("Subject", reply_subject(subject))


def message_bytes(msg: EmailMessage) -> bytes:
    """`msg.as_bytes()` for a message `reply_message` made (each header stored as written,
    a 7bit or quoted-printable body), written straight rather than through `email`'s
    generator, which costs as much as making the message; a property test holds the two
    equal. Any other message: its `as_bytes()`."""
    payload = msg._payload  # what the generator itself reads
    items = msg.raw_items()
    if (msg.policy is not POLICY or not isinstance(payload, str) or not payload.isascii()
            or msg.preamble is not None or msg.epilogue is not None):
        return msg.as_bytes()
    head = []
    for name, value in items:
        if not isinstance(value, str) or not value.isascii() or not name.isascii():
            return msg.as_bytes()
        head.append(f"{name}: " + "\n".join(value.splitlines()) + "\n")
    return ("".join(head) + "\n" + _NEWLINES.sub("\n", payload)).encode("ascii")


_NEWLINES = re.compile(r"\r\n|\r|\n")  # the generator's line ends, each written as \n


def reply_message(original: MailMessage, text: str, *, my_name: str, my_address: str,
                  discreet: bool, date: datetime, message_id: str,
                  auto_submitted: bool = False) -> EmailMessage:
    """The reply to `original` with body `text`, as a complete message (sources.md §9):
    From me (discreet: my address alone), To its Reply-To else From, the `Re:` subject,
    In-Reply-To and References, `message_id` (see `make_message_id`), `date`, and
    `Auto-Submitted: auto-replied` when `auto_submitted` (a reply sent without me).

    The header block is written here, each header from checked parts (one line, no encoded
    word of the original's, folded), and stored as it is written (`set_raw`): `email`'s own
    header objects cost ten times as much, and Python 3.11's folding of them can be led to
    write a raw line break."""
    me = _address(my_address, "" if discreet else my_name)
    if me is None:
        raise BoundariesError(f"my address `{my_address}` is no address a mail can be from",
                              hint="write a full address in me.toml's `addresses`")
    if not _MSG_ID.fullmatch(message_id):
        raise ValueError(f"not a Message-ID: {message_id!r}")
    cte, body = _body(text) if len(text) > _CACHED else _cached_body(text)
    head = [
        ("From", _from_header(my_address, "" if discreet else my_name)),
        ("To", _to_header(original)),
        ("Subject", _subject_header(original.subject)),
        ("Date", format_datetime(date)),
        ("Message-ID", message_id),
    ]
    if original.message_id and _MSG_ID.fullmatch(original.message_id.strip()):
        head.append(("In-Reply-To", original.message_id.strip()))
    refs = references(original)
    if refs:
        head.append(("References", _fold_words("References", list(refs))))
    if auto_submitted:
        head.append(("Auto-Submitted", "auto-replied"))
    head += [("Content-Type", 'text/plain; charset="utf-8"'),
             ("Content-Transfer-Encoding", cte), ("MIME-Version", "1.0")]
    msg = EmailMessage(policy=POLICY)
    for name, value in head:
        msg.set_raw(name, value.removeprefix(f"{name}:").lstrip(" "))
    msg.set_payload(body)
    return msg


def confirmation_message(original: MailMessage, text: str, *, my_name: str, my_address: str,
                         discreet: bool, date: datetime, message_id: str,
                         auto_submitted: bool = False) -> EmailMessage:
    """The written confirmation of a request, a second message of the reply's form: the same
    recipients and `Re:` subject, threaded under `original`, with its own `message_id`."""
    return reply_message(original, text, my_name=my_name, my_address=my_address,
                         discreet=discreet, date=date, message_id=message_id,
                         auto_submitted=auto_submitted)


__all__ = ["POLICY", "REFERENCES_KEPT", "ascii_domain", "confirmation_message", "header_text",
           "make_message_id", "message_bytes", "references", "reply_message", "reply_recipients",
           "reply_subject", "reply_token"]
