// The study file: one base experiment run across a grid (or zipped lists) of overridden values, before anything starts.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { z } from 'zod';
import { lineOfPath, loadYaml } from './structured-file.js';
import { InputError, type Problem } from './problems.js';
import { type Experiment } from './experiment.js';
import { loadExperiment } from './load-experiment.js';
import { keyPathRecord } from './key-paths.js';

/** Children at most per study: every variant's experiment travels in the study workflow's input (≈2 KB each). */
export const MAX_VARIANTS = 200;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const studySchema = z.strictObject({
  name: z.string().regex(NAME, 'letters, digits, . _ - only, at most 64 (it names the workflows)'),
  description: z.string().optional(),
  /** The experiment file every variant starts from (relative to the study file). */
  base: z.string().min(1),
  /** Key path of the experiment file → the values to try. */
  vary: keyPathRecord(z.array(z.unknown()).min(1, 'give at least one value')).refine(
    (v) => Object.keys(v).length > 0,
    'give at least one key path to vary',
  ),
  /** The variant id every other arm is compared with (Δ macro-F1 per mix, paired bootstrap); default the first. */
  baseline: z.string().min(1).optional(),
  /** false: every combination of the lists (grid); true: the lists pairwise (all of one length). */
  zip: z.boolean().default(false),
  /** Experiments running at once. */
  concurrency: z.number().int().min(1).max(64).default(2),
  /** The study goes to `<output>/<name>/`: study.json, study.html and one folder per variant. */
  output: z.string().min(1).default('runs/'),
});

export type StudyFile = z.output<typeof studySchema>;

/** One experiment of a study: its readable id, the values it sets, and the validated experiment. */
export type VariantStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed out';

/** What the study workflow knows of a variant's run (references only), in its state and its result. */
export interface StudyVariantOutcome {
  id: string;
  values: Record<string, unknown>;
  runId: string;
  workflowId: string;
  runDir: string;
  status: VariantStatus;
  /** Why the variant's run did not complete. */
  error?: string;
}

export interface StudyVariant {
  id: string;
  values: Record<string, unknown>;
  /** `<study>-<id>`: the run id (the workflow is `clinsynth-<runId>`). */
  runId: string;
  runDir: string;
  experiment: Experiment;
}

export interface Study {
  name: string;
  description?: string;
  file: string;
  base: string;
  vary: Record<string, unknown[]>;
  zip: boolean;
  concurrency: number;
  output: string;
  /** The baseline arm's variant id: the first of `variants`. */
  baseline: string;
  /** `<output>/<name>`. */
  studyDir: string;
  variants: StudyVariant[];
}

/** True when a YAML/JSON value looks like a study file (a `vary` or `base` key), not an experiment. */
export function looksLikeStudy(value: unknown): boolean {
  return !!value && typeof value === 'object' && ('vary' in value || 'base' in value);
}

/** The value combinations: all of them (grid, first key slowest) or the lists read pairwise (zip). */
export function studyGrid(vary: Record<string, unknown[]>, zip: boolean): Record<string, unknown>[] {
  const keys = Object.keys(vary);
  if (zip) {
    const n = vary[keys[0]!]!.length;
    return Array.from({ length: n }, (_, i) => Object.fromEntries(keys.map((k) => [k, vary[k]![i]])));
  }
  let rows: Record<string, unknown>[] = [{}];
  for (const k of keys) rows = rows.flatMap((r) => vary[k]!.map((v) => ({ ...r, [k]: v })));
  return rows;
}

/**
 * Varied keys whose values are files (templates, examples): resolved relative to the study file's folder, like `base`
 * and `output`, and named in variant ids by their stem (`silver-terse` for prompts/terse.njk).
 */
export const PATH_KEYS = new Set(['prompts.silver', 'prompts.bronze', 'prompts.selfCheck', 'silver.examples']);

/**
 * Short readable variant ids, one `key-value` part per varied key joined by `.`: `perLabel-5.classifier-mlp` (a file
 * value by its stem: `silver-terse.rationale-true`). The key
 * is the path's last part unless two paths share it (then the whole path, dots as `_`); values that are not short
 * scalars become their position in the list (`combos-2`); a clash gets the variant's number appended.
 */
export function variantIds(vary: Record<string, unknown[]>, rows: readonly Record<string, unknown>[]): string[] {
  const keys = Object.keys(vary);
  const last = (k: string) => k.split('.').at(-1)!;
  const short = new Map(
    keys.map((k) => [k, keys.filter((o) => last(o) === last(k)).length > 1 ? k.replaceAll('.', '_') : last(k)]),
  );
  const valuePart = (k: string, v: unknown): string => {
    const shown = PATH_KEYS.has(k) && typeof v === 'string' ? basename(v, extname(v)) : v;
    if (
      (typeof shown === 'string' || typeof shown === 'number' || typeof shown === 'boolean') &&
      String(shown).length <= 24
    ) {
      const s = String(shown)
        .replace(/[^A-Za-z0-9._-]+/g, '_')
        .replace(/^[._-]+|[._-]+$/g, '');
      if (s) return s;
    }
    return String(vary[k]!.findIndex((x) => JSON.stringify(x) === JSON.stringify(v)) + 1);
  };
  const ids = rows.map((r) => keys.map((k) => `${short.get(k)}-${valuePart(k, r[k])}`).join('.'));
  const seen = new Set<string>();
  return ids.map((id, i) => {
    const unique = ids.indexOf(id) === ids.lastIndexOf(id) && !seen.has(id) ? id : `${id}.${i + 1}`;
    seen.add(unique);
    return unique;
  });
}

