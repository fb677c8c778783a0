// The fake server's /v1/files and /v1/batches: statuses on timers (validating → in_progress → finalizing → completed), fault modes.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatBody, FakeLlmFaults, FakeLlmStats } from './fake-llm-server.js';
import type { ApiRefusal } from './fake-api-rules.js';

export interface FakeBatchEnv {
  faults(): FakeLlmFaults;
  stats(): FakeLlmStats;
  /** The chat completion the online endpoint would give for this body. */
  answer(id: string, body: ChatBody): { usage: { prompt_tokens: number; completion_tokens: number } };
  /** Checks the API key as every route does; false when it answered 401. */
  authorized(req: IncomingMessage, res: ServerResponse): boolean;
  /** Why the chat endpoint would refuse this body (a batch line gets the same answer, in the error file). */
  refusal(body: ChatBody): ApiRefusal | null;
  sendJson(res: ServerResponse, status: number, body: unknown): void;
  apiError(res: ServerResponse, status: number, message: string, type: string, code: string | null): void;
}

interface FakeFile {
  id: string;
  filename: string;
  purpose: string;
  created_at: number;
  content: string;
}

type Outcome = FakeLlmFaults['batchOutcomes'][number];
type Status =
  'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

interface FakeBatch {
  id: string;
  input_file_id: string;
  endpoint: string;
  metadata: Record<string, string> | null;
  created_at: number;
  createdMs: number;
  outcome: Outcome;
  /** Timings fixed at creation, so a fault change later does not move a batch already running. */
  timings: { validating: number; inProgress: number; finalizing: number; cancelling: number; answeredShare: number };
  cancellingMs?: number;
  final?: {
    status: Status;
    output_file_id: string | null;
    error_file_id: string | null;
    completed: number;
    failed: number;
    errors?: { code: string; message: string; line?: number }[];
  };
  total: number;
}

const nowSec = () => Math.floor(Date.now() / 1000);
const FILE_PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'];
/** OpenAI keeps a file with `expires_after` between an hour and 30 days. */
const validExpiry = (seconds: string): boolean =>
  /^\d+$/.test(seconds) && Number(seconds) >= 3600 && Number(seconds) <= 2_592_000;
const hashInt = (text: string) => createHash('sha256').update(text).digest().readUInt32BE(0);

/** `multipart/form-data` fields of a request body (text fields and file contents as UTF-8). */
function multipart(req: IncomingMessage, raw: string): Map<string, { value: string; filename?: string }> {
  const out = new Map<string, { value: string; filename?: string }>();
  const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers['content-type'] ?? '');
  if (!m) return out;
  const boundary = `--${m[1] ?? m[2]}`;
  for (const part of raw.split(boundary)) {
    const at = part.indexOf('\r\n\r\n');
    if (at < 0) continue;
    const head = part.slice(0, at);
    const name = /name="([^"]*)"/.exec(head)?.[1];
    if (!name) continue;
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    const value = part.slice(at + 4).replace(/\r\n$/, '');
    out.set(name, filename === undefined ? { value } : { value, filename });
  }
  return out;
}

