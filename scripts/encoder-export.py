# Exports a sentence-transformers model folder to a clinsynth encoder directory (model.onnx + tokenizer.json +
# modules.json + 1_Pooling/config.json + sentence_bert_config.json + clinsynth-encoder.json), checked against
# sentence-transformers itself. Used by `npm run setup -- --encoder mpnet` and documented for bringing your own encoder.
"""Usage: python scripts/encoder-export.py SRC_DIR OUT_DIR [--name NAME] [--int8 auto|yes|no] [--sentences FILE.jsonl] [--threads N]

SRC_DIR: a sentence-transformers folder (modules.json, 1_Pooling/, tokenizer.json, model weights).
OUT_DIR: written atomically (OUT_DIR.tmp, then renamed). Needs torch (CPU), sentence-transformers, onnx, onnxruntime.

The transformer is exported with torch.onnx.export (opset 17, dynamic batch and sequence axes) to output
last_hidden_state; pooling and normalisation stay in clinsynth (read from the copied config). With --int8 auto (the
default) dynamically quantised int8 copies are measured too (int8_candidates) and the fastest variant whose cosine to
sentence-transformers is >= 0.99 on every test sentence is kept; clinsynth-encoder.json records the variant, every
variant's parity and speed, the CPU and the id.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

FALLBACK_SENTENCES = [
    "Patient presents with acute chest pain radiating to the left arm.",
    "She has become increasingly forgetful and repeats the same questions.",
    "Continue donepezil 10 mg daily and follow up in three months.",
    "He fell twice this week and now walks with a shuffling gait.",
    "Lungs are clear to auscultation bilaterally.",
    "Family reports agitation in the evenings and poor sleep.",
    "MMSE 22/30, MoCA 18/30.",
    "No focal neurological deficits.",
    "Short.",
    "The patient's daughter, who lives with her, says that over the past six months she has had trouble managing her "
    "medications, gets lost while driving to familiar places, and no longer cooks because she leaves the stove on.",
]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cpu_info():
    """The first CPU's model name and flags from /proc/cpuinfo ("?" and none where it cannot be read)."""
    model, flags = "?", set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and model == "?":
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return model, flags


def has_vnni():
    flags = cpu_info()[1]
    return "avx512_vnni" in flags or "avx_vnni" in flags


def cpu_line():
    model, flags = cpu_info()
    has = [f for f, k in [("AVX2", "avx2"), ("AVX-512", "avx512f"), ("VNNI", "avx512_vnni"), ("AVX-VNNI", "avx_vnni")] if k in flags]
    return f"{model} ({', '.join(has) or 'no AVX2'})"


def load_sentences(path, n=500):
    if not path or not os.path.exists(path):
        return FALLBACK_SENTENCES
    seen, out = set(), []
    with open(path) as f:
        for line in f:
            if line.strip():
                t = json.loads(line)["text"]
                if t not in seen:
                    seen.add(t)
                    out.append(t)
    return (out + FALLBACK_SENTENCES)[:n]


def export(src, onnx_path):
    import torch
    from sentence_transformers import SentenceTransformer

    # Eager attention: the SDPA export adds Where/IsNaN masking around every softmax (measured 7% of int8 MiniLM's time).
    st = SentenceTransformer(src, device="cpu", model_kwargs={"attn_implementation": "eager"})
    hf = st[0].auto_model.eval()
    names = ["input_ids", "attention_mask"]
    tok = st.tokenizer(["a sentence", "another, longer sentence here"], padding=True, return_tensors="pt")
    use_types = "token_type_ids" in tok and "token_type_ids" in hf.forward.__code__.co_varnames
    if use_types:
        names.append("token_type_ids")

    class Wrap(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *args):
            return self.m(**dict(zip(names, args))).last_hidden_state

    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    with torch.inference_mode():
        torch.onnx.export(
            Wrap(hf), tuple(tok[n] for n in names), onnx_path, input_names=names, output_names=["last_hidden_state"],
            dynamic_axes=axes, opset_version=17, do_constant_folding=True, dynamo=False,
        )
    return st