/**
 * Loads a study file and every variant's experiment (the base with the variant's values as overrides). Throws an
 * InputError with `file:line: key: why` for the study file, and for a value that makes an experiment invalid the
 * line of its `vary` entry.
 */
export function loadStudy(file: string): Study {
  const absFile = resolve(file);
  const { data, parsed } = loadYaml(absFile, studySchema);
  const at = (path: PropertyKey[]) => lineOfPath(parsed, path);
  const base = dirname(absFile);
  const problems: Problem[] = [];
  const baseFile = resolve(base, data.base);
  if (!existsSync(baseFile))
    problems.push({ file: absFile, line: at(['base']), key: 'base', message: `${data.base} does not exist` });
  else if (statSync(baseFile).isDirectory())
    problems.push({
      file: absFile,
      line: at(['base']),
      key: 'base',
      message: `${data.base} is a directory, expected an experiment file`,
    });
  const keys = Object.keys(data.vary);
  if (data.zip) {
    const lengths = keys.map((k) => data.vary[k]!.length);
    if (new Set(lengths).size > 1)
      problems.push({
        file: absFile,
        line: at(['vary']),
        key: 'vary',
        message: `with zip: true every list needs the same length (got ${keys.map((k, i) => `${k}: ${lengths[i]}`).join(', ')})`,
      });
  }
  keys.forEach((k) => {
    if (k === 'name')
      problems.push({
        file: absFile,
        line: at(['vary', k]),
        key: `vary.${k}`,
        message: 'the study names its variants; vary something else',
      });
    const vs = data.vary[k]!;
    const dup = vs.findIndex((v, i) => vs.findIndex((w) => JSON.stringify(w) === JSON.stringify(v)) !== i);
    if (dup >= 0)
      problems.push({
        file: absFile,
        line: at(['vary', k, dup]),
        key: `vary.${k}.${dup}`,
        message: 'this value is listed twice',
      });
  });
  if (problems.length) throw new InputError(problems);
  const rows = studyGrid(data.vary, data.zip);
  if (rows.length > MAX_VARIANTS)
    throw new InputError([
      {
        file: absFile,
        line: at(['vary']),
        key: 'vary',
        message: `${rows.length} variants; at most ${MAX_VARIANTS} per study (split it)`,
      },
    ]);
  const ids = variantIds(data.vary, rows);
  // The baseline arm goes first: the study report compares every other arm with the first.
  const baseAt = data.baseline === undefined ? 0 : ids.indexOf(data.baseline);
  if (baseAt < 0)
    throw new InputError([
      {
        file: absFile,
        line: at(['baseline']),
        key: 'baseline',
        message: `no variant ${JSON.stringify(data.baseline)}; the variants are ${ids.join(', ')}`,
      },
    ]);
  const order = [baseAt, ...rows.map((_, i) => i).filter((i) => i !== baseAt)];
  const output = resolve(base, data.output);
  const studyDir = join(output, data.name);
  const variants: StudyVariant[] = [];
  order.forEach((i) => {
    const values = rows[i]!;
    const id = ids[i]!;
    const resolved = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, PATH_KEYS.has(k) && typeof v === 'string' ? resolve(base, v) : v]),
    );
    try {
      const e = loadExperiment(baseFile, resolved);
      const runId = `${data.name}-${id}`;
      variants.push({ id, values, runId, runDir: join(studyDir, id), experiment: { ...e, output: studyDir } });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      for (const p of err.problems) {
        if (!p.key.startsWith('overrides.')) problems.push(p);
        else {
          const key =
            keys.find((k) => p.key === `overrides.${k}` || p.key.startsWith(`overrides.${k}.`)) ??
            p.key.slice('overrides.'.length);
          const index = data.vary[key]?.findIndex((v) => JSON.stringify(v) === JSON.stringify(values[key]));
          const line = at(index === undefined || index < 0 ? ['vary', key] : ['vary', key, index]);
          problems.push({
            file: absFile,
            line,
            key: `vary.${key}`,
            message: `${JSON.stringify(values[key])}: ${p.key.slice('overrides.'.length)}: ${p.message}`,
          });
        }
      }
    }
  });
  const unique = problems.filter(
    (p, i) =>
      problems.findIndex(
        (q) => q.file === p.file && q.line === p.line && q.key === p.key && q.message === p.message,
      ) === i,
  );
  if (unique.length) throw new InputError(unique);
  if (existsSync(output) && !statSync(output).isDirectory())
    throw new InputError([
      { file: absFile, line: at(['output']), key: 'output', message: `${data.output} is a file, expected a folder` },
    ]);
  return {
    name: data.name,
    ...(data.description !== undefined ? { description: data.description } : {}),
    file: absFile,
    base: baseFile,
    vary: data.vary,
    zip: data.zip,
    concurrency: data.concurrency,
    output,
    baseline: ids[baseAt]!,
    studyDir,
    variants,
  };
}
