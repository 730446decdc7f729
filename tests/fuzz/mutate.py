"""Seeded, schema-aware mutations of the example policy set and of a journal.

`build(seed, index, folder)` writes one fuzzed case: the example set from policies/ with
edge values under known keys (every key of boundaries/schema_defs.py is a target, in
turn), wrongly typed journal fields, and now and then damage to a file's text or to the
folder itself. The same seed and index always give the same case, and every mutation is
written down (`Case.mutations`) so a failure can be told and reproduced.
"""

from __future__ import annotations

import copy
import json
import os
import random
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from boundaries.policy import schema as S
from boundaries.policy.schema import Field

from .tomlgen import Raw, dumps
from .values import CONTROL, DEEP, KEYS, SENDERS, TEMPLATES, edge_value, json_value

EXAMPLE = Path(__file__).resolve().parents[2] / "policies"
ANY_KEY = "<key>"  # a path step: the key of a map entry itself (a client id, a reply key)
EACH = "*"  # a path step: one element of an array of tables, or one entry of a map
JOURNAL_MONTH = "2026-01"
DEVICE = "fuzz"


# -- targets: every known key ----------------------------------------------------------------
def _walk(fields: Mapping[str, Field], prefix: tuple[str, ...]) -> Iterator[tuple]:
    for name, f in fields.items():
        path = (*prefix, name)
        yield path, f
        if f.type == "table":
            yield from _walk(f.fields, path)
        elif f.type == "tables":
            yield from _walk(f.fields, (*path, EACH))
        elif f.type == "map" and f.values is not None:
            yield (*path, ANY_KEY), Field("key")
            if f.values.type == "table":
                yield from _walk(f.values.fields, (*path, EACH))
            else:
                yield (*path, EACH), f.values


_KINDS: dict[str, Mapping[str, Field]] = {"me": S.ME, "tier": S.TIER, "clients": S.CLIENTS,
                                          "checks": S.CHECKS}
POLICY_TARGETS: list[tuple[str, tuple[str, ...], Field]] = [
    *((kind, path, f) for kind, fields in _KINDS.items() for path, f in _walk(fields, ())),
    ("replies", (ANY_KEY,), Field("key")),
    ("replies", (EACH,), S.REPLIES.values or Field("string")),
]
JOURNAL_ENTRY: dict[str, object] = {
    "id": "01KE9Z5N80AAAAAAAAAAAAAAAA", "recorded_at": "2026-01-08T17:30:00+00:00",
    "at": "2026-01-08T18:20:00+01:00", "from": "acme", "sender": "client:acme",
    "client": "acme", "channel": "call", "kind": "question", "urgency": "urgent",
    "decision": "answer", "tier": "maintenance", "within_hours": False,
    "reason": "tiers/maintenance.toml:59", "policy_hash": "0" * 64, "extra_effort": True,
    "reply_key": "after-hours", "outcome": "answered", "minutes": 5, "note": "ok",
}
JOURNAL_TARGETS = list(JOURNAL_ENTRY)
TARGETS = len(POLICY_TARGETS) + len(JOURNAL_TARGETS)


@dataclass
class Case:
    """One fuzzed policy set and journal, and what was done to them."""

    seed: str
    index: int
    root: Path  # the policy folder
    journal: Path
    mutations: list[str] = field(default_factory=list)
    client: str = "acme"  # a client id of the mutated set, for check/log/week
    tier: str = "premium"  # a tier of the mutated set, for week
    edge_args: bool = False  # the commands get edge values as arguments too
    typed: bool = False  # values of the right type only, no damage: lint may well pass

    def describe(self) -> str:
        kind = "typed" if self.typed else "any"
        return f"seed {self.seed!r} set {self.index} ({kind}): " + "; ".join(self.mutations)


@cache
def _example() -> dict[str, str]:
    return {p.relative_to(EXAMPLE).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(EXAMPLE.rglob("*.toml"))}


def _file_of(kind: str, rng: random.Random, names: list[str]) -> str:
    if kind == "me":
        return "me.toml"
    if kind in ("clients", "checks"):
        return f"{kind}.toml"
    prefix = "tiers/" if kind == "tier" else "replies/"
    return rng.choice(sorted(n for n in names if n.startswith(prefix)))


def _short(v: object) -> str:
    if v is DELETE:
        return "<deleted>"
    text = f"TOML {v.text}" if isinstance(v, Raw) else repr(v)
    return text if len(text) <= 80 else f"{text[:60]}…({len(text)} chars)"


