// Shared benchmark helpers: result shape, quick mode, free ports, a temporary Temporal dev server, RSS, synthetic text.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../lib/config/paths.js';
import { freePort } from '../tests/support/net.js';

export { freePort };

export const QUICK = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';

/** Cached generated inputs (gitignored with .tools/). */
export const BENCH_DATA = join(PROJECT_ROOT, '.tools', 'bench-data');
export const BENCH_VENV_PY = join(PROJECT_ROOT, '.tools', 'bench-venv', 'bin', 'python');
/** The shared dev gold set: read in place, never copied into the repository. */
export const DEV_GOLD = join(PROJECT_ROOT, '..', 'shared', 'data', 'gold', 'dev.jsonl');
export const TAXONOMY = join(PROJECT_ROOT, 'taxonomy', 'ad-signs-symptoms.yaml');

export interface Figure {
  value: number;
  unit: string;
}

/**
 * The CPU a figure was measured on: model and the SIMD flags that decide onnxruntime's kernels (AVX2, AVX-512,
 * AVX-512 VNNI, AVX-VNNI), from /proc/cpuinfo. Encoder speed-ups differ a lot between CPUs with and without VNNI.
 */
export function cpuLine(): string {
  let flags = new Set<string>();
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    flags = new Set((/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(/\s+/));
  } catch {
    // not Linux: model only
  }
  const yes = (f: string) => (flags.has(f) ? 'yes' : 'no');
  return `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; AVX2 ${yes('avx2')}, AVX-512 ${yes('avx512f')}, VNNI ${flags.has('avx512_vnni') ? 'yes (AVX-512)' : flags.has('avx_vnni') ? 'yes (AVX-VNNI)' : 'no'}`;
}

/** One benchmark's outcome: the figure, the baseline measured in the same run, and figure ÷ baseline. */
export interface BenchResult {
  id: string;
  title: string;
  /** cpuLine() of the machine that measured it. */
  cpu?: string;
  quick: boolean;
  figure: Figure & { what: string };
  baseline: Figure & { what: string };
  ratio: number;
  /** e.g. ">= 0.9"; `pass` compares ratio (or the figure when goalOn = 'figure') with it. */
  goal: string;
  goalOn?: 'ratio' | 'figure';
  pass: boolean | null;
  /** Why the benchmark could not run here (its figure is NaN and it passes nothing); absent when it ran. */
  skipped?: string;
  seconds: number;
  details: Record<string, unknown>;
  notes: string[];
}

export function checkGoal(value: number, goal: string): boolean | null {
  const m = /^(>=|<=|>|<)\s*([0-9.eE+-]+)/.exec(goal.trim());
  if (!m || !Number.isFinite(value)) return null;
  const g = Number(m[2]);
  switch (m[1]) {
    case '>=':
      return value >= g;
    case '<=':
      return value <= g;
    case '>':
      return value > g;
    default:
      return value < g;
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `clinsynth-bench-${prefix}-`));
}

