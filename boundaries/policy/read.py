"""Reading a policy folder's files as text: which files there are, their bytes (the guarded
read of files.py) and their decoding; and tomllib's refusal of a text, as a diagnostic. What
stops a file is a Diagnostic at its place, and the file is then read no further."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from boundaries.core.diagnostics import Diagnostic
from boundaries.policy import files

_SYNTAX = re.compile(r"^(?P<msg>.*?) \(at line (?P<line>\d+), column (?P<col>\d+)\)$")


class Folder:
    """The policy files of `root`, as `policy_files` lists them, by their path relative to
    it (`tiers/standard.toml`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = {f.relative_to(root).as_posix(): f for f in files.policy_files(root)}
        self.tier_files = {f.stem for f in self.listed("tiers")}

    def listed(self, folder: str) -> list[Path]:
        """The policy files in tiers/ or replies/, in order, whatever their kind (a folder
        or a FIFO named `x.toml` is read, and reported, like any other)."""
        return [f for rel, f in self.files.items() if rel.startswith(f"{folder}/")]

    @functools.cached_property
    def reply_locales(self) -> frozenset[str]:
        """The locales the set has replies for (the stems of replies/*.toml)."""
        return frozenset(f.stem for f in self.listed("replies"))


def read_text(root: Path, rel: str, raw: bytes | None = None) -> tuple[bytes, str] | Diagnostic:
    """The bytes and the text of the policy file `rel` of `root` (`raw`: its bytes, if the
    caller read them), or why it cannot be read as text."""
    if raw is None:
        try:
            raw = files.read_policy_file(root / rel)
        except files.FileRefused as exc:  # not a regular file, or too large: never read
            return Diagnostic(rel, 1, 1, "error", exc.message, exc.hint)
        except OSError as exc:
            return Diagnostic(rel, 1, 1, "error", f"cannot read file: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8-sig")  # a byte order mark (some Windows editors) is fine
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return Diagnostic(rel, line, col, "error", "file is not UTF-8 text",
                          "save it as UTF-8; TOML files must be UTF-8")
    if "\0" in text:
        return Diagnostic(rel, 1, 1, "error", "file is binary, not TOML text")
    return raw, text


def syntax_diagnostic(rel: str, message: str, text: str) -> Diagnostic:
    """tomllib's refusal `message` of `text`, at its place, with a hint where one helps."""
    m = _SYNTAX.match(message)
    if m:
        line, col, msg = int(m.group("line")), int(m.group("col")), m.group("msg")
    else:
        msg = message.replace(" (at end of document)", "")
        line = text.count("\n") + 1
        col = len(text.rsplit("\n", 1)[-1]) + 1
    hint = None
    if msg.startswith("Invalid value"):
        hint = 'strings need quotes, e.g. `"08:00-12:00"`; booleans are `true`/`false`'
    elif "Cannot overwrite" in msg or "Cannot declare" in msg:
        hint = "a key or table is written twice"
    elif "Expected '=' after a key" in msg:
        hint = "keys with spaces or other characters need quotes, e.g. `\"mon fri\" = …`"
    return Diagnostic(rel, line, col, "error", f"TOML syntax: {msg[0].lower() + msg[1:]}", hint)
