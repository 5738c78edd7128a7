"""Shared fixtures: every test runs with its own XDG folders, so no test reads or writes the user's history,
progress or certificates (and subprocesses started by a test inherit the same isolation)."""

import pytest


@pytest.fixture(autouse=True)
def isolated_xdg(tmp_path_factory, monkeypatch):
    base = tmp_path_factory.mktemp("xdg")
    for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(base / name.lower()))
    yield base


TEST_EXTRAS = ("aiosmtpd", "scramp", "pexpect", "hypothesis", "aiohttp", "selenium", "cryptography", "shtab")


def pytest_sessionstart(session):
    """Ctrl-C tests send SIGINT to child programs: a runner started in the background (nohup, `cmd &`, some CI
    shells) has SIGINT ignored, and an ignored signal stays ignored across exec, so restore Python's default
    handler here (a caught signal is reset to SIG_DFL in the children).

    Under CI the test extras are the independent peers some tests compare against: missing is a failure,
    never a silent skip (the laptop may skip them, each with its reason)."""
    import importlib.util
    import os
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)
    if os.environ.get("CI") == "true":
        missing = [name for name in TEST_EXTRAS if importlib.util.find_spec(name) is None]
        if missing:
            pytest.exit(f"CI=true but test extras are missing: {', '.join(missing)} (pip install -e '.[test]')", 2)


@pytest.fixture(autouse=True)
def no_stray_processes():
    """Every program a test starts with subprocess.Popen is gone when the test ends, passed or failed: a test
    that fails between starting `smtp-tutor serve` and stopping it must not leave the server running."""
    import subprocess

    started: list[subprocess.Popen] = []
    original = subprocess.Popen.__init__

    def tracking_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        started.append(self)

    subprocess.Popen.__init__ = tracking_init
    try:
        yield
    finally:
        subprocess.Popen.__init__ = original
        for process in started:
            if process.poll() is None:
                process.kill()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
