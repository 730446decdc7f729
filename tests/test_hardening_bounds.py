"""Issue #12, items 8 and 14: lint refuses every value that would crash a command, and
reports every unknown key or table where it is written.

Bounds are walked from the schema itself, so a number added to it later is covered (and
`schema_defs` refuses an int without a range).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from boundaries.policy import schema as S
from boundaries.policy.json_schema import schema_for
from boundaries.policy.locales import known_languages, locale_problem, names_for
from boundaries.policy.schema import Field
from boundaries.policy.tomlpos import Locator

from .test_cli import run

FILES: dict[str, Mapping[str, Field]] = {"me.toml": S.ME, "tiers/t.toml": S.TIER,
                                          "clients.toml": S.CLIENTS, "checks.toml": S.CHECKS}
# what each file holds besides the key under test: (top-level keys, tables after)
BASE = {
    "me.toml": ('name = "Ann"\ntimezone = "Europe/Vienna"\nlocale = "de"\n', ""),
    "tiers/t.toml": ('description = "all day"\n', '[hours]\ndaily = "00:00-24:00"\n'),
    "clients.toml": ("", '[clients.c]\nname = "C"\ntier = "t"\n'),
    "checks.toml": ("", '[[check]]\nname = "n"\nfrom = "c"\nat = "2026-01-08T10:00"\n'
                    'expect = "answer"\n'),
}
SAMPLE = {"tier": '"t"', "from": '"c"', "at": '"2026-01-08T10:00"', "date": "2026-08-03"}
INT64 = (-(2**63), 2**63 - 1)  # the extremes TOML can write


def int_keys() -> Iterator[tuple[str, tuple[str, ...], str, Field]]:
    """(file, tables down to the key, key, field) of every integer in the schema; an entry
    of an array of tables is `name[]`, an entry of a map `name.*`."""
    def walk(fields: Mapping[str, Field], trail: tuple[str, ...]):
        for name, f in fields.items():
            if f.type == "int":
                yield trail, name, f
            elif f.type == "table":
                yield from walk(f.fields, (*trail, name))
            elif f.type == "tables":
                yield from walk(f.fields, (*trail, f"{name}[]"))
            elif f.type == "map" and f.values is not None and f.values.type == "table":
                yield from walk(f.values.fields, (*trail, name, "*"))

    for rel, fields in FILES.items():
        for trail, name, f in walk(fields, ()):
            yield rel, trail, name, f


INT_KEYS = list(int_keys())


def document(rel: str, trail: tuple[str, ...], key: str, value: int) -> tuple[str, int, int]:
    """A minimal file with `key = value` under `trail`, and the value's line and column."""
    top, tables = BASE[rel]
    lines = top.splitlines()
    fields, names, spec = FILES[rel], [], None
    for step in trail:
        if step == "*":  # an entry of the map `spec`
            names.append("k")
            assert spec is not None and spec.values is not None
            fields = spec.values.fields
        else:
            name = step.removesuffix("[]")
            names.append(name)
            spec = fields[name]
            if spec.type == "map":
                continue
            fields = spec.fields
        head = ".".join(names)
        lines.append(f"[[{head}]]" if step.endswith("[]") else f"[{head}]")
        lines += [f"{k} = {_sample(k, f)}" for k, f in fields.items() if f.required]
    lines.append(f"{key} = {value}")
    line, col = len(lines), len(f"{key} = ") + 1
    return "\n".join(lines) + "\n\n" + tables, line, col


def _sample(key: str, f: Field) -> str:
    if key in SAMPLE:
        return SAMPLE[key]
    return f'"{f.enum[0]}"' if f.enum else SAMPLE.get(f.type, '"x"')


def write(write_set, rel: str, text: str) -> Path:
    files = {r: "".join(BASE[r]) for r in FILES}
    files[rel] = text
    return write_set(files)


def test_the_schema_has_integers_and_every_one_has_a_range():
    assert {k for _, _, k, _ in INT_KEYS} >= {"reply_once_days", "per_month", "repeat"}
    for rel, trail, key, f in INT_KEYS:
        assert f.minimum is not None and f.maximum is not None, (rel, trail, key)
        assert f.minimum <= f.maximum
    with pytest.raises(TypeError):
        S._f("int", "no range")


OUT_OF_RANGE = [(rel, trail, key, f, v) for rel, trail, key, f in INT_KEYS
                for v in sorted({f.minimum - 1, f.maximum + 1, *INT64})
                if not f.minimum <= v <= f.maximum]


