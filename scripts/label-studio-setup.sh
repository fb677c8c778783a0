#!/usr/bin/env bash
# Makes .tools/label-studio: Label Studio from PyPI (hash-pinned, scripts/label-studio-requirements.txt) for the review
# drill against a real Label Studio. Called by `npm run drills` and .ci/run before the drills (not by scripts/setup.sh:
# the demo and npm test do not need it); a second run is a no-op. Takes minutes (about 160 packages).
set -euo pipefail
cd "$(dirname "$0")/.."
req=scripts/label-studio-requirements.txt
key=$(sha256sum "$req" | cut -c1-64)
venv=.tools/label-studio
if [ -f "$venv/.clinsynth-stamp" ] && [ "$(cat "$venv/.clinsynth-stamp")" = "$key" ]; then exit 0; fi
echo "clinsynth setup: installing Label Studio (label-studio==1.23.2, for the review drill) into $venv…" >&2
rm -rf "$venv"
python3 -m venv "$venv"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes)
# Five packages are sdists: build them with the pinned setuptools/wheel, installed first, not an unpinned isolated set.
grep -E '^(setuptools|wheel)==' "$req" > "$venv/build-requirements.txt"
"${pip[@]}" --only-binary=:all: -r "$venv/build-requirements.txt" >&2
"${pip[@]}" --no-build-isolation -r "$req" >&2
"$venv/bin/python" -c 'import label_studio; print("label-studio", label_studio.__version__)' >&2
echo "$key" > "$venv/.clinsynth-stamp"
