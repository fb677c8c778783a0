// Builds experiment files for tests from the demo data, with absolute paths and the LLM endpoint of the test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { RUN_FILES, writeJson } from '../../lib/run/run-dir.js';

export const DEMO_DIR = join(PROJECT_ROOT, 'examples', 'demo');

export interface TestExperimentOptions {
  name?: string;
  llm?: Record<string, unknown>;
  overrides?: Record<string, unknown>;
}

/** Writes a demo-sized experiment into a fresh temp folder and returns the file path (output goes there too). */
export function writeTestExperiment(opts: TestExperimentOptions = {}): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'clinsynth-exp-'));
  const experiment = {
    name: opts.name ?? 'test-ad',
    taxonomy: resolve(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml'),
    gold: { train: join(DEMO_DIR, 'data/gold-train.jsonl'), test: join(DEMO_DIR, 'data/gold-test.jsonl') },
    corpus: { path: join(DEMO_DIR, 'data/notes.jsonl'), format: 'jsonl', sensitive: false, maxSentences: 24 },
    silver: { enabled: true, batchSize: 4 },
    bronze: { enabled: true, perLabel: 3, perCall: 3 },
    selfCheck: { enabled: true, batchSize: 4 },
    llm: { provider: 'openai', model: 'fake-model', concurrency: 4, ...opts.llm },
    train: { seeds: [1, 2] },
    evaluate: { mixes: ['gold', 'gold+silver', 'gold+bronze', 'gold+silver+bronze'] },
    output: join(dir, 'runs'),
    ...opts.overrides,
  };
  const file = join(dir, 'experiment.yaml');
  writeFileSync(file, stringify(experiment));
  return { file, dir };
}

/** A run directory with only its experiment.json (as a run writes it), for page and batch tests below the workflow. */
export function writeRunDir(opts: TestExperimentOptions = {}): string {
  const { file, dir } = writeTestExperiment(opts);
  const runDir = join(dir, 'run');
  writeJson(join(runDir, RUN_FILES.experiment), loadExperiment(file));
  return runDir;
}

/**
 * Writes `<runDir>/experiment.json` as a run does: the demo-sized experiment, loaded and checked, with `fields` laid
 * over it (objects merged one level deep), so unit tests below the workflow state only what they care about and the
 * run directory still hands out a schema-valid experiment.
 */
export function writeExperimentJson(runDir: string, fields: Record<string, unknown>): void {
  // No test below the workflow calls the LLM: the endpoint is a closed port, there only because openai needs one.
  const { file, dir } = writeTestExperiment({ llm: { baseURL: 'http://127.0.0.1:9/v1' } });
  const base = loadExperiment(file) as unknown as Record<string, unknown>;
  rmSync(dir, { recursive: true, force: true });
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(fields)) {
    const under = base[key];
    const bothObjects = [value, under].every((v) => v !== null && typeof v === 'object' && !Array.isArray(v));
    merged[key] = bothObjects ? { ...(under as object), ...(value as object) } : value;
  }
  writeJson(join(runDir, RUN_FILES.experiment), merged);
}
