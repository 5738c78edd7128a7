#!/usr/bin/env bash
# The project's test command (README, .ci/run): a venv with the package and its test extras, then the gate
# (ruff over the repo, mypy over tutor/, both configured in pyproject.toml), then pytest.
# Interop tests need real peers (scripts/ci-install-peers.sh) and the lab MTA (scripts/lab-mta.sh start);
# without them they skip on a laptop, and fail under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${SMTP_TUTOR_VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'

# The gate first: a lint or type error fails in seconds, before a long test run (mypy's cache: .mypy_cache/).
echo "gate: ruff check" >&2
"$venv/bin/python" -m ruff check --no-fix --output-format concise . || { echo "gate: ruff failed (see above)" >&2; exit 1; }
echo "gate: mypy tutor" >&2
"$venv/bin/python" -m mypy tutor || { echo "gate: mypy failed (see above)" >&2; exit 1; }

exec "$venv/bin/python" -m pytest "$@"
