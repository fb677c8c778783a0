// A local OpenAI-compatible server (chat completions, files, batches) giving valid structured answers, with fault injection.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { mulberry32 } from '../../lib/run/random.js';
import { fakeBatchApi } from './fake-batch-api.js';
import {
  chatRequestRefusal,
  completionLimit,
  estimateTokens,
  insufficientQuota,
  promptCache,
  promptChars,
  rateLimited,
  reasoningTokensFor,
  type ApiRefusal,
} from './fake-api-rules.js';

export interface FakeLlmFaults {
  /** Fractions of requests (0..1) answered with each fault, drawn from a seeded PRNG in this order. */
  rate429: number;
  rate500: number;
  rateHang: number;
  rateMalformed: number;
  rateTruncated: number;
  rateUnknownLabel: number;
  /**
   * Share (0..1) of bronze items written as junk a small model gives (the label id, "sentence_3", "Per daughter, ...",
   * a bare number); drawn from the request's own hash, so the same request always gets the same answer.
   */
  bronzeJunkShare: number;
  /** `Retry-After` seconds sent with injected 429s. */
  retryAfterSeconds: number;
  /** Delay before every answer. */
  latencyMs: number;
  /** Force this HTTP status (e.g. 401, 404, 400) on every chat call; 0 = off. */
  failStatus: number;
  /** Reject `response_format: json_schema` with a 400, as servers without structured outputs do. */
  rejectJsonSchema: boolean;
  /** Batches (/v1/batches): how long each spends validating, in progress, finalizing, and cancelling after a cancel. */
  batchValidatingMs: number;
  batchInProgressMs: number;
  batchFinalizingMs: number;
  batchCancellingMs: number;
  /**
   * How the next batches end, one entry per batch created (then `complete`): `complete`; `expire` (status expired,
   * batchAnsweredShare of the lines in the output file, the rest in the error file as batch_expired); `fail` (status
   * failed with a token-limit error, no files); `nullOutput` (completed, output_file_id null, every line in the
   * error file); `vanish` (created, then 404 on every retrieve).
   */
  batchOutcomes: ('complete' | 'expire' | 'fail' | 'nullOutput' | 'vanish')[];
  /** Share of lines answered by an expired or cancelled batch (the first ones of its file). */
  batchAnsweredShare: number;
  /** Share of requests (by custom_id hash) that a completed batch answers with a 500 line in its error file, the
   * first time each is asked (a resubmission then succeeds). */
  batchErrorLineShare: number;
  /** Delay before answering POST /v1/batches, after the batch exists (a client killed meanwhile never sees its id). */
  batchCreateDelayMs: number;
  /** Share of chat answers that are a refusal (`message.refusal`, content null), drawn after the other faults. */
  rateRefusal: number;
  /** Answer every chat call 429 `insufficient_quota` (an account out of credits). */
  insufficientQuota: boolean;
  /** While true, no batch leaves in_progress: a test that must see a batch running holds it there, then lets go. */
  batchHold: boolean;
}

export interface FakeLlmOptions extends Partial<FakeLlmFaults> {
  port?: number;
  host?: string;
  seed?: number;
  /** When set, requests must carry `Authorization: Bearer <requireApiKey>` or get a 401. */
  requireApiKey?: string;
  /** Models the server knows (GET /v1/models); others get a 404 model_not_found. Empty = any model. */
  models?: string[];
  /** Context window of models the rules do not know (tokens, default 128,000): longer prompts get 400. */
  contextTokens?: number;
  /** Shortest prompt start served from the prompt cache (OpenAI: 1024 tokens). */
  promptCacheMinTokens?: number;
  /** How many parsed request bodies to keep in `stats.bodies` (hashes are always kept). */
  keepBodies?: number;
  /**
   * Self-check verdicts: `keep` (default) keeps every row; `mixed` also fixes about 2 in 10 rows (a label taken away,
   * or added to a row without one) and rejects about 1 in 10, chosen by each row's own hash (the same every time).
   */
  verdicts?: 'keep' | 'mixed';
}

