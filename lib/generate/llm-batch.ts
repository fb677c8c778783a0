// The batch rounds of an LLM stage (llm.batch): request files of its pages, submitted once, answers into the cache.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { llmCacheKey, type LlmCache } from '../llm/cache.js';
import { OPENAI_KIND } from '../llm/openai-provider.js';
import { cacheModelId, modelFamily } from '../llm/model-family.js';
import {
  batchLine,
  LineSplitter,
  parseBatchResults,
  type BatchClient,
  type BatchInfo,
  type BatchLineResult,
} from '../llm/batch-api.js';
import { readJson, writeJson, writeJsonl, writeFileAtomic } from '../run/run-dir.js';
import {
  addTokens,
  addUsage,
  batchScope,
  emptyUsage,
  stagePage,
  type LlmUsageTotals,
  type RunProgress,
} from '../run/run-state.js';
import { pageRequests, type PageInputs } from './llm-pages.js';

/** Which requests a round asks for: the pages [from, to) of a stage, numbered as the workflow runs them. */
export interface BatchRound {
  runDir: string;
  stage: 'silver' | 'bronze' | 'selfcheck';
  pages: RunProgress['pages'];
  from: number;
  to: number;
  round: number;
}

export interface BatchDeps {
  client: BatchClient;
  cache: LlmCache;
  /** Called between steps (the activity heartbeats). */
  onProgress?: () => void;
}

/** A submitted batch and the file it was made from (`part`). */
export type PartBatch = BatchInfo & { part: number };

export interface SubmitResult {
  batches: PartBatch[];
  /** Distinct requests sent in this round's batches, and requests of the pages already answered in the cache. */
  requests: number;
  cached: number;
}

interface Manifest {
  parts: { file: string; requests: number; sha256: string }[];
  requests: number;
  cached: number;
}

/** What the run directory remembers of a part, written as soon as each id exists (so a retry never makes a second). */
interface PartRecord {
  fileId?: string;
  fileCreatedAt?: number;
  batchId?: string;
}

/** `<run>/batches/<stage>-<from>-<to>/round-<r>/`: the request files, their ids, and the failed lines. */
export function roundDir(r: BatchRound): string {
  return join(r.runDir, 'batches', batchScope(r.stage, r.from, r.to), `round-${r.round}`);
}

const partFile = (i: number) => `part-${i}.jsonl`;
const recordFile = (i: number) => `part-${i}.json`;
export const BATCH_FAILURES_FILE = 'failures.jsonl';

/**
 * Writes the round's request files once: every page's first requests (as the pages will ask them), less those
 * already in the cache and repeats, one line each with the cache key as custom_id, split at the API's limits.
 * A retried activity reads the files it wrote instead of building them again, so it submits the same requests.
 */
async function writeRequestFiles(deps: BatchDeps, inp: PageInputs, r: BatchRound): Promise<Manifest> {
  const dir = roundDir(r);
  const manifestPath = join(dir, 'manifest.json');
  if (existsSync(manifestPath)) return readJson<Manifest>(manifestPath);
  const model = inp.experiment.llm.model!;
  const family = modelFamily(inp.experiment.llm);
  const keyModel = cacheModelId(model, family);
  const flavour = deps.client.flavour;
  const parts: Manifest['parts'] = [];
  const files = new LineSplitter(flavour.maxRequests, flavour.maxBytes, (lines) => {
    // No byte order mark, ever (Azure refuses such files with a misleading error).
    const text = lines.join('\n') + '\n';
    const file = partFile(parts.length);
    writeFileAtomic(join(dir, file), text);
    parts.push({ file, requests: lines.length, sha256: createHash('sha256').update(text).digest('hex') });
  });
  const seen = new Set<string>();
  let requests = 0;
  let cached = 0;
  for (let n = r.from; n < r.to; n++) {
    const { set, page } = stagePage(r.stage, r.pages, n);
    for (const request of await pageRequests(inp, r.stage, set, page)) {
      const key = llmCacheKey(OPENAI_KIND, keyModel, request);
      if (seen.has(key)) continue;
      seen.add(key);
      if (await deps.cache.get(key)) cached++;
      else {
        files.add(batchLine(flavour, model, key, request, family));
        requests++;
      }
    }
    deps.onProgress?.();
  }
  files.end();
  const manifest: Manifest = { parts, requests, cached };
  writeJson(manifestPath, manifest);
  return manifest;
}

/**
 * Submits the round: uploads each request file and creates its batch, recording the file id and then the batch id
 * in the run directory as soon as the server gives them. A retry after a crash reuses both: a file that was
 * uploaded but has no recorded batch is looked up among the server's batches first (the crash may have come after
 * `batches.create` and before the record), so the same requests never go out in two batches.
 */
export async function submitBatchRound(deps: BatchDeps, inp: PageInputs, r: BatchRound): Promise<SubmitResult> {
  const manifest = await writeRequestFiles(deps, inp, r);
  const dir = roundDir(r);
  const batches: PartBatch[] = [];
  for (const [i, part] of manifest.parts.entries()) {
    const recordPath = join(dir, recordFile(i));
    const record: PartRecord = existsSync(recordPath) ? readJson<PartRecord>(recordPath) : {};
    if (record.batchId) {
      batches.push({ ...(await deps.client.retrieve(record.batchId)), part: i });
      continue;
    }
    if (!record.fileId) {
      const file = await deps.client.upload(join(dir, part.file));
      Object.assign(record, { fileId: file.id, fileCreatedAt: file.createdAt });
      writeJson(recordPath, record);
      deps.onProgress?.();
    }
    const metadata = {
      clinsynth_run: basename(r.runDir).slice(0, 512),
      clinsynth_requests: `${batchScope(r.stage, r.from, r.to)}/round-${r.round}/${part.file}`,
      clinsynth_sha256: part.sha256,
    };
    const info =
      (await deps.client.findByInputFile(record.fileId!, record.fileCreatedAt ?? 0)) ??
      (await deps.client.create(record.fileId!, metadata));
    record.batchId = info.id;
    writeJson(recordPath, record);
    deps.onProgress?.();
    batches.push({ ...info, part: i });
  }
  return { batches, requests: manifest.requests, cached: manifest.cached };
}