@pytest.mark.parametrize("rel,trail,key,f,value", OUT_OF_RANGE,
                         ids=[f"{k}={v}" for _, _, k, _, v in OUT_OF_RANGE])
def test_a_number_out_of_range_is_a_lint_error_at_the_value(capsys, write_set, rel, trail,
                                                            key, f, value):
    text, line, col = document(rel, trail, key, value)
    root = write(write_set, rel, text)
    code, out, _ = run(capsys, "lint", "--policies", str(root))
    assert code == 1
    assert f"{rel}:{line}:{col}: error: `{key}` is {value}, out of range" in out
    assert f"hint: a whole number from {f.minimum} to {f.maximum}" in out
    code, out, err = run(capsys, "check", "--policies", str(root), "--from", "c")
    assert code == 2 and "internal error" not in err


AT_BOUNDS = [(rel, trail, key, v) for rel, trail, key, f in INT_KEYS
             for v in (f.minimum, f.maximum)]


@pytest.mark.parametrize("rel,trail,key,value", AT_BOUNDS,
                         ids=[f"{k}={v}" for _, _, k, v in AT_BOUNDS])
def test_a_number_at_its_bound_makes_every_command_work(capsys, write_set, tmp_path,
                                                        monkeypatch, rel, trail, key, value):
    """Including with a journal: `reply_once_days = 740000` overflowed only once one existed."""
    text, _, _ = document(rel, trail, key, value)
    root = write(write_set, rel, text)
    monkeypatch.setenv("BOUNDARIES_JOURNAL", str(tmp_path / "journal"))
    p = ("--policies", str(root))
    request = ("--from", "c", "--at", "2026-01-08T10:00", "--urgency", "urgent")
    assert run(capsys, "lint", *p)[0] == 0
    assert run(capsys, "log", *p, *request, "--outcome", "answered")[0] == 0
    for args in (("check", *p, *request), ("check", *p, *request, "--json"),
                 ("week", *p, "--from", "c"), ("report", *p, "--month", "2026-01"),
                 ("test", *p)):
        code, _, err = run(capsys, *args)
        assert code in (0, 1) and "internal error" not in err, (args, err)
        if args[0] != "test":  # whether the check in checks.toml holds depends on the value
            assert code == 0, (args, err)


def test_the_json_schema_carries_every_range():
    def walk(node: object) -> Iterator[dict]:
        if isinstance(node, dict):
            if node.get("type") == "integer":
                yield node
            for v in node.values():
                yield from walk(v)

    ints = [n for kind in ("me", "tier", "clients", "checks") for n in walk(schema_for(kind))]
    assert len(ints) == len(INT_KEYS)
    assert all("minimum" in n and "maximum" in n for n in ints)
    assert {"minimum": 0, "maximum": 3650}.items() <= \
        schema_for("me")["properties"]["reply_once_days"].items()


def test_a_bare_datetime_in_a_check_is_checked_like_a_quoted_one(capsys, write_set):
    checks = ('[[check]]\nname = "n"\nfrom = "c"\nat = "2026-01-08T10:00"\n'
              'expect = "answer"\nnext = 9999-12-31T23:59:59Z\n')
    root = write(write_set, "checks.toml", checks)
    code, out, _ = run(capsys, "lint", "--policies", str(root))
    assert code == 1 and "checks.toml:6:8: error: `9999-12-31T23:59:59+00:00`: year 9999" in out
    code, _, err = run(capsys, "test", "--policies", str(root))
    assert code == 2 and "internal error" not in err


# -- locales ---------------------------------------------------------------------------------
BAD_LOCALES = ["a" * 5000, "DE", "de-AT-x", "../de", "de/../../x", "", "d", "de.UTF-8",
               "de\u001b]0;x\u0007"]


@pytest.mark.parametrize("where", ["me.toml", "clients.toml"])
@pytest.mark.parametrize("bad", BAD_LOCALES, ids=range(len(BAD_LOCALES)))
def test_a_malformed_locale_is_a_lint_error_and_no_command_crashes(capsys, write_set, where,
                                                                   bad):
    quoted = '"' + bad.replace("\u001b", "\\u001b").replace("\u0007", "\\u0007") + '"'
    if where == "me.toml":
        text, line, col = 'name = "Ann"\ntimezone = "Europe/Vienna"\n' \
            f"locale = {quoted}\n", 3, 10
    else:
        text, line, col = BASE["clients.toml"][1] + f"locale = {quoted}\n", 4, 10
    root = write(write_set, where, text)
    code, out, _ = run(capsys, "lint", "--policies", str(root))
    assert code == 1 and f"{where}:{line}:{col}: error: " in out and "locale code" in out
    assert len(out) < 1000  # a 5,000-character code is not repeated whole
    for args in (("check", "--from", "c"), ("week", "--from", "c"), ("test",)):
        code, _, err = run(capsys, args[0], "--policies", str(root), *args[1:])
        assert code == 2 and "internal error" not in err, (args, err)