def _set_at(node: dict | list, path: tuple[str, ...], v: object, rng: random.Random) -> str:
    """Put `v` at `path` (creating what is missing, deleting for DELETE); the concrete path."""
    step, rest = path[0], path[1:]
    if step == ANY_KEY:  # rename an entry of this map to `v`
        if not isinstance(node, dict):
            return "<not a table>"
        old = rng.choice(sorted(node)) if node else None
        node[str(v)] = node.pop(old) if old is not None else {}
        return f"<key {old!r} renamed>"
    if step == EACH:
        if isinstance(node, list):
            if not node or not all(isinstance(x, dict) for x in node):
                node[:] = [{}]
            at = rng.randrange(len(node))
            return f"[{at}]." + _set_at(node[at], rest, v, rng)
        if not node:
            node["fuzz"] = {}
        name = rng.choice(sorted(node))
        if not rest:
            return _put(node, name, v)
        if not isinstance(node[name], dict):
            node[name] = {}
        return f"{name}." + _set_at(node[name], rest, v, rng)
    assert isinstance(node, dict)
    if not rest:
        return _put(node, step, v)
    child = node.get(step)
    if rest[0] == EACH:
        if not isinstance(child, list | dict):
            child = node[step] = [{}]
    elif not isinstance(child, dict):
        child = node[step] = {}
    return f"{step}." + _set_at(child, rest, v, rng)


DELETE = Raw("<deleted>")


def _put(node: dict, name: str, v: object) -> str:
    if v is DELETE:
        node.pop(name, None)
    else:
        node[name] = v
    return name


def _mutate_value(docs: dict[str, dict], rng: random.Random, target: int,
                  typed: bool) -> tuple[str, str]:
    """One edge value under target `target`: the file it went to."""
    kind, path, f = POLICY_TARGETS[target]
    name = _file_of(kind, rng, sorted(docs))
    last = path[-1]
    if kind == "replies" and last == EACH:  # a reply template: text, not a key
        v = rng.choice(TEMPLATES) if rng.random() < 0.7 else edge_value(rng, f, "reply")
    else:
        v = edge_value(rng, f, last if last not in (EACH, ANY_KEY) else kind, typed)
    if rng.random() < 0.08 and last != ANY_KEY and not typed:
        v = DELETE
    where = _set_at(docs[name], path, v, rng)
    return name, f"{name}: {where} = {_short(v)}"


# -- damage to a file's text or to the folder ---------------------------------------------------
def _damage_text(text: str, rng: random.Random) -> tuple[str, str]:
    lines = text.split("\n")
    at = rng.randrange(len(lines))
    dotted = ".".join(["a"] * DEEP)
    forms = [
        ("truncated", lambda: text[: rng.randrange(max(1, len(text)))]),
        ("garbage line", lambda: "\n".join([*lines[:at], rng.choice(
            ["\x1b]0;PWNED\x07", "[[", "= 1", '"unterminated', "\x00", "key = 'a\x1bb'"]),
            *lines[at:]])),
        ("BOM", lambda: "\ufeff" + text),
        ("CRLF", lambda: text.replace("\n", "\r\n")),
        ("lone CR", lambda: "\n".join([*lines[:at], "a = 1\rb = 2", *lines[at:]])),
        ("line doubled", lambda: "\n".join([*lines[: at + 1], *lines[at:]])),
        ("line deleted", lambda: "\n".join(lines[:at] + lines[at + 1:])),
        ("dotted key 600 deep", lambda: f"{dotted} = 1\n" + text),
        ("table header 600 deep", lambda: text + f"\n[{dotted}]\nk = 1\n"),
        ("unknown table", lambda: text + "\n[zzz.yyy]\nk = 1\n"),
        ("over 2 MB", lambda: text + "\n# " + "x" * 2_100_000 + "\n"),
        ("empty", lambda: ""),
    ]
    weights = [3, 3, 1, 1, 1, 2, 2, 2, 2, 1, 0.3, 1]
    label, make = rng.choices(forms, weights)[0]
    return make(), label


