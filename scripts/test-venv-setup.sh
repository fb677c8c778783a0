#!/usr/bin/env bash
# Makes .tools/test-venv: the hash-pinned Python references the tests compare against (scikit-learn, scipy, datasets).
# Called by scripts/setup.sh; a second run is a no-op. Wheels are pinned for CPython 3.11 on x86-64 Linux.
set -euo pipefail
cd "$(dirname "$0")/.."
req=scripts/test-requirements.txt
key=$(sha256sum "$req" | cut -c1-64)
venv=.tools/test-venv
if [ -f "$venv/.clinsynth-stamp" ] && [ "$(cat "$venv/.clinsynth-stamp")" = "$key" ]; then exit 0; fi
echo "clinsynth setup: installing the test references (scikit-learn, scipy, datasets) into $venv…" >&2
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes --only-binary=:all: \
  -r "$req" >&2
"$venv/bin/python" -c 'import sklearn, scipy, datasets' >&2
echo "$key" > "$venv/.clinsynth-stamp"
