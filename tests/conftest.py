"""Shared fixtures: every test runs with its own XDG folders, so no test reads or writes the user's history,
progress or certificates (and subprocesses started by a test inherit the same isolation)."""

import pytest


@pytest.fixture(autouse=True)
def isolated_xdg(tmp_path_factory, monkeypatch):
    base = tmp_path_factory.mktemp("xdg")
    for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(base / name.lower()))
    yield base
