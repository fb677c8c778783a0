// Content-addressed cache of LLM answers on (shared) disk, so no answer is ever paid for twice.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LlmAnswer, LlmProvider, LlmRequest, StartOptions } from './types.js';

/** JSON with object keys sorted at every level (arrays keep their order); `undefined` members are dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** sha256 (hex) of everything that decides an answer: provider kind, model, messages, schema and parameters. */
export function llmCacheKey(kind: string, model: string, request: LlmRequest): string {
  const material = {
    kind,
    model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    schemaName: request.schemaName,
    schema: request.schema,
    maxTokens: request.maxTokens,
    temperature: request.temperature,
    seed: request.seed,
  };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

export interface LlmCache {
  get(key: string): Promise<LlmAnswer | undefined>;
  /** `request`: the rendered request, kept beside the answer so a row's provenance shows what was asked. */
  put(key: string, answer: LlmAnswer, request?: LlmRequest): Promise<void>;
}

/** One cached answer as stored (`request` is absent in answers cached before requests were kept, and in batch answers). */
export interface CacheFile {
  key: string;
  answer: LlmAnswer;
  request?: LlmRequest;
  storedAt: string;
}

const KEY_RE = /^[0-9a-f]{64}$/;

/**
 * One JSON file per answer at `dir/<first 2 hex>/<key>.json`. Writes go to a unique temp file in the same folder and
 * are renamed into place, so concurrent writers (processes, machines on shared storage) never leave a partial file;
 * an unreadable or corrupt file reads as a miss and is overwritten by the next put.
 */
const createdFolders = new Set<string>();

export class FileLlmCache implements LlmCache {
  constructor(readonly dir: string) {}

  pathOf(key: string): string {
    if (!KEY_RE.test(key)) throw new Error(`invalid LLM cache key "${key}" (expected 64 hex digits)`);
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<LlmAnswer | undefined> {
    let text: string;
    try {
      text = await readFile(this.pathOf(key), 'utf8');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    try {
      const data = JSON.parse(text) as Partial<CacheFile>;
      if (data.key !== key || !isAnswer(data.answer)) return undefined;
      return data.answer;
    } catch {
      return undefined;
    }
  }

  /** The whole stored entry (answer, rendered request, time), for looking at a row's provenance; undefined on a miss. */
  async entry(key: string): Promise<CacheFile | undefined> {
    const answer = await this.get(key);
    if (!answer) return undefined;
    const data = JSON.parse(await readFile(this.pathOf(key), 'utf8')) as CacheFile;
    return { key, answer, storedAt: data.storedAt, ...(data.request ? { request: data.request } : {}) };
  }

  async put(key: string, answer: LlmAnswer, request?: LlmRequest): Promise<void> {
    const file = this.pathOf(key);
    const folder = join(this.dir, key.slice(0, 2));
    // Folders are made once per process (a mkdir per answer is measurable at hundreds of calls a second).
    if (!createdFolders.has(folder)) {
      await mkdir(folder, { recursive: true });
      createdFolders.add(folder);
    }
    const tmp = join(folder, `.${key}.${process.pid}.${randomUUID()}.tmp`);
    const body: CacheFile = { key, answer, ...(request ? { request } : {}), storedAt: new Date().toISOString() };
    try {
      try {
        await writeFile(tmp, JSON.stringify(body), 'utf8');
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await mkdir(folder, { recursive: true }); // the cache folder was removed while this process ran
        await writeFile(tmp, JSON.stringify(body), 'utf8');
      }
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** Removes an answer (e.g. one the caller judged unusable and wants to ask for again). */
  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function isAnswer(a: unknown): a is LlmAnswer {
  if (!a || typeof a !== 'object') return false;
  const x = a as Record<string, unknown>;
  const u = x.usage as Record<string, unknown> | undefined;
  return (
    typeof x.text === 'string' &&
    typeof x.finishReason === 'string' &&
    typeof x.model === 'string' &&
    !!u &&
    typeof u.promptTokens === 'number' &&
    typeof u.completionTokens === 'number'
  );
}

export interface CachedCompletion {
  answer: LlmAnswer;
  cacheKey: string;
  /** True when the answer came from the cache (no LLM call was made). */
  cached: boolean;
}

/**
 * Requests being asked in this process, by cache folder and key: a second asker of the same prompt (another page,
 * another experiment of a study) waits for the first one's answer instead of paying for it again.
 */
const asking = new Map<string, Promise<{ answer: LlmAnswer; stored: Promise<void> }>>();

/**
 * Answers from the cache when it can, else asks the provider and stores the answer (every answer, including
 * truncated or unparsable ones: they were paid for; the caller may `delete` one it wants asked again). The same
 * request asked again while the first is in flight in this process is answered by that one (counted as cached).
 */
export async function completeCached(
  provider: LlmProvider,
  cache: LlmCache,
  request: LlmRequest,
  signal?: AbortSignal,
  opts: { deferWrite?: (stored: Promise<void>) => void } & StartOptions = {},
): Promise<CachedCompletion> {
  const cacheKey = llmCacheKey(provider.kind, provider.model, request);
  const hit = await cache.get(cacheKey);
  if (hit) return { answer: hit, cacheKey, cached: true };
  // A caller that awaits every deferred write before it reports its work done keeps the guarantee (nothing paid
  // for is lost once the work counts as done) without the write delaying its next call.
  const settle = async (stored: Promise<void>) => {
    if (opts.deferWrite) opts.deferWrite(stored);
    else await stored;
  };
  const flightKey = `${cache instanceof FileLlmCache ? cache.dir : ''}\u0000${cacheKey}`;
  const pending = asking.get(flightKey);
  if (pending) {
    const first = await pending.catch(() => undefined); // the first asker failed: ask anew below
    if (first) {
      await settle(first.stored);
      return { answer: first.answer, cacheKey, cached: true };
    }
  }
  const flight = (async () => {
    const answer = await provider.complete(request, signal, { startSignal: opts.startSignal });
    const stored = cache.put(cacheKey, answer, request);
    stored.catch(() => undefined); // a failed write is the caller's to see (settle), not an unhandled rejection
    return { answer, stored };
  })();
  asking.set(flightKey, flight);
  // Askers join this flight until the answer is in the cache (a miss in between would pay for it again).
  void flight
    .then(({ stored }) => stored)
    .catch(() => undefined)
    .finally(() => {
      if (asking.get(flightKey) === flight) asking.delete(flightKey);
    });
  const { answer, stored } = await flight;
  await settle(stored);
  return { answer, cacheKey, cached: false };
}
