// Runs the Python reference side (bench/py/reference.py in .tools/bench-venv), creating the venv first when needed.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/config/paths.js';
import { BENCH_VENV_PY, tempDir, cleanup } from './common.js';

let ready = false;

/** Makes sure the benchmark venv exists (scripts/bench-setup.sh is idempotent and quick once done). */
export function ensureVenv(): void {
  if (ready) return;
  const r = spawnSync('bash', [join(PROJECT_ROOT, 'scripts', 'bench-setup.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0 || !existsSync(BENCH_VENV_PY))
    throw new Error('scripts/bench-setup.sh failed: the Python reference venv is missing');
  ready = true;
}

/** The environment of the Python reference: the machine's own BLAS kernels for a fair comparison (threads are set in Python). */
function referenceEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** Runs `reference.py CMD` with `input` as JSON and returns its JSON output. */
export function runReference<T>(cmd: 'encode' | 'logreg', input: unknown): T {
  ensureVenv();
  const dir = tempDir('py');
  try {
    const src = join(dir, 'in.json');
    const dst = join(dir, 'out.json');
    writeFileSync(src, JSON.stringify(input));
    const r = spawnSync(BENCH_VENV_PY, [join(PROJECT_ROOT, 'bench', 'py', 'reference.py'), cmd, src, dst], {
      env: referenceEnv(),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0) throw new Error(`bench/py/reference.py ${cmd} failed (exit ${r.status})`);
    return JSON.parse(readFileSync(dst, 'utf8')) as T;
  } finally {
    cleanup(dir);
  }
}

/** A long-lived `reference.py serve-encode` process: one timed sentence-transformers pass per `pass()`. */
export interface ReferenceEncoder {
  pass(): Promise<number>;
  finish(): Promise<{ embeddings: number[][]; maxSeqLength: number; versions: Record<string, unknown> }>;
}

/** `model`: a sentence-transformers folder (default: the fp32 all-MiniLM-L6-v2 of the benchmark venv). */
export async function startReferenceEncoder(input: {
  texts: string[];
  batch: number;
  threads: number;
  model?: string;
}): Promise<ReferenceEncoder> {
  ensureVenv();
  const dir = tempDir('py');
  const src = join(dir, 'in.json');
  const dst = join(dir, 'out.json');
  writeFileSync(src, JSON.stringify(input));
  const child = spawn(BENCH_VENV_PY, [join(PROJECT_ROOT, 'bench', 'py', 'reference.py'), 'serve-encode', src, dst], {
    env: referenceEnv(),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await lines.next();
    if (r.done) throw new Error('bench/py/reference.py serve-encode stopped early');
    return JSON.parse(r.value) as Record<string, unknown>;
  };
  await next(); // ready
  return {
    async pass() {
      child.stdin!.write('go\n');
      return Number((await next()).seconds);
    },
    async finish() {
      child.stdin!.write('quit\n');
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      try {
        if (code !== 0) throw new Error(`bench/py/reference.py serve-encode exited with ${code}`);
        return JSON.parse(readFileSync(dst, 'utf8')) as {
          embeddings: number[][];
          maxSeqLength: number;
          versions: Record<string, unknown>;
        };
      } finally {
        cleanup(dir);
      }
    },
  };
}