export interface CollectResult {
  /** Per batch: answers written to the cache, and requests that came back failed or not at all. */
  batches: { id: string; answered: number; unanswered: number }[];
  answered: number;
  unanswered: number;
  /** Tokens of the answered requests (paid at the batch price); calls = answered. */
  usage: LlmUsageTotals;
}

/** A line of the round's failures file: the request's key, why, and the line as the server wrote it. */
export interface BatchFailureRow {
  batchId: string;
  customId: string | null;
  error: string;
  raw: string;
}

/** The custom_ids of a request file this module wrote (each line starts with it), without parsing the bodies. */
function askedKeys(path: string): Set<string> {
  const keys = new Set<string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\{"custom_id":"([0-9a-f]{64})"/.exec(line);
    if (m) keys.add(m[1]!);
  }
  return keys;
}

/** What collecting one part gave, kept in the run directory once its answers are in the cache. */
interface PartCollected {
  batch: CollectResult['batches'][number];
  usage: LlmUsageTotals;
  failures: BatchFailureRow[];
  /** Provider files of the part (input, output, error) not yet deleted (llm.batchKeepFiles keeps them all). */
  toDelete: string[];
}

const collectedFile = (i: number) => `part-${i}.collected.json`;

/**
 * Downloads the output and error files of the round's batches (their file ids fresh from the server) (whatever their end: completed, expired, cancelled,
 * failed or vanished), joins lines to requests by custom_id, writes every answer into the cache under that key and
 * keeps every failed line raw with its error in `failures.jsonl`. Then, unless llm.batchKeepFiles, it deletes the
 * part's input, output and error files at the provider (note sentences need not stay there). What a part gave is
 * recorded before its files go, so a rerun reads the record (and deletes what is left) and returns the same.
 */
export async function collectBatchRound(
  deps: BatchDeps,
  inp: PageInputs,
  r: BatchRound,
  parts: { id: string; part: number }[],
): Promise<CollectResult> {
  const dir = roundDir(r);
  const usage = emptyUsage();
  const failures: BatchFailureRow[] = [];
  const out: CollectResult['batches'] = [];
  for (const { id, part } of parts) {
    const recordPath = join(dir, collectedFile(part));
    const got: PartCollected = existsSync(recordPath)
      ? readJson<PartCollected>(recordPath)
      : await collectPart(deps, inp, dir, id, part);
    writeJson(recordPath, got);
    while (got.toDelete.length) {
      await deps.client.deleteFile(got.toDelete[0]!);
      got.toDelete.shift();
      writeJson(recordPath, got);
      deps.onProgress?.();
    }
    addUsage(usage, got.usage);
    failures.push(...got.failures);
    out.push(got.batch);
  }
  writeJsonl(join(dir, BATCH_FAILURES_FILE), failures);
  const answered = out.reduce((n, b) => n + b.answered, 0);
  return { batches: out, answered, unanswered: out.reduce((n, b) => n + b.unanswered, 0), usage };
}

async function collectPart(
  deps: BatchDeps,
  inp: PageInputs,
  dir: string,
  id: string,
  part: number,
): Promise<PartCollected> {
  const model = inp.experiment.llm.model!;
  const usage = emptyUsage();
  const failures: BatchFailureRow[] = [];
  const b = { ...(await deps.client.retrieve(id)), part };
  const asked = askedKeys(join(dir, partFile(b.part)));
  const results: BatchLineResult[] = [];
  for (const [fileId, name] of [
    [b.outputFileId, 'output'],
    [b.errorFileId, 'error'],
  ] as const) {
    if (fileId) results.push(...parseBatchResults(await deps.client.download(fileId), model, `${b.id} ${name} file`));
    deps.onProgress?.();
  }
  const answered = new Set<string>();
  for (const line of results) {
    if (line.customId === null || !asked.has(line.customId)) {
      failures.push({
        batchId: b.id,
        customId: line.customId,
        error: line.ok ? 'custom_id not asked in this batch' : line.error,
        raw: line.ok ? JSON.stringify(line.answer) : line.raw,
      });
      continue;
    }
    if (!line.ok) {
      failures.push({ batchId: b.id, customId: line.customId, error: line.error, raw: line.raw });
      continue;
    }
    if (answered.has(line.customId)) continue;
    answered.add(line.customId);
    await deps.cache.put(line.customId, line.answer);
    usage.calls++;
    addTokens(usage, line.answer.usage);
  }
  if (b.status === 'failed' || b.status === 'vanished')
    failures.push({
      batchId: b.id,
      customId: null,
      error: `batch ${b.status}${b.error ? `: ${b.error}` : ''}`,
      raw: '',
    });
  const recordPath = join(dir, recordFile(part));
  const input = existsSync(recordPath) ? readJson<PartRecord>(recordPath).fileId : undefined;
  const files = [input, b.outputFileId, b.errorFileId].filter((f): f is string => !!f);
  return {
    batch: { id: b.id, answered: answered.size, unanswered: asked.size - answered.size },
    usage,
    failures,
    toDelete: inp.experiment.llm.batchKeepFiles ? [] : files,
  };
}