def _damage_folder(root: Path, rng: random.Random, names: list[str]) -> str:
    """Something a file system can do to a policy folder (never a device that could hang
    or exhaust memory if a defect is open: /dev/null only)."""
    choice = rng.randrange(11)
    victim = rng.choice(names)
    if choice == 0:
        (root / victim).unlink()
        return f"{victim} deleted"
    if choice == 1:
        (root / "tiers/dir.toml").mkdir()
        return "tiers/dir.toml is a folder"
    if choice == 2 and hasattr(os, "mkfifo"):
        os.mkfifo(root / "tiers/fifo.toml")
        return "tiers/fifo.toml is a FIFO"
    if choice == 3:
        (root / "tiers/null.toml").symlink_to("/dev/null")
        return "tiers/null.toml -> /dev/null"
    if choice == 4:
        (root / "tiers/dangling.toml").symlink_to(root / "nowhere.toml")
        return "tiers/dangling.toml is a dangling symlink"
    if choice == 5:
        (root / "tiers/loop.toml").symlink_to(root / "tiers/loop.toml")
        return "tiers/loop.toml is a symlink loop"
    if choice == 6:
        weird = rng.choice(["E\x1b]0;PWNED\x07", "ü", "a b", " ", "-", "x" * 200, "\u202eevil",
                            "new\nline"])
        (root / f"tiers/{weird}.toml").write_bytes((root / "tiers/premium.toml").read_bytes())
        return f"tiers/{weird!r}.toml, a copy of premium"
    if choice == 7:
        os.makedirs(root / "tiers", exist_ok=True)
        with open(os.fsencode(root / "tiers") + b"/\xff\xfe.toml", "wb") as fh:
            fh.write(b'description = "not UTF-8 name"\n')
        return "tiers/<0xff 0xfe>.toml (a name that is not UTF-8)"
    if choice == 8:
        (root / victim).write_bytes(b"name = \"\xff\xfe\"\n\x00\x1b]0;PWNED\x07\n")
        return f"{victim}: bytes that are not UTF-8"
    if choice == 9:
        (root / "tiers/sub").mkdir(exist_ok=True)
        (root / "tiers/sub/x.toml").write_text('description = "nested"\n', encoding="utf-8")
        return "tiers/sub/x.toml (a nested folder)"
    (root / "replies/zz.toml").write_text('after-hours = "{next}\x1b"\n'
                                          .replace("\x1b", "\\u001b"), encoding="utf-8")
    return "replies/zz.toml, an extra locale with an escape in a template"


# -- the journal -------------------------------------------------------------------------------
def _json_line(entry: Mapping[str, object]) -> str:
    parts = [f"{json.dumps(k)}:{v.text if isinstance(v, Raw) else json.dumps(v)}"
             for k, v in entry.items()]
    return "{" + ",".join(parts) + "}"


def _base_entries() -> list[dict[str, object]]:
    out = []
    for i, (client, minute) in enumerate([("acme", 10), ("stahlwerk", 20), (None, 30)]):
        e = dict(JOURNAL_ENTRY, id=f"01KE9Z5N80AAAAAAAAAAAAAAA{i}",
                 at=f"2026-01-08T18:{minute}:00+01:00")
        if client is None:
            e.update(client=None, sender="x@y.example", tier="unknown", **{"from": "x@y.example"})
        else:
            e.update(client=client, sender=f"client:{client}", **{"from": client})
        out.append(e)
    return out


