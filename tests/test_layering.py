"""The house rules of the architecture, checked on the source tree.

Which of our packages each package may import (README.md, "Layout", draws the same graph):

    web, cli → campaign → forms, engine → core

each package importing only what lies to its right (forms and engine know nothing of each
other); the BPMN files of workflows/ are used from campaign up, migrations/ reads core and the
models, and bench/ is a tool above everything, imported only by the benchmark commands in
cli/bench.py. An import inside a function (it runs when the function is called) follows the
same rules; the one exception is `ykt serve`, which alone loads the web application into the
command line (the last tests here and in tests/test_cli.py check that the other commands never
load Flask).

Imports are read from the source, so a module named in a string (importlib, find_spec) is not
seen; relative imports stay inside their package and are not part of the graph."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "core",
    "engine",
    "forms",
    "campaign",
    "web",
    "cli",
    "migrations",
    "workflows",
    "bench",
]
OURS = {*PACKAGES, "tests"}  # the suite is imported by nothing

MAY_IMPORT: dict[str, set[str]] = {
    "core": set(),
    "workflows": set(),  # the shipped diagrams and a tool to lay them out
    "engine": {"core"},
    "forms": {"core"},  # figures, rows and choices come from the campaign as plain data
    "campaign": {"forms", "engine", "core", "workflows"},
    "web": {"campaign", "forms", "engine", "core", "workflows"},
    "cli": {"campaign", "forms", "engine", "core", "workflows", "bench"},
    # The migrations build the tables the models describe (env.py compares against them).
    "migrations": {"core", "campaign", "engine"},
    # A tool may import anything, but not the commands that import it.
    "bench": {"core", "engine", "forms", "campaign", "web", "migrations", "workflows"},
}
# Some allowed edges are narrower still: only these modules may import the package...
ONLY_FROM: dict[tuple[str, str], set[str]] = {
    ("cli", "bench"): {"cli/bench.py"},
}
# ...or only these of its modules may be imported.
ONLY_OF: dict[tuple[str, str], set[str]] = {
    # The audit chain's record format: the migration that chains the records already there
    # must hash them exactly as `ykt audit verify` does.
    ("migrations", "campaign"): {"campaign.models", "campaign.audit_chain"},
    ("migrations", "engine"): {"engine.models"},
}
# Imports allowed inside one function only, as (module, function): never at import time.
ONLY_INSIDE: dict[tuple[str, str], set[tuple[str, str]]] = {
    ("cli", "web"): {("cli/main.py", "serve")},
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing file, relative to the project
    line: int
    target: str  # the module (or module.name) imported
    function: str | None  # the function it sits in, None when it runs at import time

    @property
    def importer(self) -> str:
        return self.source.split("/")[0]

    @property
    def imported(self) -> str:
        return self.target.split(".")[0]

    def __str__(self) -> str:
        where = f" (inside {self.function}())" if self.function else ""
        return f"{self.source}:{self.line} imports {self.target}{where}"


def _modules(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (ROOT / pkg).rglob("*.py"))


def _imports_in(path: Path) -> Iterator[Import]:
    source = path.relative_to(ROOT).as_posix()

    def walk(node: ast.AST, function: str | None) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(source, child.lineno, alias.name, function)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                for alias in child.names:
                    yield Import(source, child.lineno, f"{child.module}.{alias.name}", function)
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(child, child.name)
            else:
                yield from walk(child, function)

    yield from walk(ast.parse(path.read_text(encoding="utf-8")), None)


def _imports(*packages: str) -> list[Import]:
    return [imp for path in _modules(*packages) for imp in _imports_in(path)]


def _between_packages() -> list[Import]:
    return [
        imp for imp in _imports(*PACKAGES) if imp.imported in OURS and imp.imported != imp.importer
    ]


def _within(target: str, modules: set[str]) -> bool:
    return any(target == m or target.startswith(f"{m}.") for m in modules)


def _refusal(imp: Import) -> str | None:
    """Why the import breaks the layering, or None when it follows it."""
    edge = (imp.importer, imp.imported)
    if edge in ONLY_INSIDE:
        if (imp.source, imp.function or "") in ONLY_INSIDE[edge]:
            return None
        places = ", ".join(f"{m} in {f}()" for m, f in sorted(ONLY_INSIDE[edge]))
        return f"{imp.importer} may import {imp.imported} only lazily: {places}"
    allowed = MAY_IMPORT[imp.importer]
    if imp.imported not in allowed:
        return f"{imp.importer} may import {', '.join(sorted(allowed)) or 'nothing of ours'}"
    if edge in ONLY_FROM and imp.source not in ONLY_FROM[edge]:
        return f"only {', '.join(sorted(ONLY_FROM[edge]))} may import {imp.imported}"
    if edge in ONLY_OF and not _within(imp.target, ONLY_OF[edge]):
        return f"{imp.importer} may import only {', '.join(sorted(ONLY_OF[edge]))}"
    return None


def test_every_import_between_packages_follows_the_layers() -> None:
    broken = [f"{imp}: {why}" for imp in _between_packages() if (why := _refusal(imp))]
    assert not broken, "imports against the layering:\n" + "\n".join(broken)


def test_no_cycle_between_packages() -> None:
    """Lazy imports count too: a cycle through a function is still a cycle."""
    example: dict[tuple[str, str], Import] = {}
    for imp in _between_packages():
        example.setdefault((imp.importer, imp.imported), imp)

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            current = todo.pop()
            for after in {b for a, b in example if a == current} - seen:
                seen.add(after)
                todo.append(after)
        return seen

    on_cycles = [
        f"{a} → {b}, e.g. {imp}" for (a, b), imp in sorted(example.items()) if a in reachable(b)
    ]
    assert not on_cycles, "edges on a cycle between packages:\n" + "\n".join(on_cycles)


def test_the_rules_themselves_are_one_way() -> None:
    for package, allowed in MAY_IMPORT.items():
        assert allowed <= set(PACKAGES) - {package}, package
    done: list[str] = []
    while len(done) < len(MAY_IMPORT):
        ready = [p for p, allowed in MAY_IMPORT.items() if p not in done and allowed <= set(done)]
        assert ready, f"the rules go round in a circle among {set(MAY_IMPORT) - set(done)}"
        done += ready


def test_only_engine_imports_spiffworkflow() -> None:
    offenders = [
        str(imp)
        for imp in _imports(*PACKAGES)
        if imp.imported == "SpiffWorkflow" and imp.importer != "engine"
    ]
    assert not offenders, "SpiffWorkflow outside engine/:\n" + "\n".join(offenders)


def test_only_web_imports_flask() -> None:
    """Nothing below web/ imports Flask, and the command line only through web/ in `serve`
    (bench/, a tool, may time pages)."""
    flask_names = {"flask", "flask_login", "flask_wtf", "werkzeug"}
    outside_web = [p for p in PACKAGES if p not in {"web", "bench"}]
    offenders = [str(imp) for imp in _imports(*outside_web) if imp.imported in flask_names]
    assert not offenders, "Flask outside web/:\n" + "\n".join(offenders)


def test_importing_the_command_line_loads_no_web_stack() -> None:
    """`ykt` commands other than `serve` (and `bench`, which times the inbox page) never
    need Flask: cli/ imports web/ and bench.inbox_page only inside those commands."""
    stack = {"web", "flask", "werkzeug", "flask_login", "flask_wtf"}
    check = (
        "import cli.main, sys; "
        f"loaded = sorted({{m.split('.')[0] for m in sys.modules}} & {stack!r}); "
        "assert not loaded, loaded"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"`import cli.main` loads the web stack: {done.stderr}"


def test_modules_stay_small() -> None:
    big = [
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p in _modules(*PACKAGES, "tests")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    ]
    assert big == []
