"""The house rules of the architecture, checked on the source tree."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["core", "engine", "campaign", "forms", "web", "cli", "migrations"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _modules(*packages: str) -> list[Path]:
    return [p for pkg in packages for p in (ROOT / pkg).rglob("*.py")]


def test_only_engine_imports_spiffworkflow() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in _modules(*PACKAGES)
        if "SpiffWorkflow" in _imports(p) and p.parts[len(ROOT.parts)] != "engine"
    ]
    assert offenders == []


def test_nothing_below_web_imports_flask() -> None:
    flask_names = {"flask", "flask_login", "flask_wtf", "werkzeug"}
    below_web = ["core", "engine", "campaign", "forms", "migrations"]
    offenders = [
        str(p.relative_to(ROOT)) for p in _modules(*below_web) if _imports(p) & flask_names
    ]
    assert offenders == []


def test_engine_knows_nothing_of_the_campaign() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in _modules("engine", "core")
        if _imports(p) & {"campaign", "forms", "web", "cli"}
    ]
    assert offenders == []


def test_modules_stay_small() -> None:
    big = [
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p in _modules(*PACKAGES)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    ]
    assert big == []


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