export interface FakeLlmStats {
  /** POST /v1/chat/completions calls received. */
  requests: number;
  byStatus: Record<number, number>;
  /** Fault kind → how many times it was injected. */
  faults: Record<string, number>;
  /** sha256 of every chat request body, in arrival order. */
  bodyHashes: string[];
  /** The last `keepBodies` parsed request bodies. */
  bodies: unknown[];
  promptTokens: number;
  completionTokens: number;
  /** Chat requests held at once (received, not yet answered or dropped), now and at most. */
  inFlight: number;
  maxInFlight: number;
  /** Files uploaded (POST /v1/files) and batches created (POST /v1/batches). */
  filesUploaded: number;
  batchesCreated: number;
  /** Batches created per sha256 of their input file's content: more than 1 means the same requests went out twice. */
  batchesByInputHash: Record<string, number>;
  /** Batch lines answered with a completion (not counted in `requests`), and their tokens. */
  batchLines: number;
  batchPromptTokens: number;
  batchCompletionTokens: number;
  batchesCancelled: number;
  /** Files deleted (DELETE /v1/files/ID), by id, in order. */
  filesDeleted: string[];
  /** `expires_after` seconds of each uploaded file, and `output_expires_after` seconds of each batch (null: none). */
  fileExpiresAfter: (number | null)[];
  batchOutputExpiresAfter: (number | null)[];
  /** Prompt tokens served from the prompt cache and reasoning tokens, in chat answers. */
  cachedTokens: number;
  reasoningTokens: number;
}

export interface FakeLlmServer {
  /** Base URL including `/v1`, ready for the openai client. */
  url: string;
  port: number;
  stats: FakeLlmStats;
  setFaults(faults: Partial<FakeLlmFaults>): void;
  /** Zeroes the stats and restarts the seeded fault sequence. */
  resetStats(): void;
  close(): Promise<void>;
}

const DEFAULT_FAULTS: FakeLlmFaults = {
  rate429: 0,
  rate500: 0,
  rateHang: 0,
  rateMalformed: 0,
  rateTruncated: 0,
  rateUnknownLabel: 0,
  bronzeJunkShare: 0,
  retryAfterSeconds: 1,
  latencyMs: 0,
  failStatus: 0,
  rejectJsonSchema: false,
  batchValidatingMs: 100,
  batchInProgressMs: 300,
  batchFinalizingMs: 100,
  batchCancellingMs: 200,
  batchOutcomes: [],
  batchAnsweredShare: 0.5,
  batchErrorLineShare: 0,
  batchCreateDelayMs: 0,
  rateRefusal: 0,
  insufficientQuota: false,
  batchHold: false,
};

function emptyStats(): FakeLlmStats {
  return {
    requests: 0,
    byStatus: {},
    faults: {},
    bodyHashes: [],
    bodies: [],
    promptTokens: 0,
    completionTokens: 0,
    inFlight: 0,
    maxInFlight: 0,
    filesUploaded: 0,
    batchesCreated: 0,
    batchesByInputHash: {},
    batchLines: 0,
    batchPromptTokens: 0,
    batchCompletionTokens: 0,
    batchesCancelled: 0,
    filesDeleted: [],
    fileExpiresAfter: [],
    batchOutputExpiresAfter: [],
    cachedTokens: 0,
    reasoningTokens: 0,
  };
}