def onnx_embed(model_path, st, pool, texts, threads, batch=32):
    """clinsynth's pipeline in Python: length-sorted batches, per-batch padding, pooling from the copied config."""
    import numpy as np
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    inputs = {i.name for i in sess.get_inputs()}
    order = sorted(range(len(texts)), key=lambda i: len(st.tokenizer(texts[i], truncation=True, max_length=st.max_seq_length)["input_ids"]))
    out = [None] * len(texts)
    t0 = time.perf_counter()
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        tok = st.tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=st.max_seq_length, return_tensors="np")
        feeds = {k: v.astype(np.int64) for k, v in tok.items() if k in inputs}
        h = sess.run(["last_hidden_state"], feeds)[0]
        m = tok["attention_mask"][..., None].astype(np.float64)
        if pool.get("pooling_mode_cls_token"):
            v = h[:, 0]
        elif pool.get("pooling_mode_max_tokens"):
            v = np.where(m > 0, h, -np.inf).max(axis=1)
        else:
            v = (h * m).sum(axis=1) / (m.sum(axis=1) if pool.get("pooling_mode_mean_tokens") else np.sqrt(m.sum(axis=1)))
        v = v / np.linalg.norm(v, axis=1, keepdims=True)
        for k, i in enumerate(idx):
            out[i] = v[k]
    return np.stack(out), time.perf_counter() - t0


