// Provider batch APIs (OpenAI Batch, Azure OpenAI Global Batch): request files, upload, create, status, results.
import { createReadStream } from 'node:fs';
import OpenAI from 'openai';
import { z } from 'zod';
import {
  answerOf,
  callContext,
  openaiClient,
  chatParams,
  toCallError,
  type CallContext,
  type ChatCompletion,
  type OpenAIProviderOptions,
} from './openai-provider.js';
import type { ModelFamily } from './model-family.js';
import { LlmCallError, type LlmAnswer, type LlmRequest } from './types.js';
import type { BatchStatus } from '../run/run-state.js';

export type BatchApiKind = 'openai' | 'azure';

/** What differs between the batch APIs: the url in each line, the batch's endpoint, and how many lines a file holds. */
export interface BatchFlavour {
  kind: BatchApiKind;
  /** `url` of each line and `endpoint` of the batch. */
  url: string;
  maxRequests: number;
  maxBytes: number;
  /** `expires_after` of an uploaded input file and `output_expires_after` of a batch's output and error files (s). */
  inputExpiresSeconds: number;
  outputExpiresSeconds: number;
}

/** Files stay under 190 MB (both APIs take 200 MB): a line's size is known only once it is written. */
export const BATCH_MAX_BYTES = 190_000_000;
const MAX_REQUESTS: Record<BatchApiKind, number> = { openai: 50_000, azure: 100_000 };

/** The completion window every batch is created with. */
const COMPLETION_WINDOW_SECONDS = 24 * 3600;
/**
 * How long the provider keeps the files, as short as it allows while covering the completion window: OpenAI takes
 * 1 hour to 30 days, so the input lives the window plus an hour (validation, finalizing) and the output and error
 * files a window from their creation (collected within a poll interval; a day covers a stopped worker). Azure takes
 * 14 to 30 days: 14. The files are deleted once collected anyway (llm.batchKeepFiles keeps them).
 */
const EXPIRES_SECONDS: Record<BatchApiKind, { input: number; output: number }> = {
  openai: { input: COMPLETION_WINDOW_SECONDS + 3600, output: COMPLETION_WINDOW_SECONDS },
  azure: { input: 14 * 24 * 3600, output: 14 * 24 * 3600 },
};

export interface BatchSettings {
  baseURL?: string | undefined;
  batchApi?: BatchApiKind | undefined;
  batchMaxRequests?: number | undefined;
}

/** The API an experiment's llm block talks to: llm.batchApi, else azure for Azure OpenAI hosts, else openai. */
export function batchFlavour(llm: BatchSettings): BatchFlavour {
  const kind = llm.batchApi ?? (isAzureHost(llm.baseURL) ? 'azure' : 'openai');
  return {
    kind,
    // Azure Global Batch wants the path without the version prefix (and the deployment name as body.model).
    url: kind === 'azure' ? '/chat/completions' : '/v1/chat/completions',
    maxRequests: llm.batchMaxRequests ?? MAX_REQUESTS[kind],
    maxBytes: BATCH_MAX_BYTES,
    inputExpiresSeconds: EXPIRES_SECONDS[kind].input,
    outputExpiresSeconds: EXPIRES_SECONDS[kind].output,
  };
}

function isAzureHost(baseURL: string | undefined): boolean {
  if (!baseURL) return false;
  try {
    const host = new URL(baseURL).hostname.toLowerCase();
    return host.endsWith('.openai.azure.com') || host.endsWith('.cognitiveservices.azure.com');
  } catch {
    return false;
  }
}

/**
 * One line of a batch input file: `custom_id` (the answer's cache key), and as `body` exactly the request the online
 * path posts (same object, `response_format` json_schema included). `model` is the model, or on Azure the deployment.
 */
export function batchLine(
  flavour: BatchFlavour,
  model: string,
  customId: string,
  request: LlmRequest,
  family?: ModelFamily,
): string {
  const body = chatParams(model, request, 'json_schema', family);
  return JSON.stringify({ custom_id: customId, method: 'POST', url: flavour.url, body });
}

/**
 * Cuts a stream of lines into files of at most maxRequests lines and maxBytes bytes (UTF-8, newline included), in
 * order, handing each file's lines to `flush` as soon as it is full: one file in memory at a time.
 */
