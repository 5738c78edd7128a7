#!/usr/bin/env bash
# The project's test command (README, .ci/run): a venv with the package and its test extras, then pytest.
# Interop tests need real peers (scripts/ci-install-peers.sh) and the lab MTA (scripts/lab-mta.sh start);
# without them they skip on a laptop, and fail under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${SMTP_TUTOR_VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
exec "$venv/bin/python" -m pytest "$@"