def test_an_unknown_language_is_refused_unless_a_replies_file_speaks_it(capsys, write_set):
    me = 'name = "Ann"\ntimezone = "Europe/Vienna"\nlocale = "tlh"\n'
    root = write(write_set, "me.toml", me)
    code, out, _ = run(capsys, "lint", "--policies", str(root))
    assert code == 1 and "me.toml:3:10: error: unknown language `tlh` in locale `tlh`" in out
    (root / "replies").mkdir()
    (root / "replies" / "tlh.toml").write_text('after-hours = "later"\n', encoding="utf-8")
    assert run(capsys, "lint", "--policies", str(root))[0] == 0
    clients = BASE["clients.toml"][1] + 'locale = "tlh-KL"\n'  # the clients' memo sees it too
    (root / "clients.toml").write_text(clients, encoding="utf-8")
    assert run(capsys, "lint", "--policies", str(root))[0] == 0


def test_every_language_pendulum_can_name_days_in_is_known():
    from importlib import resources

    folder = resources.files("pendulum.locales")
    langs = {p.name.split("_")[0] for p in folder.iterdir()
             if p.is_dir() and not p.name.startswith("_")}
    assert langs and langs <= known_languages()


WELL_FORMED = st.one_of(
    st.from_regex(S.LOCALE_PATTERN, fullmatch=True),
    st.builds(str.__add__, st.sampled_from(sorted(known_languages())),
              st.sampled_from(["", "-AT", "_br", "-419", "-Hant", "_XX", "-de"])))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=WELL_FORMED, where=st.sampled_from(["me.toml", "clients.toml"]))
def test_any_locale_lint_accepts_makes_check_and_week_work(capsys, write_set, code, where):
    if where == "me.toml":
        text = f'name = "Ann"\ntimezone = "Europe/Vienna"\nlocale = "{code}"\n'
    else:
        text = BASE["clients.toml"][1] + f'locale = "{code}"\n'
    root = write(write_set, where, text)
    code_lint, _, _ = run(capsys, "lint", "--policies", str(root))
    assert code_lint == (0 if locale_problem(code) is None else 1)
    if code_lint == 0:
        for args in (("check", "--from", "c", "--at", "2026-01-08T10:00", "--json"),
                     ("week", "--from", "c")):
            got, _, err = run(capsys, args[0], "--policies", str(root), *args[1:])
            assert got == 0, err


@given(st.text(max_size=300))
@example("a" * 5000)
@example("../../../json")
@example("de_at/../../x")
def test_day_and_month_names_never_fail(code):
    names = names_for(code)
    assert len(names["days"]) == 7 and len(names["months"]) == 12


# -- positions of unknown keys at any depth -------------------------------------------------
@pytest.mark.parametrize("text,line,col,key", [
    ("\n[a.b]\nx = 1\n", 2, 2, "a"),
    ("\n\n[ c . d . e ]\n", 3, 3, "c"),
    ("\n[[f.g]]\ny = 2\n", 2, 3, "f"),
    ('\n["q r".s]\n', 2, 2, "q r"),
    ("\nx.y = 1\n", 2, 1, "x"),
    ("\n[h]\n[[h.j]]\n", 2, 1, "h"),
])
def test_an_unknown_table_is_reported_where_it_is_written(capsys, write_set, text, line, col,
                                                          key):
    root = write(write_set, "me.toml", "".join(BASE["me.toml"]) + text)
    code, out, _ = run(capsys, "lint", "--policies", str(root))
    first = 1 + BASE["me.toml"][0].count("\n")  # the lines before `text`
    assert code == 1
    assert f"me.toml:{first + line - 1}:{col}: error: unknown key `{key}` in me.toml" in out