export class LineSplitter {
  private lines: string[] = [];
  private bytes = 0;

  constructor(
    private readonly maxRequests: number,
    private readonly maxBytes: number,
    private readonly flush: (lines: string[]) => void,
  ) {}

  add(line: string): void {
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (size > this.maxBytes)
      throw new LlmCallError(`one batch request is ${size} bytes, more than a batch file may hold (${this.maxBytes})`, {
        retryable: false,
      });
    if (this.lines.length && (this.lines.length >= this.maxRequests || this.bytes + size > this.maxBytes)) this.end();
    this.lines.push(line);
    this.bytes += size;
  }

  /** Flushes the last, partly filled file. */
  end(): void {
    if (this.lines.length) this.flush(this.lines);
    this.lines = [];
    this.bytes = 0;
  }
}

/** A line of an output or error file, joined back to its request by custom_id. */
export type BatchLineResult =
  | { customId: string; ok: true; answer: LlmAnswer }
  | { customId: string | null; ok: false; error: string; raw: string };

const resultLineSchema = z.object({
  custom_id: z.string().min(1),
  response: z.object({ status_code: z.number().int(), body: z.unknown() }).nullable().optional(),
  error: z.object({ code: z.string().nullish(), message: z.string().nullish() }).nullable().optional(),
});

const completionSchema = z.object({ choices: z.array(z.unknown()).min(1) }).passthrough();

/**
 * Reads an output or error file (JSONL, lines in any order). A line with status 200 and a completion is an answer;
 * anything else (an error, another status, a line that does not parse) is a failure kept with its raw text.
 */
export function parseBatchResults(text: string, model: string, file: string): BatchLineResult[] {
  const out: BatchLineResult[] = [];
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim()) return;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      out.push({ customId: null, ok: false, error: `${where}: not JSON`, raw });
      return;
    }
    const line = resultLineSchema.safeParse(value);
    if (!line.success) {
      const issue = line.error.issues[0];
      out.push({
        customId: null,
        ok: false,
        error: `${where}: ${issue?.path.join('.') || 'line'}: ${issue?.message ?? 'unexpected shape'}`,
        raw,
      });
      return;
    }
    const { custom_id: customId, response, error } = line.data;
    if (error) {
      out.push({ customId, ok: false, error: `${error.code ?? 'error'}: ${error.message ?? ''}`.trim(), raw });
      return;
    }
    if (!response) {
      out.push({ customId, ok: false, error: `${where}: neither response nor error`, raw });
      return;
    }
    if (response.status_code !== 200) {
      const said = (response.body as { error?: { message?: unknown } } | null)?.error?.message;
      out.push({
        customId,
        ok: false,
        error: `status ${response.status_code}${typeof said === 'string' ? `: ${said}` : ''}`,
        raw,
      });
      return;
    }
    const answer = completionSchema.safeParse(response.body).success
      ? answerOf(response.body as ChatCompletion, model)
      : null;
    if (!answer)
      out.push({ customId, ok: false, error: `${where}: response.body: no chat completion with a choice`, raw });
    else out.push({ customId, ok: true, answer });
  });
  return out;
}

export const TERMINAL_BATCH_STATUSES: readonly BatchStatus[] = [
  'completed',
  'failed',
  'expired',
  'cancelled',
  'vanished',
];

/** A batch as this project keeps it (small: it travels in workflow history). */
export interface BatchInfo {
  id: string;
  status: BatchStatus;
  total: number;
  completed: number;
  failed: number;
  outputFileId: string | null;
  errorFileId: string | null;
  /** Why it failed (the server's errors), or why it is gone. */
  error?: string;
}

function infoOf(b: OpenAI.Batches.Batch): BatchInfo {
  const errors = (b.errors?.data ?? []).map((e) =>
    `${e.code ?? 'error'}${e.line ? ` (line ${e.line})` : ''}: ${e.message ?? ''}`.trim(),
  );
  return {
    id: b.id,
    status: b.status,
    total: b.request_counts?.total ?? 0,
    completed: b.request_counts?.completed ?? 0,
    failed: b.request_counts?.failed ?? 0,
    outputFileId: b.output_file_id ?? null,
    errorFileId: b.error_file_id ?? null,
    ...(errors.length ? { error: errors.join('; ').slice(0, 1000) } : {}),
  };
}