function hashInt(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

// ----------------------------------------------------------------------------------------------------------------
// Answer makers

/** Keyword rules for silver answers; only labels present in the request's enum are used. */
const SILVER_RULES: [RegExp, string][] = [
  [
    /memory|forget|confus|disorient|repeat(s|ing)? (the same )?question|word[- ]finding|gets? lost|got lost|recall deficit|cognitive decline/i,
    'cognitive_impairment',
  ],
  [
    /agitat|combative|hallucinat|paranoi|depress|anxi|sundown|wander|insomnia|not sleeping|irritab|tearful|withdrawn|who are not there|seeing things/i,
    'neuropsychiatric_symptoms',
  ],
  [
    /^(?=.*\b(daughter|son|wife|husband|family|caregiver|spouse)\b)(?=.*\b(reports?|reported|states?|notes?|noticed|concerned|worried|worries|described)\b)|\bper (daughter|son|wife|husband|family|caregiver)\b/i,
    'notice_by_others',
  ],
  [
    /\bgait\b|\bfalls?\b|weight loss|lost weight|appetite|incontinen|dysphagia|bedbound|tremor/i,
    'physiological_changes',
  ],
  [
    /assist|needs help|supervision|memory care|home health aide|nursing home|no longer drives|manages (his|her) medications/i,
    'requiring_assistance',
  ],
  [/\bMMSE\b|\bMoCA\b|\bSLUMS\b|mini-cog|clock drawing|neuropsych/i, 'cognitive_assessment'],
  [/dementia|alzheimer|\bMCI\b|mild cognitive impairment|neurocognitive disorder/i, 'dementia_diagnosis'],
  [
    /donepezil|aricept|namenda|memantine|exelon|rivastigmine|galantamine|razadyne|lecanemab|aducanumab/i,
    'dementia_treatment',
  ],
];
const NEGATION =
  /\b(denies|denied|no (evidence of |history of )?|without|negative for|not? )\b.{0,20}(memory|confus|forget|agitat|falls?|hallucinat)/i;
const FAMILY_HISTORY = /\b(mother|father|sister|brother|family history)\b.{0,30}(alzheimer|dementia)/i;

function silverLabels(text: string, allowed: Set<string>): string[] {
  if (FAMILY_HISTORY.test(text)) return [];
  const negated = NEGATION.test(text);
  const out: string[] = [];
  for (const [re, label] of SILVER_RULES) {
    if (!allowed.has(label) || !re.test(text)) continue;
    if (
      negated &&
      (label === 'cognitive_impairment' || label === 'neuropsychiatric_symptoms' || label === 'physiological_changes')
    )
      continue;
    out.push(label);
  }
  return out;
}

const PHRASES: Record<string, string[]> = {
  cognitive_impairment: [
    'has become increasingly forgetful and repeats the same questions',
    'was disoriented to date and place during the visit',
    'has word-finding difficulty and loses track of conversations',
    'shows impaired short-term memory and misplaces items daily',
    'got lost driving to a familiar store',
  ],
  neuropsychiatric_symptoms: [
    'has been agitated and combative in the evenings',
    'reports seeing people in the house who are not there',
    'is withdrawn and tearful with little interest in activities',
    'is up all night pacing and wandering the halls',
    'has become paranoid that neighbours are stealing from him',
  ],
  notice_by_others: [
    'is described by her daughter as more forgetful',
    'worries his wife, who noticed he repeats stories',
    'was brought in because the family noticed confusion',
    'is reported by the caregiver to be misplacing things',
  ],
  physiological_changes: [
    'has a shuffling gait and two recent falls',
    'has lost 12 lb with poor appetite',
    'has new urinary incontinence',
    'has dysphagia with thin liquids',
    'is increasingly frail and mostly bedbound',
  ],
  requiring_assistance: [
    'needs help with bathing and dressing',
    'no longer drives and relies on family for errands',
    'requires 24-hour supervision in a memory care unit',
    'has a home health aide who manages medications',
  ],
  cognitive_assessment: [
    'scored 21/30 on the MMSE',
    'had a MoCA of 18/30 today',
    'is referred for neuropsychological testing',
    'had an abnormal clock drawing',
  ],
  dementia_diagnosis: [
    "carries a diagnosis of Alzheimer's dementia",
    'has mild cognitive impairment under evaluation',
    'meets criteria for major neurocognitive disorder',
    'is being worked up to rule out dementia',
  ],
  dementia_treatment: [
    'was started on donepezil 5 mg nightly',
    'continues memantine 10 mg twice daily',
    'tolerates rivastigmine patch without side effects',
    'will continue Aricept at the current dose',
  ],
  none: [
    'denies memory loss or confusion',
    'is alert and oriented x3',
    "has a mother who had Alzheimer's disease",
    'has well-controlled hypertension',
    'reports no falls since the last visit',
  ],
};
const SUBJECTS = ['The patient', 'Pt', 'She', 'He', 'The resident'];
const WHEN = [
  'over the past {n} months',
  'since the last visit',
  'for about {n} weeks',
  'recently',
  "per today's review",
];

function bronzeSentences(targets: string[], count: number, salt: string, junkShare: number): string[] {
  const keys = targets.length ? targets : ['none'];
  const out: string[] = [];
  const seen = new Set<string>();
  const rnd = mulberry32(hashInt(salt));
  for (let i = 0; out.length < count; i++) {
    if (rnd() < junkShare) {
      const junk = [keys[0]!, `sentence_${out.length + 1}`, 'Per daughter, ...', `${out.length + 1}.`];
      out.push(junk[Math.floor(rnd() * junk.length)]!);
      continue;
    }
    const parts = keys.map((k) => {
      const list = PHRASES[k] ?? [`shows signs of ${k.replace(/_/g, ' ')}`];
      return list[Math.floor(rnd() * list.length)]!;
    });
    const subject = SUBJECTS[Math.floor(rnd() * SUBJECTS.length)]!;
    const when = WHEN[Math.floor(rnd() * WHEN.length)]!.replace('{n}', String(2 + Math.floor(rnd() * 23)));
    const s = `${subject} ${parts.join(' and ')} ${when}${i >= 1000 ? ` (${i})` : ''}.`;
    if (seen.has(s)) continue;
    seen.add(s);
    out.push(s);
  }
  return out;
}

export interface ChatBody {
  model?: string;
  messages?: { role?: string; content?: unknown }[];
  response_format?: { type?: string; json_schema?: { name?: string; schema?: Record<string, unknown> } };
}

/** The schema the answer must follow: from json_schema, or from the instruction sent in json_object mode. */
function requestSchema(body: ChatBody): Record<string, unknown> | undefined {
  const rf = body.response_format;
  if (rf?.type === 'json_schema' && rf.json_schema?.schema) return rf.json_schema.schema;
  for (const m of body.messages ?? []) {
    const c = typeof m.content === 'string' ? m.content : '';
    const at = c.indexOf('JSON schema:\n');
    if (at >= 0) {
      try {
        return JSON.parse(c.slice(at + 'JSON schema:\n'.length)) as Record<string, unknown>;
      } catch {
        // not ours
      }
    }
  }
  return undefined;
}

function userText(body: ChatBody): string {
  return (body.messages ?? [])
    .filter((m) => m.role === 'user')
    .map((m) => (typeof m.content === 'string' ? m.content : ''))
    .join('\n');
}

/** `s1: <json>` lines of the user message. */
function itemLines(text: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const line of text.split('\n')) {
    const m = /^(s\d+): (.*)$/.exec(line);
    if (!m) continue;
    try {
      out.set(m[1]!, JSON.parse(m[2]!));
    } catch {
      // not an item line
    }
  }
  return out;
}