/** Removes a benchmark's temp folder (kept with BENCH_KEEP=1, for inspection). */
export function cleanup(dir: string): void {
  if (process.env.BENCH_KEEP === '1') console.error(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

/** A fresh dev server (headless, temp home, free ports); stop() also removes its home. */
export async function startBenchServer(): Promise<{
  address: string;
  pid: number;
  stop(): Promise<void>;
  home: string;
}> {
  const { startDevServer } = await import('../client/temporal-server.js');
  const home = tempDir('temporal');
  const server = await startDevServer({ home, port: await freePort(), uiPort: await freePort(), headless: true });
  return {
    address: server.address,
    pid: server.pid,
    home,
    stop: async () => {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Peak resident set (VmHWM) and current (VmRSS) of a process, in MiB, from /proc. */
export function procMemory(pid: number | 'self' = 'self'): { hwmMiB: number; rssMiB: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { hwmMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
  } catch {
    return { hwmMiB: NaN, rssMiB: NaN };
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function procCpuSeconds(pid: number | 'self' = 'self'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

export function mkdirp(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Builds a result with ratio and pass filled in. */
export function result(
  r: Omit<BenchResult, 'ratio' | 'pass' | 'quick'> & { ratio?: number; pass?: boolean | null },
): BenchResult {
  const ratio = r.ratio ?? r.figure.value / r.baseline.value;
  const on = r.goalOn === 'figure' ? r.figure.value : ratio;
  return {
    ...r,
    cpu: cpuLine(),
    quick: QUICK,
    ratio: round(ratio, 4),
    pass: r.pass !== undefined ? r.pass : checkGoal(on, r.goal),
  };
}

/** The result of a benchmark that could not run (e.g. the shared data is absent): says why, passes nothing. */
export function skippedResult(id: string, title: string, unit: string, goal: string, msg: string): BenchResult {
  console.error(msg);
  return result({
    id,
    title,
    figure: { value: NaN, unit, what: 'skipped' },
    baseline: { value: NaN, unit, what: 'skipped' },
    goal,
    pass: null,
    seconds: 0,
    details: {},
    notes: [msg],
    skipped: msg,
  });
}

export function formatResult(r: BenchResult): string {
  const v = (f: Figure) => `${round(f.value, f.value >= 100 ? 1 : 3)} ${f.unit}`;
  const verdict =
    r.skipped !== undefined
      ? 'SKIPPED'
      : r.pass === null
        ? /^none set\b/.test(r.goal)
          ? 'information'
          : 'NO VERDICT'
        : r.pass
          ? 'PASS'
          : 'MISS';
  return [
    `[${r.id}] ${r.title}${r.quick ? ' (quick)' : ''} — ${r.seconds.toFixed(1)} s`,
    `  cpu:      ${r.cpu ?? cpuLine()}`,
    `  figure:   ${v(r.figure)}  (${r.figure.what})`,
    `  baseline: ${v(r.baseline)}  (${r.baseline.what})`,
    `  ratio:    ${r.ratio}  goal ${r.goalOn === 'figure' ? `figure ${r.goal}` : r.goal} → ${verdict}`,
    ...r.notes.map((n) => `  note: ${n}`),
  ].join('\n');
}

/**
 * Lets a benchmark module run on its own (`tsx bench/x.ts`): runs it, prints the result, and writes it to
 * $BENCH_RESULT_FILE when set (how run-all collects results from its child processes).
 */
export async function mainIfDirect(metaUrl: string, run: () => Promise<BenchResult>): Promise<void> {
  if (!process.argv[1] || metaUrl !== pathToFileURL(process.argv[1]).href) return;
  try {
    const r = await run();
    console.log(formatResult(r));
    console.log(
      JSON.stringify(r.details, null, 1)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    if (process.env.BENCH_RESULT_FILE) writeFileSync(process.env.BENCH_RESULT_FILE, JSON.stringify(r));
    process.exit(0);
  } catch (e) {
    console.error(e);
    process.exit(1);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Synthetic clinical text (written for the benchmarks; no patient data)

const SUBJECTS = ['The patient', 'Pt', 'She', 'He', 'The resident', 'Patient'];
const CUE_PHRASES = [
  'has memory loss that is worse',
  'was confused during the visit',
  'is forgetful and repeats questions',
  'had recurrent falls at home',
  'has a shuffling gait on exam',
  'was agitated in the evening',
  'reports insomnia and anxiety',
  'needs help bathing most days',
  'scored low on the MoCA',
  'had an abnormal MMSE',
  'carries a diagnosis of dementia',
  'was started on donepezil',
  'continues memantine at night',
  'has poor appetite and weight loss',
  'is described as withdrawn and tearful',
  'has word-finding difficulty',
];
const PLAIN_PHRASES = [
  'has well-controlled hypertension',
  'denies chest pain or shortness of breath',
  'had a normal blood pressure reading',
  'takes lisinopril every morning',
  'was seen for a routine follow-up',
  'has a healed surgical scar on the abdomen',
  'reports mild seasonal allergies',
  'had labs drawn before the appointment',
];
const WHEN = ['over the past {n} months', 'since visit {n}', 'for about {n} weeks', 'per review {n}', 'as of day {n}'];

/** A deterministic cue-bearing (or plain) clinical-looking sentence, distinct for each n. */
export function syntheticSentence(n: number, cue = true): string {
  const subj = SUBJECTS[n % SUBJECTS.length]!;
  const list = cue ? CUE_PHRASES : PLAIN_PHRASES;
  const phrase = list[Math.floor(n / SUBJECTS.length) % list.length]!;
  const when = WHEN[Math.floor(n / 7) % WHEN.length]!.replace('{n}', String(n + 1));
  return `${subj} ${phrase} ${when}.`;
}

/** Reads {"text"} rows of a JSONL file (e.g. the dev gold); undefined when absent. */
export function readJsonlTexts(path: string): string[] | undefined {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return raw
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => String((JSON.parse(l) as { text: string }).text));
}

/** Writes lines to a file through a buffer (constant memory, honouring back-pressure); `next` returns null at the end. */
export async function writeLinesBuffered(out: WriteStream, next: () => string | null, flushEvery = 500): Promise<void> {
  let buf: string[] = [];
  for (let line = next(); line !== null; line = next()) {
    buf.push(line);
    if (buf.length >= flushEvery) {
      if (!out.write(buf.join(''))) await once(out, 'drain');
      buf = [];
    }
  }
  out.write(buf.join(''));
  out.end();
  await once(out, 'finish');
}