def _journal(folder: Path, rng: random.Random, target: int | None) -> list[str]:
    folder.mkdir(mode=0o700)
    told = []
    lines = [_json_line(e) for e in _base_entries()]
    for n in range(rng.choice([1, 1, 2, 3])):
        name = JOURNAL_TARGETS[target] if target is not None and n == 0 \
            else rng.choice(JOURNAL_TARGETS)
        e = dict(rng.choice(_base_entries()), id=f"01KE9Z5N80BBBBBBBBBBBBBB{n:02d}")
        if rng.random() < 0.1:
            del e[name]
            told.append(f"journal: {name} deleted")
        else:
            e[name] = json_value(rng, name)
            told.append(f"journal: {name} = {_short(e[name])}")
        lines.insert(rng.randrange(len(lines) + 1), _json_line(e))
    if rng.random() < 0.3:
        bad = rng.choice(["{", "[]", "null", "1", '"str"', "\x00\x00", "{\"at\": NaN}",
                          "[" * 5000 + "]" * 5000, '{"a":' * 100_000, lines[0],
                          lines[0][: len(lines[0]) // 2]])
        lines.insert(rng.randrange(len(lines) + 1), bad)
        told.append(f"journal: line {_short(bad)}")
    text = "\n".join(lines) + ("\n" if rng.random() < 0.9 else "")
    if rng.random() < 0.1:
        text = "\ufeff" + text.replace("\n", "\r\n")
        told.append("journal: BOM and CRLF")
    names = [f"{JOURNAL_MONTH}.{DEVICE}.jsonl"]
    if rng.random() < 0.15:
        names.append(rng.choice([
            f"{JOURNAL_MONTH}.{DEVICE}.sync-conflict-20260107-101010-ABCDEFG.jsonl",
            f"{JOURNAL_MONTH}.{DEVICE} (conflicted copy 2026-01-07).jsonl",
            "0000-01.fuzz.jsonl", "9999-12.fuzz.jsonl", "2026-13.fuzz.jsonl", "2026-01..jsonl",
        ]))
        told.append(f"journal: also {names[-1]}")
    for name in names:
        (folder / name).write_bytes(text.encode("utf-8"))
        os.chmod(folder / name, 0o600)
    if rng.random() < 0.03:
        (folder / "2026-02.fuzz.jsonl").write_bytes(b"\xff\xfe\x00" * 10)
        told.append("journal: 2026-02 file of bytes that are not UTF-8")
    return told


# -- one case ----------------------------------------------------------------------------------
def build(seed: str, index: int, folder: Path) -> Case:
    """Write case `index` of `seed` under `folder` (policies/, journal/).

    Case `index` always mutates target `index % TARGETS`, so every known key of every file
    (and every journal field) is hit once per TARGETS cases; one to three more mutations
    anywhere, sometimes damage to a file's text or to the folder, and a journal."""
    rng = random.Random(f"{seed}:{index}")
    root, jdir = folder / "policies", folder / "journal"
    case = Case(seed, index, root, jdir, typed=rng.random() < 0.4)
    texts = dict(_example())
    docs = copy.deepcopy(_parsed())
    target = index % TARGETS
    picks = [target] if target < len(POLICY_TARGETS) else []
    more = rng.choice([0, 0, 1]) if case.typed else rng.choice([0, 0, 1, 1, 2, 3])
    picks += [rng.randrange(len(POLICY_TARGETS)) for _ in range(more)]
    for t in picks:
        name, told = _mutate_value(docs, rng, t, case.typed)
        texts[name] = dumps(docs[name])
        case.mutations.append(told)
    if not case.typed and rng.random() < 0.2:
        name = rng.choice(sorted(texts))
        texts[name], label = _damage_text(texts[name], rng)
        case.mutations.append(f"{name}: {label}")
    for rel, text in texts.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8", newline="")
    if not case.typed and rng.random() < 0.12:
        case.mutations.append(_damage_folder(root, rng, sorted(texts)))
    jt = target - len(POLICY_TARGETS) if target >= len(POLICY_TARGETS) else None
    case.mutations.extend(_journal(jdir, rng, jt))
    clients = docs["clients.toml"].get("clients")
    if isinstance(clients, dict) and clients:
        case.client = rng.choice(sorted(clients))
    tiers = sorted(n[len("tiers/"):-len(".toml")] for n in texts if n.startswith("tiers/"))
    case.tier = "premium" if "premium" in tiers else (tiers[0] if tiers else "premium")
    case.edge_args = rng.random() < 0.3
    return case


@cache
def _parsed() -> dict[str, dict]:
    return {name: tomllib.loads(text) for name, text in _example().items()}


_ARGS: dict[str, list[str]] = {
    "at": ["9999-12-31T23:59", "0001-01-01T00:00", "2026-01-08T18:20+14:00",
           "2026-01-08T18:20-12:00", "0001-01-01T00:00+14:00", "9999-12-31T23:59-23:59",
           "2026-03-29T02:30", "2026-10-25T02:30", "00:00", "23:59", "x", ""],
    "day": ["9999-12-31", "0001-01-01", "9999-12-26", "2026-02-29", "x", ""],
    "month": ["0000-01", "0001-01", "9999-12", "0001-01..9999-12", "2026-12..2026-01",
              "2026-13", "2026-01..2026-01", "", "x", "2026-1"],
    "minutes": ["-1", str(2**63), str(10**30), "0", "999999999"],
    "note": ["", "x" * 5000, *CONTROL],
    "from": [*SENDERS, *KEYS],
}


def edge_arg(rng: random.Random, what: str) -> str:
    """An edge value for a command-line argument (`at`, `day`, `month`, `minutes`, ...)."""
    return rng.choice(_ARGS[what])
