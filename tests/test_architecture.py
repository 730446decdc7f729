"""The layers of docs/architecture.md, read from the code's own imports (every module, in
every subpackage, found by walking the package: a moved file cannot slip past)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "boundaries"
# lower rooms first; a room imports only rooms below it (and itself)
RANK = {"boundaries": -1, "core": 0, "fsutil": 1, "policy": 2, "journal": 3, "replay": 4,
        "sources": 5, "service": 6, "tui": 7, "cli": 8, "__main__": 9}
MAX_LINES = 500
IMPURE = {"os", "io", "pathlib", "subprocess", "socket", "shutil", "tempfile", "sys", "time",
          "threading", "asyncio", "fcntl", "select", "signal", "random", "secrets"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "boundaries"


MODULES = {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def is_module(name: str) -> bool:
    return name in MODULES


def imports(module: str) -> list[tuple[int, str]]:
    """(line, imported name) of every import in `module`, at any depth (lazy ones too);
    relative imports resolved; `from pkg import sub` counts as importing `pkg.sub`."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, *([base] if base else [])])
            out.append((node.lineno, base))
            out += [(node.lineno, f"{base}.{a.name}") for a in node.names
                    if is_module(f"{base}.{a.name}")]
    return out


def ours(module: str) -> list[tuple[int, str]]:
    return [(line, name) for line, name in imports(module) if is_module(name)]


def test_the_walk_finds_every_layer():
    rooms = {room(m) for m in MODULES}
    assert {"core", "policy", "journal", "replay", "cli", "tui"} <= rooms
    assert not rooms - set(RANK), f"a room docs/architecture.md does not know: {rooms - set(RANK)}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_module_imports_only_rooms_below_it(module):
    here = room(module)
    for line, name in ours(module):
        there = room(name)
        assert there == here or RANK[there] < RANK[here], \
            f"{MODULES[module].relative_to(PKG.parent)}:{line} ({here}) imports {name} ({there})"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if room(m) == "core"))
def test_the_core_imports_only_the_core_and_pure_stdlib(module):
    for line, name in imports(module):
        top = name.split(".")[0]
        where = f"{MODULES[module].relative_to(PKG.parent)}:{line}"
        if top == "boundaries":
            assert room(name) in ("core", "boundaries"), f"{where} imports {name}"
        else:
            assert top in sys.stdlib_module_names, f"{where} imports the library {name}"
            assert top not in IMPURE, f"{where} imports {name}: the core does no I/O"


def test_nothing_but_the_cli_imports_the_cli():
    for module in MODULES:
        if room(module) in ("cli", "__main__"):
            continue
        for line, name in ours(module):
            assert room(name) != "cli", f"{module}:{line} imports {name}"


def test_only_the_tui_imports_textual():
    for module in MODULES:
        if room(module) == "tui":
            continue
        for line, name in imports(module):
            assert name.split(".")[0] != "textual", f"{module}:{line} imports {name}"


def test_no_import_loop_outside_the_tui():
    graph = {m: {n for _, n in ours(m) if n != m} for m in MODULES}
    # a package's __init__ is imported by its submodules implicitly; only written edges count
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    loops: list[set[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                loops.append(component)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in graph:
        if v not in index:
            visit(v)
    bad = [sorted(c) for c in loops if not all(room(m) == "tui" for m in c)]
    assert not bad, f"import loops: {bad}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_500_lines(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(PKG.parent)}: {lines} lines"


def test_editing_a_module_in_a_subpackage_invalidates_the_compiled_cache(tmp_path):
    """A copy of the package, a cached load, an edit deep in core/: the next load misses."""
    copy = tmp_path / "src"
    shutil.copytree(PKG, copy / "boundaries",
                    ignore=shutil.ignore_patterns("__pycache__", "example_policies"))
    script = ("import sys; from pathlib import Path; from boundaries.policy import cache; "
              "root = Path(sys.argv[1]); hit = cache.peek_cached(root) is not None; "
              "cache.load_cached(root); print('hit' if hit else 'miss'); print(cache.__file__)")
    env = {**os.environ, "PYTHONPATH": str(copy), "BOUNDARIES_CACHE": str(tmp_path / "cache"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    policies = PKG.parent / "policies"

    def run() -> str:
        done = subprocess.run([sys.executable, "-c", script, str(policies)], env=env, cwd=copy,
                              capture_output=True, text=True, timeout=120, check=True)
        verdict, module = done.stdout.split()
        assert module.startswith(str(copy))  # the copy ran, not the checkout
        return verdict

    assert run() == "miss"
    assert run() == "hit"
    engine = copy / "boundaries" / "core" / "engine.py"
    engine.write_text(engine.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    stat = engine.stat()
    os.utime(engine, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000_000))
    assert run() == "miss"


@pytest.mark.parametrize("module", sorted(m for m in MODULES
                                          if room(m) not in ("cli", "tui", "__main__")))
def test_below_the_front_ends_nothing_prints_or_exits(module):
    """Errors and warnings go up as values or exceptions; only cli/ (and the TUI) show them."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        where = f"{MODULES[module].relative_to(PKG.parent)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in ("print", "exit", "quit"), f"{where} calls {node.func.id}"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "sys":
            assert node.attr not in ("stdout", "stderr", "exit"), f"{where}: sys.{node.attr}"
        if isinstance(node, ast.Name):
            assert node.id != "SystemExit", f"{where} raises SystemExit"
