// The experiment file: schema, defaults, path resolution and cross-field checks, before anything starts.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { parseYamlFile, lineOfPath, zodProblems } from './structured-file.js';
import { InputError, type Problem } from './problems.js';
import { loadTaxonomy, labelIds } from './taxonomy.js';
import { DEFAULT_ENCODER, encoderProblem, resolveEncoderSpec } from './encoders.js';
import { REVIEW_REASONS, reviewEnabled } from './review-settings.js';

/** How a chat request may name its token limit (llm.maxTokensParam; lib/llm/model-family.ts applies it). */
export const MAX_TOKENS_PARAMS = ['max_completion_tokens', 'max_tokens'] as const;
/** llm.reasoningEffort: `reasoning_effort` values (`minimal` is gpt-5's; the o-series take low, medium, high). */
export const REASONING_EFFORTS = ['minimal', 'low', 'medium', 'high'] as const;

/** The datasets a run makes: the user's gold rows and the two LLM stages. */
export const SOURCES = ['gold', 'silver', 'bronze'] as const;
export type Source = (typeof SOURCES)[number];
/** What a mix may combine: the datasets, and `reviewed` (silver/bronze rows with a human's labels, review.enabled). */
export const MIX_SOURCES = [...SOURCES, 'reviewed'] as const;
export type MixSource = (typeof MIX_SOURCES)[number];

const mixSchema = z
  .string()
  .regex(
    /^(gold|silver|bronze|reviewed)(\+(gold|silver|bronze|reviewed))*$/,
    'a mix is sources joined by +, e.g. gold+silver',
  )
  .refine((m) => new Set(m.split('+')).size === m.split('+').length, 'a source appears twice in the mix');

/** Out-of-fold evaluation's default K (with gold.path; gold.train + gold.test always make one fold). */
export const DEFAULT_FOLDS = 5;

const shareSchema = z.number().gt(0, 'a share in (0, 1]').max(1, 'a share in (0, 1]');

const corpusFormats = ['jsonl', 'text', 'mtsamples-csv', 'mimic-noteevents-csv'] as const;