type P = Record<string, unknown>;
const prop = (schema: P, key: string): P => ((schema.properties as P | undefined)?.[key] ?? {}) as P;

function makeAnswer(
  body: ChatBody,
  unknownLabel: boolean,
  salt: string,
  junkShare: number,
  mixedVerdicts = false,
): string {
  const schema = requestSchema(body);
  if (!schema) return JSON.stringify({ answer: 'ok' });
  const user = userText(body);
  const props = (schema.properties ?? {}) as P;
  if ('answers' in props) {
    const arr = prop(schema, 'answers');
    const item = (arr.items ?? {}) as P;
    const ids = (prop(item, 'id').enum ?? []) as string[];
    const allowed = new Set(((prop(item, 'labels').items as P | undefined)?.enum ?? []) as string[]);
    const lines = itemLines(user);
    const withRationale = 'rationale' in ((item.properties ?? {}) as P);
    const answers = ids.map((id) => {
      const text = lines.get(id);
      const labels = silverLabels(typeof text === 'string' ? text : '', allowed);
      const rationale = `the sentence ${labels.length ? `shows ${labels.join(' and ')}` : 'shows no label'}`;
      return withRationale ? { id, rationale, labels } : { id, labels };
    });
    if (unknownLabel && answers[0]) answers[0].labels.push('made_up_label');
    return JSON.stringify({ answers });
  }
  if ('sentences' in props) {
    const count = Number(prop(schema, 'sentences').minItems ?? 1);
    const m = /^Target labels: (.*)$/m.exec(user);
    const targets =
      m && m[1] !== 'none'
        ? m[1]!
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [];
    return JSON.stringify({ sentences: bronzeSentences(targets, count, salt, junkShare) });
  }
  if ('verdicts' in props) {
    const item = (prop(schema, 'verdicts').items ?? {}) as P;
    const ids = (prop(item, 'id').enum ?? []) as string[];
    const lines = itemLines(user);
    const allowed = ((prop(item, 'labels').items as P | undefined)?.enum ?? []) as string[];
    const verdicts = ids.map((id) => {
      const it = lines.get(id) as { labels?: string[] } | undefined;
      const labels = [...(it?.labels ?? [])];
      const h = mixedVerdicts ? hashInt(JSON.stringify(it ?? id)) % 10 : -1;
      if (h === 0) return { id, verdict: 'reject', labels, reason: 'not a usable sentence' };
      if (h === 1 || h === 2)
        return {
          id,
          verdict: 'fix',
          labels: labels.length ? labels.slice(0, -1) : allowed.slice(0, 1),
          reason: 'labels corrected',
        };
      return { id, verdict: 'keep', labels, reason: 'labels match the guideline' };
    });
    if (unknownLabel && verdicts[0]) verdicts[0].labels.push('made_up_label');
    // With selfCheck.rationale the schema asks for a rationale first in each entry.
    if ('rationale' in ((item.properties ?? {}) as P))
      return JSON.stringify({
        verdicts: verdicts.map(({ id, ...v }) => ({
          id,
          rationale: `checked against the guideline: ${v.verdict}`,
          ...v,
        })),
      });
    return JSON.stringify({ verdicts });
  }
  return JSON.stringify({});
}

