"""The tone check of a reply (spec §10): a template or a draft that offers no way forward,
doubts the reader, reproaches or shouts.

    tone_problems("Kommen Sie wirklich?", "de", "after-hours", later_or_decline=True)
    -> [ToneProblem("no-way-forward", …), ToneProblem("doubt", ("wirklich",), 11, …)]

Four rules, each a small table per language of our own rather than proselint's checks:
§10 names the exact words, and proselint (English only, a few hundred usage checks of which
two touch this: `hedging`, and `hyperbole`'s `!!`/`??`) has no notion of a question that
doubts the reader, no German, and its check API changed between releases; a dependency
that size for four word lists would not serve. Its `hyperbole` check did shape `shout`:
a run of `!` and `?` with a `!` in it (`!!`, `?!`, `!?`); `??` alone is left alone.

- `no-way-forward`: a reply for `later` or `decline` with none of `{next}`, `{next_date}`,
  `{next_time}`, `{channels}` (a rendered draft: none of what they were filled with).
- `doubt`: a question (a sentence ending in `?`) with a word from `DOUBT`.
- `reproach`: a phrase from `REPROACH`, or one of the user's `[tone] avoid`.
- `shout`: a word of four or more capitals and no small letter (not in `ALLOW` or the
  user's `[tone] allow`), or `!!`, `?!`, `!?`.

Words match whole, in any case; a phrase matches across a line break. The lists are chosen
by the locale's language: `de`, `de_AT` → German, `en*` → English. Other languages get no
built-in doubt or reproach words (only `avoid`): the English words are ordinary words
elsewhere (Dutch "even" is "briefly", "Kunt u even bellen?" doubts no one). A placeholder
(`{next}`) is never a word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

from boundaries.core.replies import TemplateError, parse_template
from boundaries.core.wording import language  # `de_AT` -> `de`: the word tables' key

WAY_FORWARD = ("next", "next_date", "next_time", "channels")
DOUBT = {
    "de": ("tatsächlich", "wirklich", "eigentlich", "überhaupt"),
    "en": ("actually", "really", "even", "at all"),
}
REPROACH = {
    "de": ("wie bereits gesagt", "wie schon gesagt", "schon wieder"),
    "en": ("as I already said", "as I said before", "once again"),
}
# capital words that are names and abbreviations, not shouting
ALLOW = ("BIOS", "CEST", "DSGVO", "FRITZ", "GDPR", "HTML", "HTTP", "HTTPS", "IBAN", "ISDN",
         "JSON", "MESZ", "SEPA", "UEFI", "VDSL", "WLAN")
RULES = ("no-way-forward", "doubt", "reproach", "shout")
HINTS = {
    "no-way-forward": "offer the next window: {next}",
    "doubt": "ask without doubting them, e.g. \"Passt Ihnen der Termin?\" / "
             "\"Does the time suit you?\"",
    "reproach": "say it once, plainly, without pointing back",
    "shout": "small letters and one `!` or `?`; a name in capitals: me.toml "
             "[tone] allow = [\"…\"]",
}
DECLINE_KEYS = ("declined", "wrong-channel")  # the engine's `decline` replies


def tone_hint(rule: str, key: str) -> str:
    """The hint for a problem of `rule` in reply `key` (a decline offers {channels})."""
    if rule == "no-way-forward" and key.removesuffix("-discreet") in DECLINE_KEYS:
        return "offer another way to reach me: {channels}"
    return HINTS[rule]


class ToneProblem(NamedTuple):
    """One tone warning: its rule (one of `RULES`), the words that made it, the character
    offset of the first of them in the checked text, and a message naming both."""

    rule: str
    words: tuple[str, ...]
    offset: int
    message: str


_PLACEHOLDER = re.compile(r"\{[^{}\n]*\}")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_MARKS = re.compile(r"[!?]{2,}")
_SENTENCE_END = re.compile(r"[.!?;]|\n[ \t]*\n")


def _phrase(words: str) -> str:
    """A phrase as a whole-word pattern that matches across spaces and line breaks."""
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words.split()) + r"(?!\w)"


@lru_cache(maxsize=64)
def _patterns(lang: str, avoid: tuple[str, ...]) -> tuple[re.Pattern | None, re.Pattern | None,
                                                          frozenset[str]]:
    doubt = DOUBT.get(lang, ())
    reproach = tuple(REPROACH.get(lang, ())) + tuple(a for a in avoid if a.split())
    flags = re.IGNORECASE
    d = re.compile("|".join(_phrase(w) for w in doubt), flags) if doubt else None
    r = re.compile("|".join(_phrase(w) for w in reproach), flags) if reproach else None
    own = frozenset(" ".join(a.split()).casefold() for a in avoid)
    return d, r, own


def _masked(text: str) -> str:
    """`text` with every `{placeholder}` blanked (offsets kept): a placeholder is no word."""
    return _PLACEHOLDER.sub(lambda m: " " * len(m.group()), text)


def _quoted(words: tuple[str, ...]) -> str:
    return ", ".join(f"'{' '.join(w.split())}'" for w in words)


def tone_problems(text: str, locale: str, key: str, *, later_or_decline: bool,
                  avoid: tuple[str, ...] = (), allow: tuple[str, ...] = (),
                  filled: Mapping[str, str] | None = None) -> list[ToneProblem]:
    """The tone problems of reply `key` (e.g. `after-hours-discreet`) in `locale`, in
    order of their offset.

    `later_or_decline`: the reply defers or declines, so it must offer a way forward.
    `avoid`, `allow`: me.toml's `[tone]`. `filled`: for a rendered draft, the values its
    placeholders were filled with (`placeholder_fills`): what {next} became still counts as
    a way forward, and the words of a filled value (a name in capitals) never shout."""
    out: list[ToneProblem] = []
    if later_or_decline and not _has_way_forward(text, filled):
        does = "declines" if key.removesuffix("-discreet") in DECLINE_KEYS \
            else "defers or declines"
        out.append(ToneProblem("no-way-forward", (), 0, f"no-way-forward — it {does}, and "
                               "says neither when I am back nor how to reach me"))
    plain = _masked(text)
    doubt, reproach, own = _patterns(language(locale), tuple(avoid))
    if doubt is not None:
        out += _doubts(plain, doubt)
    if reproach is not None:
        for m in reproach.finditer(plain):
            mine = " ".join(m.group().split()).casefold() in own
            out.append(ToneProblem("reproach", (m.group(),), m.start(),
                                   f"reproach — {_quoted((m.group(),))}"
                                   + (" (me.toml [tone] avoid)" if mine else "")))
    out += _shouts(plain, allow, filled)
    return sorted(out, key=lambda p: (p.offset, RULES.index(p.rule)))


def _has_way_forward(text: str, filled: Mapping[str, str] | None) -> bool:
    if any("{" + p + "}" in text for p in WAY_FORWARD):
        return True
    if filled is None:
        return False
    values = [" ".join(filled.get(p, "").split()) for p in WAY_FORWARD]
    flat = " ".join(text.split())
    return any(v and v in flat for v in values)


def _doubts(plain: str, doubt: re.Pattern) -> list[ToneProblem]:
    out = []
    start = 0
    for end in _SENTENCE_END.finditer(plain):
        if end.group() == "?":
            sentence = plain[start:end.start()]
            found = list(doubt.finditer(sentence))
            if found:
                words = tuple(m.group() for m in found)
                out.append(ToneProblem("doubt", words, start + found[0].start(),
                                       f"doubt — {_quoted(words)} in a question"))
        start = end.end()
    return out


def _shouts(plain: str, allow: tuple[str, ...],
            filled: Mapping[str, str] | None) -> list[ToneProblem]:
    allowed = {w.upper() for w in (*ALLOW, *allow)}
    for value in (filled or {}).values():
        allowed.update(w.upper() for w in _WORD.findall(value))
    out = []
    for m in _WORD.finditer(plain):
        word = m.group()
        if _capitals(word) and word.upper() not in allowed \
                and any(_capitals(p) and p.upper() not in allowed for p in word.split("-")):
            out.append(ToneProblem("shout", (word,), m.start(),
                                   f"shout — {_quoted((word,))} in capitals"))
    for m in _MARKS.finditer(plain):
        if "!" in m.group():
            out.append(ToneProblem("shout", (m.group(),), m.start(),
                                   f"shout — {_quoted((m.group(),))}"))
    return out


def _capitals(word: str) -> bool:
    """Four or more capitals and no small letter."""
    return sum(c.isupper() for c in word) >= 4 and not any(c.islower() for c in word)


def placeholder_fills(template: str, rendered: str) -> dict[str, str] | None:
    """What each placeholder of `template` became in `rendered` (its text as the engine
    rendered it: spaces around an empty value tidied, the ends stripped), or None when the
    two do not line up."""
    try:
        pieces = parse_template(template)
    except TemplateError:
        return None
    pattern, names = [r"\s*"], []
    for literal, name in pieces:
        pattern += [r"\s*" if part.isspace() else re.escape(part)
                    for part in re.split(r"(\s+)", literal) if part]
        if name is not None:
            pattern.append(f"(?P<p{len(names)}>.*?)")
            names.append(name)
    m = re.fullmatch("".join(pattern) + r"\s*", rendered, re.DOTALL)
    if m is None:
        return None
    out: dict[str, str] = {}
    for i, name in enumerate(names):
        if not out.get(name):
            out[name] = m.group(f"p{i}").strip()
    return out