/** Uploads and downloads can be large: they get at least this long, whatever llm.timeoutSeconds says. */
const FILE_TIMEOUT_MS = 15 * 60_000;

/** The files and batches endpoints of one OpenAI-compatible server. */
export class BatchClient {
  private readonly client: OpenAI;
  private readonly ctx: CallContext;

  constructor(
    opts: OpenAIProviderOptions,
    readonly flavour: BatchFlavour,
  ) {
    this.ctx = callContext(
      opts,
      'no batch API (/files and /batches) there; vLLM and Ollama have none: set llm.batch to false',
    );
    this.client = openaiClient(opts);
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toCallError(err, this.ctx);
    }
  }

  /** Uploads a request file (purpose `batch`, expiring after the window); its id and creation time (Unix seconds). */
  upload(path: string): Promise<{ id: string; createdAt: number }> {
    return this.call(async () => {
      const f = await this.client.files.create(
        {
          file: createReadStream(path),
          purpose: 'batch',
          expires_after: { anchor: 'created_at', seconds: this.flavour.inputExpiresSeconds },
        },
        { timeout: Math.max(this.ctx.timeoutMs, FILE_TIMEOUT_MS) },
      );
      return { id: f.id, createdAt: f.created_at };
    });
  }

  /**
   * The batch made from `inputFileId`, if one exists: batches are listed newest first, so the search stops at the
   * first created before the file (`since`, Unix seconds), which no batch of that file can be.
   */
  findByInputFile(inputFileId: string, since: number): Promise<BatchInfo | undefined> {
    return this.call(async () => {
      for await (const b of this.client.batches.list({ limit: 100 })) {
        if (b.input_file_id === inputFileId) return infoOf(b);
        if (b.created_at < since - 60) return undefined;
      }
      return undefined;
    });
  }

  create(inputFileId: string, metadata: Record<string, string>): Promise<BatchInfo> {
    return this.call(async () =>
      infoOf(
        await this.client.batches.create({
          input_file_id: inputFileId,
          // Azure names its endpoint without the version prefix, like the lines' url.
          endpoint: this.flavour.url as OpenAI.Batches.BatchCreateParams['endpoint'],
          completion_window: '24h',
          output_expires_after: { anchor: 'created_at', seconds: this.flavour.outputExpiresSeconds },
          metadata,
        }),
      ),
    );
  }

  /** The batch's state; a batch the server no longer knows (404) reads as `vanished`. */
  retrieve(id: string): Promise<BatchInfo> {
    return this.orVanished(id, () => this.client.batches.retrieve(id));
  }

  cancel(id: string): Promise<BatchInfo> {
    return this.orVanished(id, () => this.client.batches.cancel(id));
  }

  private orVanished(id: string, fn: () => Promise<OpenAI.Batches.Batch>): Promise<BatchInfo> {
    return this.call(async () => {
      try {
        return infoOf(await fn());
      } catch (err) {
        if (err instanceof OpenAI.NotFoundError) return vanished(id);
        throw err;
      }
    });
  }

  /** Deletes a file at the provider; one already gone (404) counts as deleted. */
  deleteFile(fileId: string): Promise<void> {
    return this.call(async () => {
      try {
        await this.client.files.delete(fileId);
      } catch (err) {
        if (!(err instanceof OpenAI.NotFoundError)) throw err;
      }
    });
  }

  /** A file's content as text (output and error files are JSONL). */
  download(fileId: string): Promise<string> {
    return this.call(async () =>
      (await this.client.files.content(fileId, { timeout: Math.max(this.ctx.timeoutMs, FILE_TIMEOUT_MS) })).text(),
    );
  }
}

function vanished(id: string): BatchInfo {
  return {
    id,
    status: 'vanished',
    total: 0,
    completed: 0,
    failed: 0,
    outputFileId: null,
    errorFileId: null,
    error: 'the server no longer knows this batch (404)',
  };
}