export const experimentSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, 'letters, digits, . _ - only (it names the workflow)'),
  description: z.string().optional(),
  taxonomy: z.string().min(1),
  // Either separate train and test files, or one file split by note (no note on both sides).
  gold: z.strictObject({
    train: z.string().min(1).optional(),
    test: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    testShare: z.number().gt(0).lt(1).default(0.2),
    splitSeed: z.number().int().default(1),
  }),
  corpus: z
    .strictObject({
      path: z.string().min(1),
      format: z.enum(corpusFormats).default('jsonl'),
      sensitive: z.boolean().default(false),
      maxSentences: z.number().int().positive().default(2000),
      negativeShare: z.number().min(0).max(1).default(0.2),
      lexicon: z.array(z.string().min(1)).default([]),
      onBadRow: z.enum(['skip', 'reject']).default('skip'),
    })
    .optional(),
  silver: z
    .strictObject({
      enabled: z.boolean().default(true),
      batchSize: z.number().int().min(1).max(64).default(8),
      /** The answer starts each sentence's entry with a short rationale (kept per row), then its labels. */
      rationale: z.boolean().default(false),
    })
    .default({ enabled: true, batchSize: 8, rationale: false }),
  bronze: z
    .strictObject({
      enabled: z.boolean().default(true),
      perLabel: z.number().int().min(1).max(100000).default(50),
      perCall: z.number().int().min(1).max(50).default(5),
      includeNone: z.boolean().default(true),
      /** Label combinations that co-occur, generated like a label (each sentence expresses all of them). */
      combos: z.array(z.array(z.string().min(1)).min(2)).default([]),
      /** Sampling temperature for writing (labelling and self-check keep llm.temperature): at 0 models repeat themselves. */
      temperature: z.number().min(0).max(2).default(0.8),
      /** Extra rounds that ask again for the labels still short of perLabel usable sentences (0 = off). */
      topUpRounds: z.number().int().min(0).max(20).default(3),
    })
    .default({
      enabled: true,
      perLabel: 50,
      perCall: 5,
      includeNone: true,
      combos: [],
      temperature: 0.8,
      topUpRounds: 3,
    }),
  selfCheck: z
    .strictObject({
      enabled: z.boolean().default(true),
      batchSize: z.number().int().min(1).max(64).default(8),
      /** Each verdict starts with a short rationale (kept per verdict row), then the verdict. */
      rationale: z.boolean().default(false),
    })
    .default({ enabled: true, batchSize: 8, rationale: false }),
  /**
   * The researcher's prompt templates (Nunjucks; docs/prompts.md): a folder with `system` and `user` files, or one
   * file for the user message. Absent: the defaults in prompts/.
   */
  prompts: z
    .strictObject({
      silver: z.string().min(1).optional(),
      bronze: z.string().min(1).optional(),
      selfCheck: z.string().min(1).optional(),
    })
    .default({}),
  /** Human review after the self-check: rows exported for Label Studio (or a spreadsheet); the run waits for the import. */
  review: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Rows exported for review at most. */
      max: z.number().int().min(1).max(100_000).default(200),
      /** Why a row is chosen, in priority order (the first reasons fill `max` first). */
      select: z
        .array(z.enum(REVIEW_REASONS))
        .min(1)
        .refine((r) => new Set(r).size === r.length, 'a reason appears twice')
        .default([...REVIEW_REASONS]),
    })
    .default({ enabled: false, max: 200, select: [...REVIEW_REASONS] }),
  llm: z
    .strictObject({
      provider: z.enum(['local', 'openai']).default('local'),
      baseURL: z.url().optional(),
      model: z.string().min(1).optional(),
      apiKeyEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the NAME of an environment variable, not the key')
        .default('OPENAI_API_KEY'),
      concurrency: z.number().int().min(1).max(512).default(8),
      allowSensitive: z.union([z.boolean(), z.array(z.string().min(1))]).default(false),
      temperature: z.number().min(0).max(2).default(0),
      seed: z.number().int().default(0),
      maxTokens: z.number().int().min(16).max(32768).default(1024),
      /** Whether the model is a reasoning model (no temperature; reasoningEffort); absent: gpt-5*, o1/o3/o4* are. */
      reasoning: z.boolean().optional(),
      /** How the request names maxTokens: max_completion_tokens (default: OpenAI, Azure, vLLM) or max_tokens. */
      maxTokensParam: z.enum(MAX_TOKENS_PARAMS).optional(),
      /** reasoning_effort sent to reasoning models (absent: the model's default). */
      reasoningEffort: z.enum(REASONING_EFFORTS).optional(),
      timeoutSeconds: z.number().positive().max(3600).default(60),
      headers: z.record(z.string(), z.string()).default({}),
      /** USD per million tokens by model; cachedInput prices cached prompt tokens (absent: at the input price). */
      prices: z
        .record(
          z.string(),
          z.strictObject({
            input: z.number().min(0),
            output: z.number().min(0),
            cachedInput: z.number().min(0).optional(),
          }),
        )
        .default({}),
      budgetUsd: z.number().positive().optional(),
      requestsPerSecond: z.number().positive().optional(),
      /** Send each LLM stage's requests through the provider's batch API first (half price, answers within 24 h). */
      batch: z.boolean().default(false),
      /** Which batch API: `openai` (url /v1/chat/completions, 50,000 requests a file) or `azure` (Azure OpenAI
       * Global Batch: url /chat/completions, 100,000 a file); absent: azure for *.openai.azure.com and
       * *.cognitiveservices.azure.com hosts, else openai. */
      batchApi: z.enum(['openai', 'azure']).optional(),
      /** Longest wait between two status checks of a batch (the wait starts at 5 s and doubles up to this). */
      batchPollSeconds: z.number().positive().max(3600).default(60),
      /** Batches per stage at most: the first plus resubmissions of what is missing or failed; the rest goes online. */
      batchRounds: z.number().int().min(1).max(20).default(3),
      /** Requests per batch file (default 50,000; azure 100,000); files are also split at 190 MB. */
      batchMaxRequests: z.number().int().min(1).max(100_000).optional(),
      /** Keep the batch input, output and error files at the provider after collecting them (default: deleted). */
      batchKeepFiles: z.boolean().default(false),
      /** How long an endpoint may keep failing (429, 5xx, timeouts, refused connections) before its pages are lost. */
      maxOutageMinutes: z.number().min(0).max(1440).default(60),
      /** Share (0..1) of a stage's pages that may be lost before the run fails (0: any lost page fails it). */
      maxFailedShare: z.number().min(0).max(1).default(0),
    })
    .default({
      provider: 'local',
      apiKeyEnv: 'OPENAI_API_KEY',
      concurrency: 8,
      allowSensitive: false,
      temperature: 0,
      seed: 0,
      maxTokens: 1024,
      timeoutSeconds: 60,
      headers: {},
      prices: {},
      batch: false,
      batchPollSeconds: 60,
      batchRounds: 3,
      batchKeepFiles: false,
      maxOutageMinutes: 60,
      maxFailedShare: 0,
    }),
  train: z
    .strictObject({
      seeds: z.array(z.number().int()).min(1).default([1, 2, 3]),
      finalMix: mixSchema.default('gold+silver+bronze'),
      classifier: z.enum(['logreg', 'mlp']).default('logreg'),
      validationShare: z.number().min(0.05).max(0.5).default(0.2),
      /** Sentence encoder: `minilm` (default), `mpnet` (after `npm run setup -- --encoder mpnet`) or an encoder directory. */
      encoder: z.string().min(1).default(DEFAULT_ENCODER),
    })
    .default({
      seeds: [1, 2, 3],
      finalMix: 'gold+silver+bronze',
      classifier: 'logreg',
      validationShare: 0.2,
      encoder: DEFAULT_ENCODER,
    }),
  evaluate: z
    .strictObject({
      mixes: z.array(mixSchema).min(1).default(['gold', 'gold+silver', 'gold+bronze', 'gold+silver+bronze']),
      /** Also label the gold test sentences with the LLM (never for training) to report LLM-vs-gold agreement. */
      llmAgreement: z.boolean().default(true),
      /** Out-of-fold evaluation over gold.path: K folds grouped by note (1 = the single testShare split). */
      folds: z.number().int().min(1).max(100).default(DEFAULT_FOLDS),
      /** The mix every other mix is compared with (paired bootstrap CI and randomisation test). */
      baseline: mixSchema.default('gold'),
      /** Resamples of the paired cluster bootstrap, and permutations of the randomisation test. */
      bootstrap: z.number().int().min(100).max(1_000_000).default(10_000),
      /** 1 − confidence level of the intervals (0.05: 95% CIs). */
      alpha: z.number().gt(0).lt(0.5).default(0.05),
      /** Learning curves: shares of the synthetic rows, and of the gold training rows (by note), to train on. */
      curves: z
        .strictObject({ synthetic: z.array(shareSchema).default([]), gold: z.array(shareSchema).default([]) })
        .default({ synthetic: [], gold: [] }),
    })
    .default({
      mixes: ['gold', 'gold+silver', 'gold+bronze', 'gold+silver+bronze'],
      llmAgreement: true,
      folds: DEFAULT_FOLDS,
      baseline: 'gold',
      bootstrap: 10_000,
      alpha: 0.05,
      curves: { synthetic: [], gold: [] },
    }),
  output: z.string().min(1).default('runs/'),
});

