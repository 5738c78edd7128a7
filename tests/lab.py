"""The lab Postfix + Dovecot (scripts/lab-mta.sh) as tests see it: its env file, or skip on a laptop and
fail under CI=true (where .ci/run starts it, so a missing lab is a broken CI, never a silent skip)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

LAB_ENV = Path(os.environ.get("LAB_MTA_ENV", "/var/tmp/smtp-tutor-lab/lab.env"))


def lab_env() -> dict[str, str]:
    """LAB_HOST, LAB_PORT_PLAIN, LAB_PORT_STARTTLS, LAB_PORT_TLS, LAB_CAFILE, LAB_SINK, LAB_USERS, LAB_MECHS..."""
    if not LAB_ENV.exists():
        reason = f"the lab MTA is not running: {LAB_ENV} is missing (bash scripts/lab-mta.sh start)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (required under CI)")
        pytest.skip(reason)
    env = {}
    for line in LAB_ENV.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            env[key.strip()] = value.strip().strip('"')
    return env
