"""The sans-IO core imports no socket, ssl, asyncio or UI module (ARCHITECTURE.md: arrows only point down)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "tutor"
CORE = ["protocol", "sasl", "sim", "trace", "course", "helpers"]
CORE_FILES = ["explain.py", "escapes.py", "errors.py"]
FORBIDDEN = {"socket", "ssl", "asyncio", "selectors", "prompt_toolkit", "pygments", "subprocess"}


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