/**
 * What an answer is drawn from: the posted body, read with the token limit under one name, so a request answers
 * alike whether it says max_tokens or max_completion_tokens (the answers of the demo did not change with the name).
 */
function answerSalt(raw: string): string {
  return raw.replace('"max_completion_tokens":', '"max_tokens":');
}

/**
 * A chat completion carrying `content`, with token counts estimated from the characters. As the real API: a reasoning
 * model's thinking is counted in completion_tokens (and details), the answer is cut at the request's token limit
 * (finish_reason length), and `cachedTokens` of the prompt came from the prompt cache.
 */
export function chatCompletion(id: string, body: ChatBody, content: string, finishReason: string, cachedTokens = 0) {
  const b = body as Record<string, unknown>;
  const promptTokens = estimateTokens(promptChars(body.messages));
  const reasoning = reasoningTokensFor(b, promptTokens);
  const limit = completionLimit(b);
  let text = content;
  let finish = finishReason;
  if (limit !== undefined && reasoning + estimateTokens(text.length) > limit) {
    text = text.slice(0, Math.max(0, limit - reasoning) * 4);
    finish = 'length';
  }
  const completionTokens = Math.min(limit ?? Infinity, reasoning + estimateTokens(text.length));
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: String(body.model ?? 'fake'),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text as string | null, refusal: null as string | null },
        finish_reason: finish,
        logprobs: null,
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: Math.min(cachedTokens, promptTokens), audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: Math.min(reasoning, completionTokens),
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
  };
}

/** A refusal as OpenAI sends it: content null, the model's words in message.refusal. */
function refusalCompletion(completion: ReturnType<typeof chatCompletion>): ReturnType<typeof chatCompletion> {
  const choice = completion.choices[0]!;
  const refusal = "I'm sorry, but I can't assist with that request.";
  return { ...completion, choices: [{ ...choice, message: { role: 'assistant', content: null, refusal } }] };
}