def int8_candidates(fp32, tmp):
    """Dynamically quantised copies, fastest last: `int8` quantises every MatMul but the FFN output projections (GELU
    outliers: quantising all of them costs MiniLM its cosine >= 0.99, measured min 0.986); `int8-ffn` also quantises
    those of the last third of the layers (measured on MiniLM: the later layers cost least). Weights are per-channel,
    8-bit on VNNI CPUs and 7-bit elsewhere (reduce_range: ORT's u8s8 AVX2 kernels without VNNI saturate at 8 bits)."""
    import re

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    ffn_out = {}
    for n in onnx.load(fp32, load_external_data=False).graph.node:
        m = re.search(r"layer\.(\d+)/output/dense/MatMul$", n.name)
        if n.op_type == "MatMul" and m and "attention" not in n.name:
            ffn_out[n.name] = int(m.group(1))
    layers = max(ffn_out.values(), default=-1) + 1
    vnni = has_vnni()
    out = {}
    for v, quantised_ffn in [("int8", 0), ("int8-ffn", max(1, layers // 3))]:
        keep = [name for name, layer in ffn_out.items() if layer < layers - quantised_ffn]
        path = os.path.join(tmp, f"model-{v}.onnx")
        quantize_dynamic(fp32, path, weight_type=QuantType.QInt8, per_channel=True, reduce_range=not vnni, op_types_to_quantize=["MatMul"], nodes_to_exclude=keep)
        out[v] = path
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--name", default=None)
    ap.add_argument("--int8", choices=["auto", "yes", "no"], default="auto")
    ap.add_argument("--sentences", default=None)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    import numpy as np
    import torch

    torch.set_num_threads(a.threads)
    src, out = os.path.abspath(a.src), os.path.abspath(a.out)
    name = a.name or os.path.basename(src.rstrip("/"))
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    fp32 = os.path.join(tmp, "model-fp32.onnx")
    print(f"encoder-export: exporting {src} to ONNX…", file=sys.stderr)
    st = export(src, fp32)
    modules = json.load(open(os.path.join(src, "modules.json")))
    if st[-1].__class__.__name__ != "Normalize":
        print("encoder-export: note: the model has no Normalize module; clinsynth uses unit vectors as they come", file=sys.stderr)
    pool = None
    for m in modules:
        if m["type"].endswith("Pooling"):
            os.makedirs(os.path.join(tmp, m["path"]), exist_ok=True)
            shutil.copy(os.path.join(src, m["path"], "config.json"), os.path.join(tmp, m["path"], "config.json"))
            pool = json.load(open(os.path.join(src, m["path"], "config.json")))
    if pool is None:
        sys.exit(f"encoder-export: {src}/modules.json lists no Pooling module")
    for f in ["tokenizer.json", "modules.json", "sentence_bert_config.json", "config.json", "README.md"]:
        if os.path.exists(os.path.join(src, f)):
            shutil.copy(os.path.join(src, f), os.path.join(tmp, f))
    if not os.path.exists(os.path.join(tmp, "tokenizer.json")):
        st.tokenizer.save_pretrained(tmp)  # a fast tokenizer writes tokenizer.json
    json.dump({"max_seq_length": st.max_seq_length}, open(os.path.join(tmp, "sentence_bert_config.json"), "w"))

    texts = load_sentences(a.sentences)
    with torch.inference_mode():
        t0 = time.perf_counter()
        ref = st.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        ref_s = time.perf_counter() - t0
    variants = {}
    cand = {"fp32": fp32}
    if a.int8 != "no":
        cand.update(int8_candidates(fp32, tmp))
    # Timing on at least 256 sentences (the fallback set repeated when no dev gold is given): ten sentences take a few
    # milliseconds, too little to tell the variants apart. Parity is taken on the distinct sentences.
    timed = (texts * -(-256 // len(texts)))[: max(256, len(texts))]
    for v, path in cand.items():
        emb, _ = onnx_embed(path, st, pool, texts, a.threads)  # also the warm-up
        best = min(onnx_embed(path, st, pool, timed, a.threads)[1] for _ in range(3))
        cos = (emb * ref).sum(axis=1) / (np.linalg.norm(emb, axis=1) * np.linalg.norm(ref, axis=1))
        variants[v] = {"cosMin": round(float(cos.min()), 6), "cosMean": round(float(cos.mean()), 6), "seconds": round(best, 3), "sha256": sha256(path)}
        print(f"encoder-export: {v}: cosine min {cos.min():.5f} mean {cos.mean():.5f}, timed on {len(timed)} sentences: {best:.2f} s", file=sys.stderr)
    ok = {v: r for v, r in variants.items() if r["cosMin"] >= 0.99}
    if a.int8 == "yes":
        chosen = "int8"
    else:  # the fastest variant that keeps parity (fp32 always does, checked below)
        chosen = min(ok, key=lambda v: ok[v]["seconds"]) if ok else "fp32"
    if variants[chosen]["cosMin"] < 0.99:
        sys.exit(f"encoder-export: the {chosen} export misses parity (min cosine {variants[chosen]['cosMin']} < 0.99)")
    os.replace(cand[chosen], os.path.join(tmp, "model.onnx"))
    for v, path in cand.items():
        if v != chosen and os.path.exists(path):
            os.remove(path)
    info = {
        "id": f"{name}-{chosen}@sha256:{variants[chosen]['sha256'][:16]}",
        "name": name,
        "variant": chosen,
        "source": os.path.relpath(src, out),  # relative to the encoder directory: the benchmarks compare with it
        "dim": int(json.load(open(os.path.join(tmp, next(m["path"] for m in modules if m["type"].endswith("Pooling")), "config.json")))["word_embedding_dimension"]),
        "maxSeqLength": st.max_seq_length,
        "checkedOn": {"sentences": len(texts), "timedOn": len(timed), "threads": a.threads, "batch": 32, "sentenceTransformersSeconds": round(ref_s, 3)},
        "variants": variants,
        "cpu": cpu_line(),
        "int8Weights": "8-bit (VNNI)" if has_vnni() else "7-bit (no VNNI: reduce_range)",
        "versions": {"torch": torch.__version__, "onnxruntime": __import__("onnxruntime").__version__},
    }
    json.dump(info, open(os.path.join(tmp, "clinsynth-encoder.json"), "w"), indent=1)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    print(f"encoder-export: installed {info['id']} ({chosen}) in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