export type ExperimentFile = z.output<typeof experimentSchema>;

/** The validated experiment with absolute paths: small and secret-free, so it can be a workflow input. */
export interface Experiment extends ExperimentFile {
  file: string;
  labels: string[];
  taxonomyVersion: string;
}

/**
 * Values that replace keys of the experiment file before it is validated, by key path (`bronze.perLabel`,
 * `llm.model`, `train`): what a script or a study varies. Paths in them are relative to the file's folder.
 */
export type ExperimentOverrides = Record<string, unknown>;

const KEY_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const KEY_PATH_MESSAGE = 'a key path of the experiment file, e.g. bronze.perLabel';
/** Record keys that must be key paths (zod's own record-key message does not say which key is wrong). */
export function keyPathRecord<T extends z.ZodType>(value: T) {
  return z.record(z.string(), value).superRefine((r, ctx) => {
    for (const k of Object.keys(r))
      if (!KEY_PATH.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: KEY_PATH_MESSAGE });
  });
}
export const overridesSchema = keyPathRecord(z.unknown());

/** Sets `keyPath` in a plain object tree (creating sections on the way); a problem message when it cannot. */
export function setKeyPath(root: Record<string, unknown>, keyPath: string, value: unknown): string | undefined {
  const keys = keyPath.split('.');
  let node = root;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!;
    const next = node[k];
    if (next === undefined || next === null) node[k] = {};
    else if (typeof next !== 'object' || Array.isArray(next))
      return `${keys.slice(0, i + 1).join('.')} is not a section, so it has no key ${keys[i + 1]}`;
    node = node[k] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
  return undefined;
}

