// The viewer's HTTP server: the page and its script (served from client/view/assets, nothing from the web) and the JSON API over each variant's RunStore.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { isCell, rowQuerySchema, RunStore, type Json } from './store.js';

export interface ViewerVariant {
  /** The study variant's id, or the run id for a single run. */
  id: string;
  runDir: string;
}

const ASSETS = fileURLToPath(new URL('./assets/', import.meta.url));
const STATIC: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
};
/** Only this origin's own files: no CDN, no inline script, no framing. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const bronzeQuery = z.strictObject({
  label: z.string().max(200).default(''),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  variant: z.string().optional(),
});
const cellQuery = z.strictObject({
  stage: z.enum(['before', 'after']).default('before'),
  variant: z.string().optional(),
});
const variantQuery = z.strictObject({ variant: z.string().optional() });

function parse<T>(schema: z.ZodType<T>, params: URLSearchParams): T {
  const r = schema.safeParse(Object.fromEntries(params));
  if (!r.success)
    throw new HttpError(
      400,
      r.error.issues.map((i) => `query: ${i.path.join('.') || '(query)'}: ${i.message}`).join('; '),
    );
  return r.data;
}

/** Starts the viewer on host:port (port 0: any free port); `allowedHosts`: Host headers accepted (DNS-rebinding guard). */
export async function startViewer(opts: {
  variants: ViewerVariant[];
  host: string;
  port: number;
  checkHostHeader: boolean;
  /** Progress lines while opening (a run's first open builds its row index). */
  say?: (line: string) => void;
}): Promise<{ url: string; close(): Promise<void> }> {
  const stores = new Map<string, RunStore>();
  for (const v of opts.variants) stores.set(v.id, await RunStore.open(v.runDir, opts.say));
  const first = opts.variants[0]!.id;
  const storeFor = (variant: string | undefined): RunStore => {
    const s = stores.get(variant ?? first);
    if (!s) throw new HttpError(404, `no variant "${variant}"`);
    return s;
  };
  const assets = Object.fromEntries(
    Object.entries(STATIC).map(([path, [file, type]]) => [path, { body: readFileSync(join(ASSETS, file)), type }]),
  );
  let port = opts.port;

  const api = async (path: string, params: URLSearchParams): Promise<unknown> => {
    if (path === '/api/meta') {
      const s = storeFor(parse(variantQuery, params).variant);
      return {
        experiment: s.experiment.name,
        labels: s.experiment.labels,
        variants: opts.variants.map((v) => v.id),
        facets: await s.facets(),
      };
    }
    if (path === '/api/rows') {
      const q = parse(rowQuerySchema, params);
      return storeFor(q.variant).rows(q);
    }
    const row = /^\/api\/rows\/(.+)$/.exec(path);
    if (row) {
      const { variant } = parse(variantQuery, params);
      const s = storeFor(variant);
      const detail = await s.row(decodeURIComponent(row[1]!));
      if (!detail) throw new HttpError(404, `no row ${row[1]}`);
      const text = String((detail.row as Json).text);
      const others: Json[] = [];
      for (const [id, other] of stores)
        if (other !== s) for (const r of await other.sameText(text)) others.push({ variant: id, ...r });
      return { ...detail, otherVariants: others };
    }
    if (path === '/api/fidelity') return { fidelity: storeFor(parse(variantQuery, params).variant).fidelity() };
    if (path === '/api/confusion') return storeFor(parse(variantQuery, params).variant).confusion();
    const cell = /^\/api\/confusion\/([^/]+)\/([^/]+)$/.exec(path);
    if (cell) {
      const q = parse(cellQuery, params);
      const c = decodeURIComponent(cell[2]!);
      if (!isCell(c)) throw new HttpError(400, `cell must be tp, fp, fn or tn, got "${c}"`);
      return { sentences: storeFor(q.variant).confusionCell(decodeURIComponent(cell[1]!), c, q.stage) };
    }
    if (path === '/api/bronze') {
      const q = parse(bronzeQuery, params);
      return { rows: await storeFor(q.variant).bronze(q.label, q.limit) };
    }
    throw new HttpError(404, `no route ${path}`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS });
      res.end(body);
    };
    try {
      if (req.method !== 'GET') throw new HttpError(405, 'only GET');
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (opts.checkHostHeader && !['127.0.0.1', 'localhost', '[::1]'].includes(host))
        throw new HttpError(403, `Host "${req.headers.host}" refused: the viewer answers loopback names only`);
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      const asset = assets[url.pathname];
      if (asset) return send(200, asset.type, asset.body);
      if (!url.pathname.startsWith('/api/')) throw new HttpError(404, `no page ${url.pathname}`);
      send(200, 'application/json; charset=utf-8', JSON.stringify(await api(url.pathname, url.searchParams)));
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      send(
        status,
        'application/json; charset=utf-8',
        JSON.stringify({ error: e instanceof Error ? e.message : String(e) }),
      );
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${shownHost}:${port}/`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of stores.values()) s.close();
    },
  };
}