def test_unknown_keys_deep_in_tiers_and_clients_are_reported_at_their_line(capsys, write_set):
    tier = ('[hours]\ndaily = "00:00-24:00"\n\n[extra_effort.deep]\n\n[[rules]]\ndecide = '
            '"later"\nwhen = { hours = "out", q.r = 1 }\n\n[[rules]]\ndecide = "later"\n'
            '[rules.when.z]\n')
    clients = '[clients.c]\nname = "C"\ntier = "t"\n\n[clients.c.extra]\nx.y = 1\n'
    root = write_set({"tiers/t.toml": tier, "clients.toml": clients})
    code, out, _ = run(capsys, "lint", "--policies", str(root))
    assert code == 1
    for where in ("tiers/t.toml:4:1: error: unknown key `deep` in [extra_effort]",
                  "tiers/t.toml:8:25: error: unknown key `q` in rule 1's `when`",
                  "tiers/t.toml:12:1: error: unknown key `z` in rule 2's `when`",
                  "clients.toml:5:1: error: unknown key `extra` in client `c`"):
        assert where in out, (where, out)


# A random tree of tables, written in every style TOML has: headers (with or without the
# enclosing tables written), dotted keys, inline tables, arrays of tables.
NAMES = st.sampled_from(["a", "b", "c", "mon-fri", "x_1", "7"])
Tree = dict


@st.composite
def trees(draw, depth: int = 0) -> Tree:
    out: Tree = {}
    for name in draw(st.lists(NAMES, max_size=3, unique=True)):
        kind = draw(st.sampled_from(["leaf", "leaf", "table", "aot"] if depth < 3 else ["leaf"]))
        if kind == "leaf":
            out[name] = draw(st.integers(0, 9))
        elif kind == "table":
            out[name] = draw(trees(depth + 1))
        else:
            out[name] = draw(st.lists(trees(depth + 1), min_size=1, max_size=2))
    return out


def _inline(tree: Tree) -> str:
    def one(v: object) -> str:
        if isinstance(v, dict):
            return _inline(v)
        if isinstance(v, list):
            return "[" + ", ".join(one(x) for x in v) + "]"
        return str(v)

    return "{ " + ", ".join(f"{k} = {one(v)}" for k, v in tree.items()) + " }"


def _dotted(prefix: str, tree: Tree) -> list[str]:
    lines = []
    for k, v in tree.items():
        if isinstance(v, dict) and v:
            lines += _dotted(f"{prefix}{k}.", v)
        else:
            lines.append(f"{prefix}{k} = {_inline(v) if isinstance(v, dict) else v}")
    return lines


@st.composite
def sections(draw, tree: Tree, head: str = "") -> tuple[str, str]:
    """`tree` as the body of the table `head`, and the tables written after it."""
    body: list[str] = []
    later: list[str] = []
    for k, v in tree.items():
        path = f"{head}.{k}" if head else k
        if not isinstance(v, (dict, list)):
            body.append(f"{k} = {v}")
        elif isinstance(v, list):
            if draw(st.booleans()):
                body.append(f"{k} = [" + ", ".join(_inline(e) for e in v) + "]")
            else:
                for e in v:
                    inner, after = draw(sections(e, path))
                    later.append(f"[[{path}]]\n{inner}{after}")
        else:
            style = draw(st.sampled_from(["header", "implicit", "dotted", "inline"]))
            if style == "dotted" and (not v or any(isinstance(x, list) for x in _all(v))):
                style = "inline"
            if style == "inline":
                body.append(f"{k} = {_inline(v)}")
            elif style == "dotted":
                body += _dotted(f"{k}.", v)
            else:
                inner, after = draw(sections(v, path))
                implicit = style == "implicit" and not inner and after
                later.append(after if implicit else f"[{path}]\n{inner}{after}")
    return "".join(f"{line}\n" for line in body), "".join(later)


@st.composite
def toml_text(draw, tree: Tree) -> str:
    body, later = draw(sections(tree))
    return body + later


def _all(tree: Tree) -> Iterator[object]:
    for v in tree.values():
        yield v
        if isinstance(v, dict):
            yield from _all(v)


def _key_paths(node: object, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*path, k)
            yield from _key_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _key_paths(v, (*path, i))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_every_key_at_any_depth_has_its_own_line(data):
    tree = data.draw(trees())
    text = data.draw(toml_text(tree))
    parsed = tomllib.loads(text)
    assert parsed == tree, text  # the generator writes what it means
    lines = text.splitlines()
    for loc in (Locator(text, parsed), Locator(text)):  # fast index and full scanner
        for path in _key_paths(parsed):
            line, col = loc.key(path)
            name = path[-1]
            written = lines[line - 1]
            assert name in written, (path, line, text)
            if col > 1 or not written.lstrip().startswith("["):
                assert written[col - 1:].startswith(name), (path, line, col, text)
