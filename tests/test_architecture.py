"""The package layout: imports only run downward, no module imports itself in a circle.

Walks every module of ``idtool`` and ``server`` with ``ast`` (imports inside functions
count too), maps each import to its part, and fails on an import from a part that is not
allowed below it, or on an import cycle between modules.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FOUNDATION = (
    "foundation"  # idtool.errors, types, config, hashing, i18n, atomic, lazy_exports, __init__
)

# Each part and the parts it may import (besides itself and the foundation).
ALLOWED: dict[str, set[str]] = {
    FOUNDATION: set(),
    "model": set(),
    "catalog": {"model"},
    "forensics": {"model"},
    "evidence": {"cites"},  # seizure facts use the country and CITES code lists
    "aitr": {"cites", "evidence"},
    "cites": {"catalog"},
    "decide": {"model", "catalog", "cites", "forensics"},
    "curation": {"model", "catalog", "cites", "forensics", "decide"},
    "batch": {"model", "catalog", "cites", "forensics", "decide"},
    "listings": {"model", "catalog", "cites", "forensics", "decide", "batch", "evidence"},
    "hub": {"model", "evidence", "aitr"},
    "sync": {"evidence"},
    "learn": {"model", "catalog", "cites", "forensics", "decide", "curation", "evidence"},
    "cli": {
        "hub",
        "sync",
        "model",
        "catalog",
        "cites",
        "forensics",
        "decide",
        "curation",
        "evidence",
        "batch",
        "listings",
        "aitr",
        "learn",
        "server",
    },
    "server": {"model", "catalog", "cites", "forensics", "decide", "evidence", "hub", "learn"},
}
# i18n is foundation: the texts an officer reads are built in cites, forensics and decide,
# in the language the front end chose; it imports nothing but errors.
FOUNDATION_MODULES = {"errors", "types", "config", "hashing", "i18n", "atomic", "lazy_exports"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def part_of(module: str) -> str | None:
    """The part a dotted module name belongs to (None: not ours)."""
    parts = module.split(".")
    if parts[0] == "server":
        return "server"
    if parts[0] != "idtool":
        return None
    if len(parts) > 1 and parts[1] == "__main__":
        return "cli"  # ``python -m idtool`` is the command line
    if len(parts) == 1 or parts[1] in FOUNDATION_MODULES:
        return FOUNDATION
    return parts[1]


def imports_of(path: Path) -> set[str]:
    """Every idtool/server module ``path`` imports, as dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(
                    candidate
                    if (ROOT / Path(*candidate.split("."))).exists()
                    or (ROOT / Path(*candidate.split("."))).with_suffix(".py").exists()
                    else base
                )
    return {name for name in found if name.split(".")[0] in {"idtool", "server"}}


def all_modules() -> dict[str, Path]:
    paths = [*ROOT.joinpath("idtool").rglob("*.py"), *ROOT.joinpath("server").rglob("*.py")]
    return {module_name(p): p for p in paths}


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module a dotted import name lands in (a symbol import lands in its module)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {resolve(t, modules) for t in imports_of(path)}
        graph[name] = {t for t in targets if t and t != name}
    return graph


def test_every_part_is_known() -> None:
    unknown = {
        part_of(name)
        for name in all_modules()
        if part_of(name) not in ALLOWED and part_of(name) is not None
    }
    assert not unknown, f"new top-level parts need a place in ALLOWED: {sorted(unknown)}"


def test_imports_only_run_downward() -> None:
    bad = []
    for module, targets in import_graph().items():
        src = part_of(module)
        assert src is not None
        for target in targets:
            dst = part_of(target)
            if dst in (src, FOUNDATION, None):
                continue
            if dst not in ALLOWED.get(src, set()):
                bad.append(f"{module} -> {target} ({src} may not import {dst})")
    assert not bad, "imports that run the wrong way:\n" + "\n".join(sorted(bad))


def test_no_import_cycles() -> None:
    graph = import_graph()
    # Package __init__ modules re-export their children; an edge child -> parent package
    # is the normal way to import from it, so only cycles between plain modules count.
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                if not any(_is_package_edge(a, b) for a, b in itertools.pairwise(cycle)):
                    cycles.append(" -> ".join(cycle))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def _is_package_edge(a: str, b: str) -> bool:
    """True when one side is a package ``__init__`` of the other (re-export edges)."""
    return a.startswith(b + ".") or b.startswith(a + ".")