export function fakeBatchApi(env: FakeBatchEnv) {
  const files = new Map<string, FakeFile>();
  const batches = new Map<string, FakeBatch>();
  /** Requests (custom_id + body) a batch has already failed once with an error line: the next ask succeeds. */
  const failedOnce = new Set<string>();
  let seq = 0;

  const addFile = (content: string, filename: string, purpose: string): FakeFile => {
    const f = { id: `file-fake-${++seq}`, filename, purpose, created_at: nowSec(), content };
    files.set(f.id, f);
    return f;
  };
  const fileObject = (f: FakeFile) => ({
    id: f.id,
    object: 'file',
    bytes: Buffer.byteLength(f.content),
    created_at: f.created_at,
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
    expires_at: null,
    status_details: null,
  });

  /** The batch's lines, checked as the real API checks them at validation; a problem fails the batch. */
  const readLines = (
    b: FakeBatch,
  ):
    | { lines: { custom_id: string; body: ChatBody }[] }
    | { error: { code: string; message: string; line?: number } } => {
    const content = files.get(b.input_file_id)?.content ?? '';
    if (content.startsWith('\uFEFF'))
      return { error: { code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', line: 1 } };
    const lines: { custom_id: string; body: ChatBody }[] = [];
    const ids = new Set<string>();
    const rows = content.split('\n').filter((l) => l.trim());
    for (const [i, text] of rows.entries()) {
      let line: { custom_id?: unknown; method?: unknown; url?: unknown; body?: unknown };
      try {
        line = JSON.parse(text);
      } catch {
        return {
          error: { code: 'invalid_json_line', message: 'This line is not parseable as valid JSON.', line: i + 1 },
        };
      }
      if (
        typeof line.custom_id !== 'string' ||
        line.method !== 'POST' ||
        line.url !== b.endpoint ||
        !line.body ||
        typeof line.body !== 'object'
      ) {
        return {
          error: {
            code: 'invalid_request',
            message: `custom_id, method POST, url ${b.endpoint} and body are required`,
            line: i + 1,
          },
        };
      }
      if (ids.has(line.custom_id))
        return {
          error: {
            code: 'duplicate_custom_id',
            message: 'The custom_id for this request is a duplicate of another request.',
            line: i + 1,
          },
        };
      ids.add(line.custom_id);
      const model = (line.body as ChatBody).model;
      if (lines.length && model !== lines[0]!.body.model)
        return {
          error: {
            code: 'model_mismatch',
            message: `All requests in a batch must use the same model: line 1 has '${String(lines[0]!.body.model)}', this line '${String(model)}'.`,
            line: i + 1,
          },
        };
      lines.push({ custom_id: line.custom_id, body: line.body as ChatBody });
    }
    return { lines };
  };

  /** Ends a batch: answers its lines (all, or the first share), writes its output and error files. */
  const finish = (b: FakeBatch, status: Status): void => {
    const read = readLines(b);
    if ('error' in read) {
      b.final = {
        status: 'failed',
        output_file_id: null,
        error_file_id: null,
        completed: 0,
        failed: 0,
        errors: [read.error],
      };
      return;
    }
    const { lines } = read;
    const faults = env.faults();
    const stats = env.stats();
    const answeredUpTo = status === 'completed' ? lines.length : Math.floor(lines.length * b.timings.answeredShare);
    const output: string[] = [];
    const errors: string[] = [];
    lines.forEach((line, i) => {
      const reqId = `batch_req_${b.id}_${i}`;
      if (i >= answeredUpTo) {
        const code = status === 'cancelled' ? 'batch_cancelled' : 'batch_expired';
        errors.push(
          JSON.stringify({
            id: reqId,
            custom_id: line.custom_id,
            response: null,
            error: { code, message: 'This request could not be executed before the completion window expired.' },
          }),
        );
        return;
      }
      const once = `${line.custom_id}:${JSON.stringify(line.body)}`;
      const errorLine =
        b.outcome === 'nullOutput' ||
        (!failedOnce.has(once) && (hashInt(once) % 10_000) / 10_000 < faults.batchErrorLineShare);
      if (errorLine) {
        failedOnce.add(once);
        const body = {
          error: {
            message: 'The server had an error while processing your request.',
            type: 'server_error',
            param: null,
            code: null,
          },
        };
        errors.push(
          JSON.stringify({
            id: reqId,
            custom_id: line.custom_id,
            response: { status_code: 500, request_id: `req_${reqId}`, body },
            error: null,
          }),
        );
        return;
      }
      const refused = env.refusal(line.body);
      if (refused) {
        const { status: status_code, headers: _, ...error } = refused;
        errors.push(
          JSON.stringify({
            id: reqId,
            custom_id: line.custom_id,
            response: { status_code, request_id: `req_${reqId}`, body: { error } },
            error: null,
          }),
        );
        return;
      }
      const completion = env.answer(`chatcmpl-${reqId}`, line.body);
      stats.batchLines++;
      stats.batchPromptTokens += completion.usage.prompt_tokens;
      stats.batchCompletionTokens += completion.usage.completion_tokens;
      output.push(
        JSON.stringify({
          id: reqId,
          custom_id: line.custom_id,
          response: { status_code: 200, request_id: `req_${reqId}`, body: completion },
          error: null,
        }),
      );
    });
    // Output lines come in no particular order (the real API does not keep it either): reversed here.
    output.reverse();
    const out =
      output.length && b.outcome !== 'nullOutput'
        ? addFile(output.join('\n') + '\n', `${b.id}_output.jsonl`, 'batch_output').id
        : null;
    const err = errors.length ? addFile(errors.join('\n') + '\n', `${b.id}_error.jsonl`, 'batch_output').id : null;
    b.final = { status, output_file_id: out, error_file_id: err, completed: output.length, failed: errors.length };
  };

  /** The batch's status now, moving it along its timeline (and ending it when its time has come). */
  const advance = (b: FakeBatch): Status => {
    if (b.final) return b.final.status;
    const now = Date.now();
    const t = b.timings;
    if (b.cancellingMs !== undefined) {
      if (now < b.cancellingMs + t.cancelling) return 'cancelling';
      finish(b, 'cancelled');
      return b.final!.status;
    }
    const elapsed = now - b.createdMs;
    if (elapsed < t.validating) return 'validating';
    if (b.outcome === 'fail') {
      b.final = {
        status: 'failed',
        output_file_id: null,
        error_file_id: null,
        completed: 0,
        failed: 0,
        errors: [
          {
            code: 'token_limit_exceeded',
            message:
              'Enqueued token limit reached for fake-model in organization org-fake. Limit: 90,000 enqueued tokens.',
          },
        ],
      };
      return 'failed';
    }
    if (elapsed < t.validating + t.inProgress || env.faults().batchHold) return 'in_progress';
    if (b.outcome === 'expire') {
      finish(b, 'expired');
      return b.final!.status;
    }
    if (elapsed < t.validating + t.inProgress + t.finalizing) return 'finalizing';
    finish(b, 'completed');
    return b.final!.status;
  };

  const batchObject = (b: FakeBatch) => {
    const status = advance(b);
    const f = b.final;
    const running =
      status === 'in_progress' || status === 'finalizing'
        ? Math.min(
            b.total,
            Math.floor(
              (b.total * (Date.now() - b.createdMs - b.timings.validating)) / Math.max(1, b.timings.inProgress),
            ),
          )
        : 0;
    return {
      id: b.id,
      object: 'batch',
      endpoint: b.endpoint,
      errors: f?.errors ? { object: 'list', data: f.errors } : null,
      input_file_id: b.input_file_id,
      completion_window: '24h',
      status,
      output_file_id: f ? f.output_file_id : null,
      error_file_id: f ? f.error_file_id : null,
      created_at: b.created_at,
      metadata: b.metadata,
      request_counts: { total: b.total, completed: f ? f.completed : Math.max(0, running), failed: f ? f.failed : 0 },
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string, path: string): Promise<void> => {
    const faults = env.faults();
    const stats = env.stats();
    const parts = path.split('/').filter(Boolean); // v1, files|batches, id?, action?
    const [, kind, id, action] = parts;
    if (!env.authorized(req, res)) return;
    if (kind === 'files') {
      if (req.method === 'POST' && !id) {
        const form = multipart(req, raw);
        const file = form.get('file');
        const purpose = form.get('purpose')?.value;
        if (!file || !purpose)
          return env.apiError(
            res,
            400,
            "Missing required parameter: 'file' or 'purpose'.",
            'invalid_request_error',
            null,
          );
        if (!FILE_PURPOSES.includes(purpose))
          return env.apiError(
            res,
            400,
            `Invalid value for 'purpose': '${purpose}'. Supported values are: ${FILE_PURPOSES.map((p) => `'${p}'`).join(', ')}.`,
            'invalid_request_error',
            'invalid_value',
          );
        const seconds = form.get('expires_after[seconds]')?.value;
        if (
          seconds !== undefined &&
          (form.get('expires_after[anchor]')?.value !== 'created_at' || !validExpiry(seconds))
        )
          return env.apiError(
            res,
            400,
            "Invalid 'expires_after': anchor must be 'created_at' and seconds between 3600 and 2592000.",
            'invalid_request_error',
            'invalid_value',
          );
        stats.fileExpiresAfter.push(seconds === undefined ? null : Number(seconds));
        stats.filesUploaded++;
        return env.sendJson(res, 200, fileObject(addFile(file.value, file.filename ?? 'upload.jsonl', purpose)));
      }
      const f = id ? files.get(id) : undefined;
      if (!f) return env.apiError(res, 404, `No such File object: ${id}`, 'invalid_request_error', null);
      if (req.method === 'GET' && action === 'content') {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': Buffer.byteLength(f.content),
        });
        res.end(f.content);
        return;
      }
      if (req.method === 'GET' && !action) return env.sendJson(res, 200, fileObject(f));
      if (req.method === 'DELETE' && !action) {
        files.delete(f.id);
        stats.filesDeleted.push(f.id);
        return env.sendJson(res, 200, { id: f.id, object: 'file', deleted: true });
      }
      return env.apiError(res, 404, `no route ${req.method} ${path}`, 'invalid_request_error', null);
    }
    // batches
    if (req.method === 'POST' && !id) {
      let body: {
        input_file_id?: unknown;
        endpoint?: unknown;
        completion_window?: unknown;
        metadata?: unknown;
        output_expires_after?: { anchor?: unknown; seconds?: unknown };
      };
      try {
        body = JSON.parse(raw);
      } catch {
        return env.apiError(
          res,
          400,
          'We could not parse the JSON body of your request.',
          'invalid_request_error',
          null,
        );
      }
      const input = typeof body.input_file_id === 'string' ? files.get(body.input_file_id) : undefined;
      if (!input)
        return env.apiError(
          res,
          400,
          `Invalid 'input_file_id': ${String(body.input_file_id)}`,
          'invalid_request_error',
          null,
        );
      if (input.purpose !== 'batch')
        return env.apiError(
          res,
          400,
          `Invalid 'input_file_id': '${input.id}'. The file must have purpose 'batch', not '${input.purpose}'.`,
          'invalid_request_error',
          'invalid_value',
        );
      const expiry = body.output_expires_after;
      if (expiry !== undefined && (expiry.anchor !== 'created_at' || !validExpiry(String(expiry.seconds))))
        return env.apiError(
          res,
          400,
          "Invalid 'output_expires_after': anchor must be 'created_at' and seconds between 3600 and 2592000.",
          'invalid_request_error',
          'invalid_value',
        );
      stats.batchOutputExpiresAfter.push(expiry === undefined ? null : Number(expiry.seconds));
      if (body.endpoint !== '/v1/chat/completions' && body.endpoint !== '/chat/completions')
        return env.apiError(res, 400, `Invalid 'endpoint': ${String(body.endpoint)}`, 'invalid_request_error', null);
      if (body.completion_window !== '24h')
        return env.apiError(
          res,
          400,
          `Invalid 'completion_window': ${String(body.completion_window)}`,
          'invalid_request_error',
          null,
        );
      const [outcome = 'complete', ...rest] = faults.batchOutcomes;
      faults.batchOutcomes = rest;
      const b: FakeBatch = {
        id: `batch_fake_${++seq}`,
        input_file_id: input.id,
        endpoint: body.endpoint,
        metadata: (body.metadata as Record<string, string> | undefined) ?? null,
        created_at: nowSec(),
        createdMs: Date.now(),
        outcome,
        timings: {
          validating: faults.batchValidatingMs,
          inProgress: faults.batchInProgressMs,
          finalizing: faults.batchFinalizingMs,
          cancelling: faults.batchCancellingMs,
          answeredShare: faults.batchAnsweredShare,
        },
        total: input.content.split('\n').filter((l) => l.trim()).length,
      };
      const hash = createHash('sha256').update(input.content).digest('hex');
      stats.batchesCreated++;
      stats.batchesByInputHash[hash] = (stats.batchesByInputHash[hash] ?? 0) + 1;
      const answer = batchObject(b);
      // A vanished batch was created (and counted), then the server forgot it.
      if (outcome !== 'vanish') batches.set(b.id, b);
      if (faults.batchCreateDelayMs > 0) await new Promise((r) => setTimeout(r, faults.batchCreateDelayMs));
      return env.sendJson(res, 200, answer);
    }
    if (req.method === 'GET' && !id) {
      const url = new URL(req.url ?? '/', 'http://fake');
      const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 20));
      const after = url.searchParams.get('after');
      const all = [...batches.values()].reverse(); // newest first
      const from = after ? all.findIndex((b) => b.id === after) + 1 : 0;
      const page = all.slice(from, from + limit);
      return env.sendJson(res, 200, {
        object: 'list',
        data: page.map(batchObject),
        first_id: page[0]?.id ?? null,
        last_id: page.at(-1)?.id ?? null,
        has_more: from + limit < all.length,
      });
    }
    const b = id ? batches.get(id) : undefined;
    if (!b) return env.apiError(res, 404, `No batch found with id '${id}'.`, 'invalid_request_error', null);
    if (req.method === 'GET' && !action) return env.sendJson(res, 200, batchObject(b));
    if (req.method === 'POST' && action === 'cancel') {
      const status = advance(b);
      if (status === 'validating' || status === 'in_progress' || status === 'finalizing') {
        b.cancellingMs = Date.now();
        stats.batchesCancelled++;
      }
      return env.sendJson(res, 200, batchObject(b));
    }
    return env.apiError(res, 404, `no route ${req.method} ${path}`, 'invalid_request_error', null);
  };

  return { handle };
}
