"""The layers hold: every tutor sub-package and top-level module imports only what the table below allows (the
same table as docs/ARCHITECTURE.md's, checked here), the table itself has no cycle, and the sans-IO core imports
no socket, ssl, asyncio or UI module. There is no exceptions list: a new upward import fails here.

Imports are read from the source (ast), wherever they run: top of module or inside a function; a string that is a
whole tutor module name ("tutor.repl.builtins", for importlib or importlib.resources) counts too. What only the type
checker reads (`if TYPE_CHECKING:` blocks, e.g. Protocols for mypy) is not a run-time import and is not counted, as
import-linter's exclude_type_checking_imports does.
"""

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ROOT = REPO / "tutor"
ARCHITECTURE = REPO / "docs" / "ARCHITECTURE.md"

# Unit -> the other units it may import. A unit is a sub-package of tutor/ or a top-level module (without .py);
# "tutor" is the package's own __init__ (`from tutor import __version__`). Listed bottom-up.
FOUNDATION = {"errors", "escapes", "explain"}
ALLOWED: dict[str, set[str]] = {
    "tutor": set(),
    "data": set(),
    "errors": set(),
    "escapes": {"errors"},
    "prose_cache": {"tutor"},
    "explain": {"data", "errors", "escapes", "prose_cache"},
    "pacing": set(),
    "interfaces": set(),    # typing Protocols (SessionLike, ShellLike): every import is under TYPE_CHECKING
    "protocol": FOUNDATION,
    "sasl": FOUNDATION | {"protocol"},
    "explain_codes": FOUNDATION | {"protocol"},
    "redacted_user": {"errors", "sasl"},
    "transcript": {"errors", "escapes", "redacted_user"},
    "sim": FOUNDATION | {"protocol", "sasl"},
    "trace": FOUNDATION | {"explain_codes", "protocol", "sasl", "transcript"},
    "helpers": FOUNDATION | {"explain_codes", "protocol", "sasl"},
    "classroom": FOUNDATION | {"protocol", "sasl", "trace", "transcript"},
    "course": FOUNDATION | {"helpers", "protocol", "sasl", "sim"},
    "transport": FOUNDATION | {"data", "pacing", "protocol", "transcript"},
    "session": FOUNDATION | {"protocol", "sasl", "transcript", "transport"},
    "lesson_sessions": FOUNDATION | {"course", "session", "sim", "transport"},
    "display": FOUNDATION | {"classroom", "explain_codes", "pacing", "protocol", "sasl", "trace", "transcript"},
    "repl": FOUNDATION | {"course", "display", "explain_codes", "helpers", "lesson_sessions", "protocol", "sasl",
                          "session", "sim", "transcript", "transport"},
    "cli": FOUNDATION | {"tutor", "classroom", "course", "display", "explain_codes", "helpers", "lesson_sessions",
                         "protocol", "repl", "sasl", "session", "sim", "trace", "transcript", "transport"},
    "__main__": {"cli"},
}

# The sans-IO core: no sockets, event loops, terminals or sub-processes (I/O only in tutor/transport, UI only in
# tutor/repl and tutor/display).
CORE = ["protocol", "sasl", "sim", "trace", "course", "helpers", "classroom"]
CORE_FILES = ["explain.py", "explain_codes.py", "escapes.py", "errors.py", "transcript.py", "redacted_user.py",
              "prose_cache.py", "pacing.py"]
FORBIDDEN = {"socket", "ssl", "asyncio", "selectors", "prompt_toolkit", "pygments", "subprocess"}


MODULE_NAME = re.compile(r"tutor(\.\w+)+")


def unit_of(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).parts
    return parts[0] if len(parts) > 1 else ("tutor" if parts[0] == "__init__.py" else parts[0].removesuffix(".py"))


def tutor_imports(path: Path, root: Path = ROOT) -> set[str]:
    """The units a module imports (`import tutor.x.y`, `from tutor.x import y`, `from tutor import x`); a relative
    import is the unit "relative import", allowed nowhere (the table could not see where it points)."""
    units = set()
    for node in runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            units.add("relative import")
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_NAME.fullmatch(node.value):
            names = [node.value]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [f"tutor.{alias.name}" for alias in node.names] if node.module == "tutor" else [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] != "tutor":
                continue
            if len(parts) == 1:
                units.add("tutor")
            else:
                exists = (root / parts[1]).is_dir() or (root / f"{parts[1]}.py").is_file()
                units.add(parts[1] if exists else "tutor")      # `from tutor import __version__`
    return units