// ----------------------------------------------------------------------------------------------------------------
// The server

export async function startFakeLlmServer(opts: FakeLlmOptions = {}): Promise<FakeLlmServer> {
  let faults: FakeLlmFaults = { ...DEFAULT_FAULTS, ...pickFaults(opts) };
  let rnd = mulberry32(opts.seed ?? 42);
  const keepBodies = opts.keepBodies ?? 200;
  const cachedPrefix = promptCache(opts.promptCacheMinTokens ?? 1024);
  let stats = emptyStats();
  const handle: { stats: FakeLlmStats } = { stats };

  /**
   * Distinct request bodies, counted as hashes arrive (pushed onto stats.bodyHashes): /admin/stats is polled every
   * 20 ms by the benchmarks, and a Set of every hash rebuilt per poll cost a share of a core at 30,000 calls.
   */
  let seen = { of: stats, hashes: new Set<string>(), upTo: 0 };
  const distinctBodies = (s: FakeLlmStats): number => {
    if (seen.of !== s || s.bodyHashes.length < seen.upTo) seen = { of: s, hashes: new Set<string>(), upTo: 0 };
    for (; seen.upTo < s.bodyHashes.length; seen.upTo++) seen.hashes.add(s.bodyHashes[seen.upTo]!);
    return seen.hashes.size;
  };
  const count = (status: number): void => {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
  };
  const fault = (kind: string): void => {
    stats.faults[kind] = (stats.faults[kind] ?? 0) + 1;
  };
  const sendRaw = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };
  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void =>
    sendRaw(res, status, JSON.stringify(body), headers);
  const apiError = (
    res: ServerResponse,
    status: number,
    message: string,
    type: string,
    code: string | null,
    param: string | null = null,
    headers: Record<string, string> = {},
  ): void => {
    count(status);
    sendJson(res, status, { error: { message, type, param, code } }, headers);
  };
  const refuse = (res: ServerResponse, r: ApiRefusal): void =>
    apiError(res, r.status, r.message, r.type, r.code, r.param, r.headers);
  /** The real API checks the key on every route (chat, files, batches): false when it answered 401. */
  const authorized = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (opts.requireApiKey === undefined || req.headers.authorization === `Bearer ${opts.requireApiKey}`) return true;
    const given = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const masked = given.length > 8 ? `${given.slice(0, 3)}***${given.slice(-4)}` : '***';
    apiError(
      res,
      401,
      `Incorrect API key provided: ${masked}. You can find your API key in your account settings.`,
      'invalid_request_error',
      'invalid_api_key',
    );
    return false;
  };

  /**
   * `arrived`: when the request reached the server. Every answer after the latency point leaves `latencyMs` after
   * that (the answer is made while the latency runs), so the endpoint's latency is exact, not latency + this
   * server's own work, which grows on a slower CPU.
   */
  const onChat = async (req: IncomingMessage, res: ServerResponse, raw: string, arrived: number): Promise<void> => {
    const due = arrived + faults.latencyMs;
    const untilDue = async (): Promise<void> => {
      const ms = due - performance.now();
      if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    };
    stats.requests++;
    const held = stats;
    held.maxInFlight = Math.max(held.maxInFlight, ++held.inFlight);
    res.once('close', () => held.inFlight--);
    stats.bodyHashes.push(createHash('sha256').update(raw).digest('hex'));
    let body: ChatBody;
    try {
      body = JSON.parse(raw) as ChatBody;
    } catch {
      apiError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null);
      return;
    }
    stats.bodies.push(body);
    if (stats.bodies.length > keepBodies) stats.bodies.shift();

    if (!authorized(req, res)) return;
    if (opts.models?.length && !opts.models.includes(String(body.model))) {
      apiError(
        res,
        404,
        `The model \`${String(body.model)}\` does not exist or you do not have access to it.`,
        'invalid_request_error',
        'model_not_found',
      );
      return;
    }
    const refusal = chatRequestRefusal(body as Record<string, unknown>, opts.contextTokens ?? 128_000);
    if (refusal) {
      await untilDue();
      fault(refusal.code ?? 'invalid_request');
      refuse(res, refusal);
      return;
    }
    if (faults.insufficientQuota) {
      await untilDue();
      fault('insufficientQuota');
      refuse(res, insufficientQuota());
      return;
    }
    if (faults.failStatus) {
      await untilDue();
      const s = faults.failStatus;
      fault(`status${s}`);
      if (s === 401)
        apiError(
          res,
          401,
          'Incorrect API key provided: sk-te***4321. You can find your API key in your account settings.',
          'invalid_request_error',
          'invalid_api_key',
        );
      else if (s === 404)
        apiError(
          res,
          404,
          `The model \`${String(body.model)}\` does not exist or you do not have access to it.`,
          'invalid_request_error',
          'model_not_found',
        );
      else if (s === 429) refuse(res, rateLimited(String(body.model), faults.retryAfterSeconds));
      else apiError(res, s, `Injected failure ${s}`, s >= 500 ? 'server_error' : 'invalid_request_error', null);
      return;
    }
    if (faults.rejectJsonSchema && body.response_format?.type === 'json_schema') {
      await untilDue();
      fault('rejectJsonSchema');
      apiError(
        res,
        400,
        "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
        'invalid_request_error',
        null,
        'response_format',
      );
      return;
    }

    const draw = rnd();
    let edge = 0;
    const hit = (rate: number): boolean => {
      const lo = edge;
      edge += rate;
      return draw >= lo && draw < edge;
    };
    if (hit(faults.rate429)) {
      await untilDue();
      fault('rate429');
      refuse(res, rateLimited(String(body.model), faults.retryAfterSeconds));
      return;
    }
    if (hit(faults.rate500)) {
      await untilDue();
      fault('rate500');
      apiError(res, 500, 'The server had an error while processing your request.', 'server_error', null);
      return;
    }
    if (hit(faults.rateHang)) {
      fault('rateHang');
      return; // never answers; the socket is destroyed by the client's timeout or by close()
    }
    const malformed = hit(faults.rateMalformed);
    const truncated = hit(faults.rateTruncated);
    const unknownLabel = hit(faults.rateUnknownLabel);
    const refused = !malformed && !truncated && !unknownLabel && hit(faults.rateRefusal);
    let content = makeAnswer(body, unknownLabel, answerSalt(raw), faults.bronzeJunkShare, opts.verdicts === 'mixed');
    let finishReason = 'stop';
    if (malformed) {
      fault('rateMalformed');
      content = `{"oops": ${content.slice(0, 20)}`;
    } else if (truncated) {
      fault('rateTruncated');
      content = content.slice(0, Math.max(1, Math.floor(content.length / 2)));
      finishReason = 'length';
    } else if (unknownLabel) {
      fault('rateUnknownLabel');
    }
    const answered = chatCompletion(
      `chatcmpl-fake-${stats.requests}`,
      body,
      content,
      finishReason,
      cachedPrefix(body.messages),
    );
    if (answered.choices[0]?.finish_reason === 'length' && finishReason !== 'length') fault('cutAtTokenLimit');
    if (refused) fault('rateRefusal');
    const completion = refused ? refusalCompletion(answered) : answered;
    stats.promptTokens += completion.usage.prompt_tokens;
    stats.completionTokens += completion.usage.completion_tokens;
    stats.cachedTokens += completion.usage.prompt_tokens_details.cached_tokens;
    stats.reasoningTokens += completion.usage.completion_tokens_details.reasoning_tokens;
    const text = JSON.stringify(completion);
    await untilDue();
    count(200);
    sendRaw(res, 200, text);
  };

  const batches = fakeBatchApi({
    faults: () => faults,
    stats: () => stats,
    // A batch line gets the answer its body would get online (the online salt is the posted body, the same JSON).
    answer: (id, body) =>
      chatCompletion(
        id,
        body,
        makeAnswer(body, false, answerSalt(JSON.stringify(body)), faults.bronzeJunkShare),
        'stop',
        cachedPrefix(body.messages),
      ),
    authorized,
    refusal: (body) => chatRequestRefusal(body as Record<string, unknown>, opts.contextTokens ?? 128_000),
    sendJson,
    apiError,
  });

  const server = createServer((req, res) => {
    const arrived = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (req.method === 'POST' && path === '/v1/chat/completions') {
        onChat(req, res, raw, arrived).catch((err: unknown) => {
          if (!res.headersSent) apiError(res, 500, `fake server error: ${String(err)}`, 'server_error', null);
        });
      } else if (path.startsWith('/v1/files') || path.startsWith('/v1/batches')) {
        batches.handle(req, res, raw, path).catch((err: unknown) => {
          if (!res.headersSent) apiError(res, 500, `fake server error: ${String(err)}`, 'server_error', null);
        });
      } else if (req.method === 'GET' && path === '/v1/models') {
        const ids = opts.models?.length ? opts.models : ['fake-model'];
        sendJson(res, 200, {
          object: 'list',
          data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })),
        });
      } else if (req.method === 'GET' && path === '/admin/stats') {
        sendJson(res, 200, {
          ...stats,
          bodies: undefined,
          bodyHashes: undefined,
          distinctBodies: distinctBodies(stats),
        });
      } else if (req.method === 'POST' && path === '/admin/faults') {
        try {
          faults = { ...faults, ...pickFaults(JSON.parse(raw || '{}') as Partial<FakeLlmFaults>) };
          sendJson(res, 200, faults);
        } catch {
          sendJson(res, 400, { error: { message: 'bad JSON' } });
        }
      } else {
        sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } });
      }
    });
  });

  // Idle keep-alive sockets stay open a minute (Node's default is 5 s), as a provider's front end keeps them: a client
  // reusing a socket the server is just closing gets ECONNRESET, a retry the real endpoint would not cause.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A backlog above Node's 511: a thousand clients connecting at once (bench p1-scale-1024) would otherwise
    // overflow the accept queue, and the dropped SYNs come back 1–7 s later (or fail at the client's connect timeout).
    server.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1', backlog: 4096 }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';

  return {
    url: `http://${host}:${port}/v1`,
    port,
    get stats() {
      return handle.stats;
    },
    setFaults(f) {
      faults = { ...faults, ...pickFaults(f) };
    },
    resetStats() {
      rnd = mulberry32(opts.seed ?? 42); // the same fault sequence again, whatever ran before
      stats = emptyStats();
      handle.stats = stats;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function pickFaults(src: Partial<FakeLlmFaults>): Partial<FakeLlmFaults> {
  const out: Partial<FakeLlmFaults> = {};
  for (const k of Object.keys(DEFAULT_FAULTS) as (keyof FakeLlmFaults)[]) {
    const v = src[k];
    if (v !== undefined) (out as Record<string, unknown>)[k] = Array.isArray(v) ? [...v] : v;
  }
  return out;
}

// ----------------------------------------------------------------------------------------------------------------
// Standalone: tsx tests/support/fake-llm-server.ts --port 8000 --latency-ms 100 [--rate429 0.1 ...]

function parseArgs(argv: string[]): FakeLlmOptions {
  const opts: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const name = a.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const next = argv[i + 1];
    if (name === 'rejectJsonSchema' || name === 'insufficientQuota') {
      opts[name] = true;
      continue;
    }
    if (next === undefined) throw new Error(`${a} needs a value`);
    i++;
    if (name === 'host' || name === 'requireApiKey') opts[name] = next;
    else if (name === 'models' || name === 'batchOutcomes') opts[name] = next.split(',');
    else {
      const v = Number(next);
      if (!Number.isFinite(v)) throw new Error(`${a} needs a number, got ${next}`);
      opts[name] = v;
    }
  }
  return opts as FakeLlmOptions;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const opts = parseArgs(process.argv.slice(2));
  const server = await startFakeLlmServer({ port: 8000, ...opts });
  console.log(
    `fake LLM server listening on ${server.url} (chat completions, files, batches; stats: GET /admin/stats, faults: POST /admin/faults)`,
  );
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