@pytest.mark.parametrize("part", sorted(p for p in ALLOWED if p != FOUNDATION))
def test_each_part_says_what_it_owns(part: str) -> None:
    if part == "server":
        init = ROOT / "server" / "__init__.py"
    else:
        init = ROOT / "idtool" / part / "__init__.py"
    if not init.exists():
        pytest.skip(f"{part} has no package yet")
    docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    assert docstring, f"{init} needs a docstring saying what the part owns"


def test_modules_stay_small() -> None:
    """~500 lines, with a little slack for one cohesive thing."""
    big = {
        name: n
        for name, path in all_modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 560
    }
    assert not big, f"modules over ~500 lines: {big}"


# The parts that are packages with a public API (``__all__`` in their ``__init__``).
PACKAGES = ("model", "catalog", "forensics", "evidence", "cites", "decide", "curation", "batch")
# listings declares __all__ too, but still imports its pipeline eagerly (to make lazy once
# the work on that part has landed)
EAGER_PACKAGES = ("listings",)
DEEP_IMPORTS_ALLOWED = ROOT / "tests" / "architecture_deep_imports.txt"


def declared_all(package: str) -> list[str]:
    """The literal ``__all__`` of ``idtool.<package>`` (read with ``ast``, nothing imported)."""
    tree = ast.parse((ROOT / "idtool" / package / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, list | tuple), f"idtool.{package}.__all__ must be a literal"
            return list(value)
    raise AssertionError(f"idtool/{package}/__init__.py declares no __all__")


def cross_part_imports() -> list[tuple[str, str, str]]:
    """(importer, imported module, name) for each ``from idtool.<package>...`` of another part."""
    found = []
    for name, path in all_modules().items():
        src = part_of(name)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules = [(node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                modules = [(alias.name, "") for alias in node.names]
            else:
                continue
            for module, symbol in modules:
                parts = module.split(".")
                if parts[0] != "idtool" or len(parts) < 2:
                    continue
                if parts[1] in (*PACKAGES, *EAGER_PACKAGES) and part_of(module) != src:
                    found.append((name, module, symbol))
    return found


def allowed_deep_imports() -> set[tuple[str, str]]:
    lines = DEEP_IMPORTS_ALLOWED.read_text(encoding="utf-8").splitlines()
    pairs = [line.split(" -> ") for line in lines if line.strip() and not line.startswith("#")]
    return {(a.strip(), b.strip()) for a, b in pairs}


@pytest.mark.parametrize("package", [*PACKAGES, *EAGER_PACKAGES])
def test_each_package_declares_its_public_names(package: str) -> None:
    import importlib

    names = declared_all(package)
    assert len(set(names)) == len(names), f"idtool.{package}.__all__ repeats a name"
    module = importlib.import_module(f"idtool.{package}")
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"idtool.{package}.__all__ names what it does not define: {missing}"


def test_importing_a_package_loads_none_of_its_modules() -> None:
    """``__init__`` re-exports lazily: ``import idtool.decide`` stays cheap."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        f"for p in {PACKAGES!r}:\n"
        "    __import__('idtool.' + p)\n"
        "print(' '.join(sorted(m for m in sys.modules\n"
        f"    if m.count('.') >= 2 and m.split('.')[1] in {PACKAGES!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "", f"loaded at import: {result.stdout.strip()}"


def test_other_parts_import_from_the_package() -> None:
    """Another part imports ``from idtool.<package> import name`` (a name in its ``__all__``),
    not from the package's modules; the imports that predate the rule are listed in
    tests/architecture_deep_imports.txt, and that list may only shrink."""
    allowed = allowed_deep_imports()
    public = {p: set(declared_all(p)) for p in (*PACKAGES, *EAGER_PACKAGES)}
    seen: set[tuple[str, str]] = set()
    deep, private = [], []
    for importer, module, symbol in cross_part_imports():
        package = module.split(".")[1]
        if module == f"idtool.{package}":
            if symbol and symbol not in public[package]:
                private.append(f"{importer}: {symbol} is not in idtool.{package}.__all__")
        elif (importer, module) in allowed:
            seen.add((importer, module))
        else:
            deep.append(f"{importer} -> {module} (import {symbol or module} from idtool.{package})")
    assert not private, "\n".join(private)
    assert not deep, "imports of another part's modules:\n" + "\n".join(sorted(deep))
    stale = sorted(f"{a} -> {b}" for a, b in allowed - seen)
    assert not stale, (
        "no longer needed; delete from tests/architecture_deep_imports.txt:\n" + "\n".join(stale)
    )
