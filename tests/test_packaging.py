"""The wheel ships what an installed tutor needs: every module, every lesson (as tutor/lessons), every data file.

The packaging lives in pyproject.toml ([tool.setuptools]); tests/data/wheel_files.txt is the wheel's file list
as it was built from setup.py before the move (the file says how it was made). When a change legitimately adds
or removes a shipped file (a new module, lesson or data file), whoever makes it updates that list in the same
commit: the failure message below names the files that differ.
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WHEEL_FILES = ROOT / "tests" / "data" / "wheel_files.txt"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The wheel built offline, with the build tools already in the venv, from a clean copy of this checkout
    (an in-place build reuses build/lib, which would still hold files the configuration no longer ships)."""
    source = tmp_path_factory.mktemp("source") / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out), str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    [built] = out.glob("smtp_auth_tutor-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_file_list_is_the_recorded_one(wheel):
    expected = {line for line in WHEEL_FILES.read_text().splitlines() if line and not line.startswith("#")}
    names = set(wheel.namelist())
    assert (sorted(names - expected), sorted(expected - names)) == ([], []), (
        "wheel contents differ from tests/data/wheel_files.txt as (shipped but not listed, listed but not shipped)")


def test_wheel_ships_every_module_under_tutor(wheel):
    """Catches a new sub-package that was not added to [tool.setuptools] packages."""
    names = set(wheel.namelist())
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "tutor").rglob("*.py")}
    assert modules and sorted(modules - names) == []


def test_wheel_contains_lessons_and_data(wheel):
    names = set(wheel.namelist())
    for lesson in sorted((ROOT / "lessons").glob("*.toml")):
        assert f"tutor/lessons/{lesson.name}" in names
    assert "tutor/lessons/README.md" in names
    assert "tutor/lessons/__init__.py" in names
    for data in sorted((ROOT / "tutor" / "data").glob("*.toml")):
        assert f"tutor/data/{data.name}" in names
    assert not any(name.endswith((".key", ".pem")) for name in names)     # no private key ships
    assert not any(name.startswith("lessons/") for name in names)          # lessons ship inside tutor/ only


def test_wheel_declares_the_command(wheel):
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "smtp-tutor = tutor.cli:main" in wheel.read(entry_points).decode()


def test_no_setup_py_left():
    """One source of truth for packaging: pyproject.toml."""
    assert not (ROOT / "setup.py").exists()
