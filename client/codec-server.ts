// `clinsynth codec-server`: the Temporal Web UI's remote codec endpoint (POST /encode, /decode) over this process's keys.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { AesGcmCodec, KEY_ENV, KEY_FILE_ENV, keysFromEnv } from '../lib/run/codec.js';

/** The UI origins of `temporal server start-dev` (and of the embedded server clinsynth starts). */
export const DEFAULT_UI_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** The Web UI's JSON form of payloads: metadata values and data in base64. */
const jsonPayloads = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), z.base64()).optional(),
      data: z.base64().optional(),
    }),
  ),
});

export interface CodecServerOptions {
  codec: PayloadCodec;
  port?: number;
  host?: string;
  /** Browser origins allowed by CORS (default: the dev server's UI on 8233). */
  origins?: string[];
  /** Told of each answered request (the CLI warns of refused origins; tests see what the browser asked). */
  onRequest?: (r: CodecRequest) => void;
}

export interface CodecRequest {
  method: string;
  path: string;
  /** The browser's Origin header; absent for non-browser callers. */
  origin?: string;
  status: number;
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

export async function startCodecServer(opts: CodecServerOptions): Promise<CodecServer> {
  const origins = new Set(opts.origins ?? DEFAULT_UI_ORIGINS);
  const server = createServer((req, res) => {
    if (opts.onRequest) {
      const seen = opts.onRequest;
      res.once('finish', () =>
        seen({
          method: req.method ?? '',
          path: (req.url ?? '/').split('?')[0] ?? '/',
          origin: req.headers.origin,
          status: res.statusCode,
        }),
      );
    }
    void handle(req, res, opts.codec, origins).catch((e) => reply(res, 500, { message: (e as Error).message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8888, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  codec: PayloadCodec,
  origins: Set<string>,
): Promise<void> {
  const origin = req.headers.origin;
  if (origin && origins.has(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'x-namespace, content-type');
    res.setHeader('Access-Control-Max-Age', '600');
    res.setHeader('Vary', 'Origin');
  }
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'OPTIONS') {
    res.writeHead(origin && !origins.has(origin) ? 403 : 204).end();
    return;
  }
  if (path !== '/encode' && path !== '/decode') return reply(res, 404, { message: 'POST /encode or /decode' });
  if (req.method !== 'POST') return reply(res, 405, { message: 'POST only' });
  if (origin && !origins.has(origin)) return reply(res, 403, { message: `origin ${origin} is not allowed` });
  const body = await readBody(req);
  if (body === undefined) return reply(res, 413, { message: `body over ${MAX_BODY_BYTES} bytes` });
  let parsed: z.infer<typeof jsonPayloads>;
  try {
    parsed = jsonPayloads.parse(JSON.parse(body));
  } catch {
    return reply(res, 400, { message: 'expected {"payloads":[{"metadata":{key:base64},"data":base64}]}' });
  }
  const payloads: Payload[] = parsed.payloads.map((p) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
    ),
    data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
  }));
  let out: Payload[];
  try {
    out = path === '/encode' ? await codec.encode(payloads) : await codec.decode(payloads);
  } catch (e) {
    return reply(res, 400, { message: (e as Error).message });
  }
  reply(res, 200, {
    payloads: out.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
    })),
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const portArg = z.coerce.number().int().min(0).max(65535);

/** `clinsynth codec-server [--port N]`: needs the key(s) of the runs it decodes; runs until Ctrl-C. */
export async function codecServerCommand(args: string[], say: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: 'string', default: '8888' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  if (positionals.length) throw new Error(`codec-server: unexpected argument ${positionals[0]}`);
  const port = portArg.safeParse(values.port);
  if (!port.success) throw new Error(`codec-server: --port must be a port number, got "${values.port}"`);
  const keys = keysFromEnv();
  if (!keys)
    throw new Error(`codec-server: no key to decode with: set ${KEY_ENV} or ${KEY_FILE_ENV} (the keys of the workers)`);
  const origins = [...DEFAULT_UI_ORIGINS];
  const ui = process.env.CLINSYNTH_UI_URL;
  if (ui) {
    try {
      origins.push(new URL(ui).origin);
    } catch {
      throw new Error(`CLINSYNTH_UI_URL: "${ui}" is not a URL`);
    }
  }
  // A UI on another port is the usual reason the UI shows ciphertext: say so once per origin.
  const refused = new Set<string>();
  const onRequest = (r: CodecRequest): void => {
    if (r.status !== 403 || !r.origin || refused.has(r.origin)) return;
    refused.add(r.origin);
    say(
      `refused ${r.method} ${r.path} from the browser origin ${r.origin}: set CLINSYNTH_UI_URL=${r.origin} to allow it`,
    );
  };
  const server = await startCodecServer({
    codec: new AesGcmCodec(keys),
    port: port.data,
    host: values.host,
    origins,
    onRequest,
  });
  say(
    `codec server on ${server.url} (keys ${keys.map((k) => k.id).join(', ')}; CORS for ${origins.join(', ')}); Ctrl-C stops it`,
  );
  say(
    `  Temporal Web UI: "Configure Codec Server" (top bar) → "Use my browser setting" → ${server.url}, or start clinsynth's server with CLINSYNTH_CODEC_ENDPOINT=${server.url} (your own: \`temporal server start-dev --ui-codec-endpoint ${server.url}\`)`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