def runtime_nodes(tree: ast.AST):
    """Every node, except inside `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`) blocks; their `else:` counts."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and _names_type_checking(node.test):
            todo.extend(node.orelse)
        else:
            todo.extend(ast.iter_child_nodes(node))


def _names_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def violations(path: Path, root: Path = ROOT) -> set[str]:
    unit = unit_of(path, root)
    return tutor_imports(path, root) - ALLOWED[unit] - {unit}


def modules() -> list[Path]:
    return sorted(ROOT.rglob("*.py"))


def test_every_unit_is_in_the_table():
    """A new sub-package or top-level module is placed in the layers when it is added."""
    assert {unit_of(p) for p in modules()} <= set(ALLOWED)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_only_what_its_layer_allows(path):
    assert not violations(path), f"{unit_of(path)} may not import {sorted(violations(path))}"


def test_the_table_has_no_cycle():
    """Allowed imports form layers: no unit may reach itself through what it may import."""
    def reach(unit: str, seen: set[str]) -> set[str]:
        for other in ALLOWED[unit] - seen:
            seen.add(other)
            reach(other, seen)
        return seen

    for unit in ALLOWED:
        assert unit not in reach(unit, set()), unit


def test_the_check_catches_an_upward_import(tmp_path):
    root = tmp_path / "tutor"
    for name in ("transport", "sim", "trace", "repl", "session.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).mkdir() if not name.endswith(".py") else (root / name).write_text("")
    bad = root / "transport" / "bad.py"
    bad.write_text("from tutor.sim.server import SimServer\n\ndef f():\n    from tutor import session\n"
                   "    import tutor.trace.pcap\n    from . import x\n    importlib.import_module('tutor.repl.x')\n")
    assert violations(bad, root) == {"sim", "session", "trace", "relative import", "repl"}


def test_type_only_imports_are_not_run_time_imports(tmp_path):
    root = tmp_path / "tutor"
    for name in ("transport", "sim", "repl"):
        (root / name).mkdir(parents=True)
    module = root / "transport" / "typed.py"
    module.write_text("import typing\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from tutor.sim import SimServer\nelse:\n    import tutor.repl.shell\n"
                      "if typing.TYPE_CHECKING:\n    import tutor.sim.output\n")
    assert violations(module, root) == {"repl"}


def test_architecture_md_shows_the_same_table():
    """docs/ARCHITECTURE.md's allowed-imports table (`| unit | may import |`) is this one."""
    rows = re.findall(r"^\| `([\w.]+)` \| (.*) \|$", ARCHITECTURE.read_text(encoding="utf-8"), re.MULTILINE)
    shown = {unit: set(re.findall(r"`([\w.]+)`", allowed)) for unit, allowed in rows}
    assert shown == ALLOWED


# ---- the sans-IO core -----------------------------------------------------------------------------------------
def core_modules():
    files = [p for d in CORE for p in sorted((ROOT / d).rglob("*.py"))]
    return files + [ROOT / f for f in CORE_FILES]


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_does_no_io(path):
    assert not imported_roots(path) & FORBIDDEN


def test_the_check_would_catch_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import socket\nfrom asyncio import sleep\n")
    assert imported_roots(bad) & FORBIDDEN == {"socket", "asyncio"}


def test_architecture_md_names_only_files_that_exist():
    """The map's paths (`repl/live.py` is under tutor/, `tests/...` from the top) are where the code is."""
    named = set(re.findall(r"`([\w.-]+(?:/[\w.-]+)+/?)`", ARCHITECTURE.read_text(encoding="utf-8")))
    top = ("tutor", "tests", "lessons", "scripts", "docs")
    missing = [p for p in sorted(named) if not (REPO / p if p.split("/")[0] in top else ROOT / p).exists()]
    assert named and not missing