/**
 * Loads and checks an experiment file. `overrides` replace keys (by key path) before validation; a problem with
 * an overridden value is reported as `overrides.<key path>` instead of a line of the file.
 */
export function loadExperiment(file: string, overrides: ExperimentOverrides = {}): Experiment {
  const absFile = resolve(file);
  const keys = Object.keys(overrides);
  const badKeys = keys.filter((k) => !KEY_PATH.test(k));
  if (badKeys.length)
    throw new InputError(
      badKeys.map((k) => ({ file: absFile, line: 0, key: `overrides.${k}`, message: KEY_PATH_MESSAGE })),
    );
  const fromOverride = (p: Problem): Problem =>
    keys.some((k) => p.key === k || p.key.startsWith(k + '.'))
      ? { file: absFile, line: 0, key: `overrides.${p.key}`, message: p.message }
      : p;
  try {
    return loadChecked(absFile, overrides);
  } catch (e) {
    if (e instanceof InputError && keys.length) throw new InputError(e.problems.map(fromOverride));
    throw e;
  }
}

function loadChecked(absFile: string, overrides: ExperimentOverrides): Experiment {
  const parsed = parseYamlFile(absFile);
  const value: unknown = Object.keys(overrides).length ? structuredClone(parsed.value) : parsed.value;
  if (Object.keys(overrides).length) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new InputError([{ file: absFile, line: 1, key: '', message: 'expected a mapping of keys' }]);
    const bad: Problem[] = [];
    for (const [k, v] of Object.entries(overrides)) {
      const why = setKeyPath(value as Record<string, unknown>, k, v);
      if (why) bad.push({ file: absFile, line: 0, key: k, message: why });
    }
    if (bad.length) throw new InputError(bad);
  }
  const result = experimentSchema.safeParse(value);
  if (!result.success) throw new InputError(zodProblems(result.error, absFile, (p) => lineOfPath(parsed, p)));
  const data = result.data;
  const base = dirname(absFile);
  const at = (path: PropertyKey[]) => lineOfPath(parsed, path);
  const problems: Problem[] = [];
  const mustBeFile = (rel: string, path: string[]): string => {
    const abs = resolve(base, rel);
    if (!existsSync(abs)) {
      const hint = /(^|\/)shared\//.test(rel)
        ? " (the project's shared data folder is expected beside the checkout, at ../shared)"
        : '';
      problems.push({ file: absFile, line: at(path), key: path.join('.'), message: `${rel} does not exist${hint}` });
    } else if (statSync(abs).isDirectory())
      problems.push({
        file: absFile,
        line: at(path),
        key: path.join('.'),
        message: `${rel} is a directory, expected a file`,
      });
    return abs;
  };
  const taxonomy = mustBeFile(data.taxonomy, ['taxonomy']);
  const g = data.gold;
  const gold: ExperimentFile['gold'] = { testShare: g.testShare, splitSeed: g.splitSeed };
  if (g.path !== undefined) {
    if (g.train !== undefined || g.test !== undefined)
      problems.push({
        file: absFile,
        line: at(['gold', 'path']),
        key: 'gold.path',
        message: 'give either gold.path (split by note) or gold.train and gold.test, not both',
      });
    gold.path = mustBeFile(g.path, ['gold', 'path']);
  } else if (g.train === undefined || g.test === undefined) {
    problems.push({
      file: absFile,
      line: at(['gold']),
      key: g.train === undefined ? 'gold.train' : 'gold.test',
      message: 'required (or give gold.path to split one file by note)',
    });
  } else {
    gold.train = mustBeFile(g.train, ['gold', 'train']);
    gold.test = mustBeFile(g.test, ['gold', 'test']);
    if (gold.train === gold.test)
      problems.push({
        file: absFile,
        line: at(['gold', 'test']),
        key: 'gold.test',
        message: 'the test set must not be the training set',
      });
  }
  const corpus = data.corpus ? { ...data.corpus, path: mustBeFile(data.corpus.path, ['corpus', 'path']) } : undefined;
  for (const stage of ['silver', 'bronze', 'selfCheck'] as const) {
    const rel = data.prompts[stage];
    if (rel === undefined) continue;
    const abs = resolve(base, rel);
    if (!existsSync(abs))
      problems.push({
        file: absFile,
        line: at(['prompts', stage]),
        key: `prompts.${stage}`,
        message: `${rel} does not exist`,
      });
    data.prompts[stage] = abs;
  }

  if (data.silver.enabled && !corpus)
    problems.push({
      file: absFile,
      line: at(['silver']),
      key: 'corpus',
      message: 'silver is enabled but no corpus is given',
    });
  const sourceOn = (s: MixSource) => sourceEnabled(data, s);
  // Default mixes leave out the sources of disabled stages; mixes the user wrote must all be runnable.
  const mixesGiven = (value as { evaluate?: { mixes?: unknown } }).evaluate?.mixes !== undefined;
  if (!mixesGiven) data.evaluate.mixes = data.evaluate.mixes.filter((m) => mixSources(m).every(sourceOn));
  data.evaluate.mixes.forEach((m, i) => {
    const off = mixSources(m).filter((s) => !sourceOn(s));
    const why = off.includes('reviewed') ? ` (reviewed rows need review.enabled: true)` : '';
    if (off.length)
      problems.push({
        file: absFile,
        line: at(['evaluate', 'mixes', i]),
        key: `evaluate.mixes.${i}`,
        message: `mix "${m}" uses ${off.join(', ')}, which is disabled${why}`,
      });
  });
  if (mixSources(data.train.finalMix).includes('reviewed') && !data.review.enabled) {
    problems.push({
      file: absFile,
      line: at(['train', 'finalMix']),
      key: 'train.finalMix',
      message: `mix "${data.train.finalMix}" uses reviewed rows, which need review.enabled: true`,
    });
  }
  if (data.review.enabled && !data.silver.enabled && !data.bronze.enabled) {
    problems.push({
      file: absFile,
      line: at(['review', 'enabled']),
      key: 'review.enabled',
      message: 'nothing to review: silver and bronze are both disabled',
    });
  }
  const ev = data.evaluate;
  if (!ev.mixes.includes(ev.baseline)) {
    const baselineGiven = (value as { evaluate?: { baseline?: unknown } }).evaluate?.baseline !== undefined;
    // The default baseline (gold) is only compared with when the experiment evaluates it.
    if (baselineGiven)
      problems.push({
        file: absFile,
        line: at(['evaluate', 'baseline']),
        key: 'evaluate.baseline',
        message: `mix "${ev.baseline}" is not in evaluate.mixes (${ev.mixes.join(', ')})`,
      });
  }
  const foldsGiven = (value as { evaluate?: { folds?: unknown } }).evaluate?.folds !== undefined;
  if (g.path === undefined) {
    if (foldsGiven && ev.folds > 1)
      problems.push({
        file: absFile,
        line: at(['evaluate', 'folds']),
        key: 'evaluate.folds',
        message: 'folds need one gold file (gold.path); gold.train + gold.test make one fold',
      });
    ev.folds = 1;
  }
  if (data.llm.provider === 'openai') {
    if (!data.llm.baseURL)
      problems.push({
        file: absFile,
        line: at(['llm']),
        key: 'llm.baseURL',
        message: 'required when provider is openai',
      });
    if (!data.llm.model)
      problems.push({
        file: absFile,
        line: at(['llm']),
        key: 'llm.model',
        message: 'required when provider is openai',
      });
  } else {
    if (data.llm.batch)
      problems.push({
        file: absFile,
        line: at(['llm', 'batch']),
        key: 'llm.batch',
        message:
          'a batch API needs provider openai (an OpenAI or Azure OpenAI endpoint with /v1/files and /v1/batches)',
      });
    if (data.llm.model) {
      const abs = resolve(base, data.llm.model);
      if (!existsSync(abs))
        problems.push({
          file: absFile,
          line: at(['llm', 'model']),
          key: 'llm.model',
          message: `local model file ${data.llm.model} does not exist (leave it out for the packaged model)`,
        });
    }
  }
  // The encoder: a packaged name or a directory (relative to this file); absent files fail here, not mid-run.
  const encoderGiven = (parsed.value as { train?: { encoder?: unknown } }).train?.encoder !== undefined;
  data.train.encoder = resolveEncoderSpec(data.train.encoder, base);
  if (encoderGiven) {
    const problem = encoderProblem(data.train.encoder);
    if (problem)
      problems.push({ file: absFile, line: at(['train', 'encoder']), key: 'train.encoder', message: problem });
  }
  const output = resolve(base, data.output);
  if (existsSync(output) && !statSync(output).isDirectory())
    problems.push({
      file: absFile,
      line: at(['output']),
      key: 'output',
      message: `${data.output} is a file, expected a folder`,
    });
  if (problems.length) throw new InputError(problems);

  const tax = loadTaxonomy(taxonomy);
  const labels = labelIds(tax);
  data.bronze.combos.forEach((combo, i) =>
    combo.forEach((l, j) => {
      if (!labels.includes(l))
        problems.push({
          file: absFile,
          line: at(['bronze', 'combos', i, j]),
          key: `bronze.combos.${i}.${j}`,
          message: `unknown label "${l}"`,
        });
    }),
  );
  if (problems.length) throw new InputError(problems);
  const taxonomyVersion = `${tax.id}@${tax.version}`;
  return {
    ...data,
    file: absFile,
    taxonomy,
    gold,
    corpus,
    llm: {
      ...data.llm,
      model: data.llm.provider === 'local' && data.llm.model ? resolve(base, data.llm.model) : data.llm.model,
    },
    output,
    labels,
    taxonomyVersion,
  };
}

/** Sources (gold/silver/bronze/reviewed) that a mix name combines. */
export function mixSources(mix: string): MixSource[] {
  return mix.split('+') as MixSource[];
}

/**
 * Whether a run makes rows of `source`: gold always, silver and bronze when their stage is on, reviewed with
 * review.enabled (experiments validated before review existed have no `review`: off).
 */
export function sourceEnabled(
  e: Pick<ExperimentFile, 'silver' | 'bronze'> & { review?: { enabled: boolean } },
  source: MixSource,
): boolean {
  if (source === 'gold') return true;
  if (source === 'reviewed') return reviewEnabled(e);
  return e[source].enabled;
}
