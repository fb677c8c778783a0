// The experiment file: its schema and defaults, the validated Experiment type and what a mix combines. Loading and
// checking a file is load-experiment.ts; key paths for overrides are key-paths.ts.
import { z } from 'zod';
import { DEFAULT_ENCODER } from './encoders.js';
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
      /** Few-shot examples: a JSONL file of labelled sentences (`{"text", "labels"}`), never gold sentences. */
      examples: z.string().min(1).optional(),
      /** Examples each request shows (default 4), chosen `fixed` (the file's first) or `similar` (nearest the page). */
      shots: z.number().int().min(1).max(64).optional(),
      selectExamples: z.enum(['fixed', 'similar']).optional(),
    })
    .prefault({}),
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
    .prefault({}),
  selfCheck: z
    .strictObject({
      enabled: z.boolean().default(true),
      batchSize: z.number().int().min(1).max(64).default(8),
      /** Each verdict starts with a short rationale (kept per verdict row), then the verdict. */
      rationale: z.boolean().default(false),
    })
    .prefault({}),
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
    .prefault({}),
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
    .prefault({}),
  llm: z
    .strictObject({
      provider: z.enum(['local', 'openai']).default('local'),
      baseURL: z.url().optional(),
      model: z.string().min(1).optional(),
      apiKeyEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the NAME of an environment variable, not the key')
        .default('OPENAI_API_KEY'),
      concurrency: z.number().int().min(1).max(4096).default(8),
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
    .prefault({}),
  train: z
    .strictObject({
      seeds: z.array(z.number().int()).min(1).default([1, 2, 3]),
      finalMix: mixSchema.default('gold+silver+bronze'),
      classifier: z.enum(['logreg', 'mlp']).default('logreg'),
      validationShare: z.number().min(0.05).max(0.5).default(0.2),
      /** Sentence encoder: `minilm` (default), `mpnet` (after `npm run setup -- --encoder mpnet`) or an encoder directory. */
      encoder: z.string().min(1).default(DEFAULT_ENCODER),
    })
    .prefault({}),
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
        .prefault({}),
    })
    .prefault({}),
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
