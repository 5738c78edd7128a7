"""The welcome names what the profile offers without importing tutor.sasl (every mechanism) at start-up, and says
the same as the registry would."""

import json
import subprocess
import sys

from tutor.repl import welcome
from tutor.sasl import registry
from tutor.sim.profiles import PROFILES

START = """
import json, sys
from tutor.repl.shell import Shell
from tutor.repl.welcome import offered, sim_welcome
from tutor.sim.profiles import PROFILES

shell = Shell(profile="lab")
shell.start()
said = sim_welcome(shell.session)
loaded = sorted(m for m in ("tutor.sasl", "argparse") if m in sys.modules)
print(json.dumps({"welcome": said, "loaded": loaded,
                  "offered": {name: [offered(p, False), offered(p, True)] for name, p in PROFILES.items()}}))
"""


def _fresh_start() -> dict:
    """Connect to sim:lab and make the welcome in a new interpreter (nothing imported yet)."""
    done = subprocess.run([sys.executable, "-c", START], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_list_kept_here_is_the_registrys():
    assert registry.names(offered_only=True) == welcome.REGISTRY_OFFERED


def test_a_fresh_start_greets_without_the_mechanisms_or_argparse_and_says_the_same():
    fresh = _fresh_start()
    assert fresh["loaded"] == []
    assert fresh["offered"] == {name: [list(p.offered(False)), list(p.offered(True))] for name, p in PROFILES.items()}
    assert "AUTH PLAIN" in fresh["welcome"] and "AUTH LOGIN" in fresh["welcome"]


def test_without_the_registry_loaded_every_profile_offers_what_it_says(monkeypatch):
    monkeypatch.delitem(sys.modules, "tutor.sasl.registry")   # as at start-up: the list kept in welcome answers
    for profile in PROFILES.values():
        for tls in (False, True):
            assert welcome.offered(profile, tls) == profile.offered(tls), (profile.name, tls)
