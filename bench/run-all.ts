// `npm run bench`: runs each benchmark in its own process, prints figure vs baseline, writes bench/results.json, and
// exits 1 when a goal is missed (naming it). BENCH_ONLY=p1,p3 selects; BENCH_QUICK=1 smaller sizes; BENCH_KEEP=1 temps.
import { spawn } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/config/paths.js';
import { FAST_ENCODER, encoderProblem } from '../lib/config/encoders.js';
import { QUICK, cpuLine, formatResult, round, type BenchResult } from './common.js';
import { benchVerdict, verdictLines, type BrokenRun, type NotRun } from './verdict.js';

/**
 * In run order: quick, CPU-bound ones first; the long Temporal ones last. `unavailable` says why a benchmark cannot
 * run here (it is then reported as skipped, unless BENCH_ONLY asks for it).
 */
const BENCHES: {
  id: string;
  file: string;
  title: string;
  env?: Record<string, string>;
  unavailable?: () => string | undefined;
}[] = [
  { id: 'p3', file: 'bench/p3-prompt-tokens.ts', title: 'prompt tokens per silver sentence' },
  { id: 'p2', file: 'bench/p2-encoder.ts', title: 'encoder vs sentence-transformers' },
  // Opt-in encoders are measured when installed (npm run setup -- --encoder NAME; `npm run bench` installs minilm-fast).
  {
    id: `p2-${FAST_ENCODER}`,
    file: 'bench/p2-encoder.ts',
    title: `MiniLM as setup converted it for this CPU (${FAST_ENCODER}) vs sentence-transformers`,
    env: { BENCH_ENCODER: FAST_ENCODER },
    unavailable: () => encoderProblem(FAST_ENCODER),
  },
  {
    id: 'p2-mpnet',
    file: 'bench/p2-encoder.ts',
    title: 'mpnet encoder vs sentence-transformers',
    env: { BENCH_ENCODER: 'mpnet' },
    unavailable: () => encoderProblem('mpnet'),
  },
  { id: 'classifier', file: 'bench/classifier-reference.ts', title: 'logreg vs scikit-learn' },
  {
    id: 'classifier-mpnet',
    file: 'bench/classifier-reference.ts',
    title: 'logreg vs scikit-learn, mpnet features',
    env: { BENCH_ENCODER: 'mpnet' },
    unavailable: () => encoderProblem('mpnet'),
  },
  {
    id: 'logreg-fit-20k',
    file: 'bench/logreg-fit.ts',
    title: 'logreg fit, 20,000 rows, vs scikit-learn',
    env: { BENCH_ROWS: '20000' },
  },
  {
    id: 'logreg-fit-100k',
    file: 'bench/logreg-fit.ts',
    title: 'logreg fit, 100,000 rows, vs scikit-learn',
    env: { BENCH_ROWS: '100000' },
  },
  { id: 'p6', file: 'bench/p6-evaluate.ts', title: 'train+evaluate stages, 5 folds × 3 seeds × 4 mixes + curves' },
  {
    id: 'p6-scale',
    file: 'bench/p6-scale.ts',
    title: 'train+evaluate, 100,000 synthetic silver rows, 5 folds × 4 mixes, vs scikit-learn',
  },
  { id: 'predict', file: 'bench/predict-speed.ts', title: 'predict speed' },
  { id: 'viewer', file: 'bench/viewer.ts', title: 'viewer page and filters on 1,000,000 silver rows' },
  { id: 'mimic', file: 'bench/mimic-ingest.ts', title: 'MIMIC ingest' },
  { id: 'llm', file: 'bench/embedded-llm.ts', title: 'embedded LLM as annotator' },
  { id: 'p1', file: 'bench/p1-silver-throughput.ts', title: 'silver throughput through Temporal' },
  {
    id: 'p1-scale',
    file: 'bench/p1-silver-throughput.ts',
    title: 'silver throughput through Temporal at concurrency 256, 2 s endpoint',
    env: { BENCH_P1_SCALE: '1' },
  },
  {
    id: 'p1-scale-1024',
    file: 'bench/p1-silver-throughput.ts',
    title: 'silver throughput through Temporal at concurrency 1024, 2 s endpoint, one worker',
    env: { BENCH_P1_SCALE: '1', BENCH_P1_CONCURRENCY: '1024' },
  },
  {
    id: 'p1-scale-1024-2w',
    file: 'bench/p1-silver-throughput.ts',
    title: 'silver throughput through Temporal, 1024 calls in flight over two worker processes, 2 s endpoint',
    env: { BENCH_P1_SCALE: '1', BENCH_P1_CONCURRENCY: '1024', BENCH_P1_WORKERS: '2' },
  },
  { id: 'p4', file: 'bench/p4-warm-rerun.ts', title: 'warm rerun' },
  { id: 'p5', file: 'bench/p5-million-silver.ts', title: '1M-candidate silver stage' },
];

function runOne(file: string, resultFile: string, env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env, BENCH_RESULT_FILE: resultFile },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

const only = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim().toLowerCase())
  .filter(Boolean);
const unknown = only.filter((id) => !BENCHES.some((b) => b.id === id));
if (unknown.length) {
  console.error(
    `unknown benchmark(s) in BENCH_ONLY: ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.id).join(', ')}`,
  );
  process.exit(2);
}
const notRun: NotRun[] = [];
const selected = BENCHES.filter((b) => {
  if (only.length) return only.includes(b.id);
  const why = b.unavailable?.();
  if (why) notRun.push({ id: b.id, title: b.title, why: `not run: ${why}` });
  return !why;
});
const tmp = mkdtempSync(join(tmpdir(), 'clinsynth-bench-all-'));
const started = new Date();
const t0 = performance.now();
const results: (BenchResult | BrokenRun)[] = [];
console.log(
  `clinsynth benchmarks${QUICK ? ' (quick)' : ''}: ${selected.map((b) => b.id).join(', ')} — ${cpuLine()}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
for (const b of selected) {
  console.log(`\n=== ${b.id}: ${b.title} (${b.file})`);
  const file = join(tmp, `${b.id}.json`);
  const s = performance.now();
  const code = await runOne(b.file, file, b.env);
  const seconds = (performance.now() - s) / 1000;
  if (code === 0 && existsSync(file)) results.push(JSON.parse(readFileSync(file, 'utf8')) as BenchResult);
  else results.push({ id: b.id, title: b.title, error: `exited with code ${code}`, seconds: round(seconds, 1) });
}
rmSync(tmp, { recursive: true, force: true });

const verdict = benchVerdict(results, notRun);
const out = {
  startedAt: started.toISOString(),
  quick: QUICK,
  totalSeconds: round((performance.now() - t0) / 1000, 1),
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    cpu: cpuLine(),
    loadavgAtEnd: loadavg().map((l) => round(l, 2)),
  },
  results,
  notRun,
  verdict,
};
writeFileSync(join(PROJECT_ROOT, 'bench', 'results.json'), JSON.stringify(out, null, 2) + '\n');

console.log(`\n=== summary (${out.totalSeconds} s; each baseline says what it is: same-run measurement or goal) ===`);
for (const r of results) {
  if ('error' in r) console.log(`[${r.id}] ${r.title}: FAILED (${r.error})`);
  else console.log(formatResult(r));
}
console.log('\nwrote bench/results.json\n');
for (const line of verdictLines(verdict)) console.log(line);
process.exit(verdict.exitCode);
