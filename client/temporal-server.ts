// Finds or starts the Temporal server: TEMPORAL_ADDRESS if set, else the embedded dev server with a SQLite file.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { clinsynthHome, requireInstalled, TEMPORAL_BIN } from '../lib/run/paths.js';
import { SEARCH_ATTRIBUTES } from '../workflows/contract.js';

export interface TemporalTarget {
  address: string;
  namespace: string;
  /** Web UI base, e.g. http://localhost:8233 */
  uiBase: string;
  /** True when this process started the server (it keeps running for later runs). */
  started: boolean;
}

export interface DevServerOptions {
  /** Folder for the database file, pid and log. */
  home: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  /** The Web UI's codec server (`--ui-codec-endpoint`): the browser sends payloads there to be decoded. */
  uiCodecEndpoint?: string;
  /** Keep running after this process exits (the CLI's embedded server); tests leave this false. */
  detached?: boolean;
}

export interface DevServer {
  address: string;
  uiBase: string;
  pid: number;
  dbFile: string;
  stop(): Promise<void>;
}

export const DEFAULT_PORT = 7233;

export function namespace(): string {
  return process.env.TEMPORAL_NAMESPACE ?? 'default';
}

/** Starts `temporal server start-dev` with persistence and the search attributes clinsynth uses, and waits for it. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const bin = requireInstalled(TEMPORAL_BIN, 'The Temporal CLI');
  mkdirSync(opts.home, { recursive: true });
  const port = opts.port ?? DEFAULT_PORT;
  const uiPort = opts.uiPort ?? port + 1000;
  const dbFile = join(opts.home, 'temporal.db');
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--namespace',
    namespace(),
    '--log-level',
    'warn',
    '--search-attribute',
    `${SEARCH_ATTRIBUTES.experiment}=Keyword`,
    '--search-attribute',
    `${SEARCH_ATTRIBUTES.stage}=Keyword`,
    '--search-attribute',
    `${SEARCH_ATTRIBUTES.study}=Keyword`,
    // Wide fan-outs: allow many pending activities per run.
    '--dynamic-config-value',
    'limit.numPendingActivities.error=10000',
  ];
  if (opts.headless) args.push('--headless');
  if (opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  const log = openSync(join(opts.home, 'temporal-server.log'), 'a');
  const child = spawn(bin, args, { detached: opts.detached ?? false, stdio: ['ignore', log, log] });
  if (opts.detached) child.unref();
  const address = `127.0.0.1:${port}`;
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));
  try {
    await waitForServer(address, 60_000, () =>
      exited !== null
        ? `the server exited with code ${exited}; see ${join(opts.home, 'temporal-server.log')}`
        : undefined,
    );
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  writeFileSync(join(opts.home, 'temporal-server.pid'), String(child.pid));
  return {
    address,
    uiBase: `http://localhost:${uiPort}`,
    pid: child.pid!,
    dbFile,
    stop: async () => {
      if (exited !== null) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Waits until the frontend answers (cold starts can take tens of seconds on a busy machine). */
export async function waitForServer(
  address: string,
  timeoutMs: number,
  whyNot?: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const reason = whyNot?.();
    if (reason) throw new Error(`Temporal server at ${address} did not start: ${reason}`);
    if (await isServing(address)) return;
    last = 'not answering yet';
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Temporal server at ${address} did not answer within ${timeoutMs / 1000}s (${last})`);
}

export async function isServing(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.getSystemInfo({});
    await connection.workflowService.describeNamespace({ namespace: namespace() });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}

/** Registers clinsynth's search attributes on a server (one at a time: existing ones are fine, missing ones are added). */
export async function registerSearchAttributes(connection: Connection): Promise<void> {
  for (const name of Object.values(SEARCH_ATTRIBUTES)) {
    try {
      await connection.operatorService.addSearchAttributes({ namespace: namespace(), searchAttributes: { [name]: 2 } }); // 2 = KEYWORD
    } catch (e) {
      const msg = String((e as Error).message ?? e);
      if (!/already exists|AlreadyExists/i.test(msg))
        throw new Error(`could not register search attribute ${name}: ${msg}`, { cause: e });
    }
  }
}

/**
 * The server to use: TEMPORAL_ADDRESS when set (starts nothing), else the embedded dev server on 127.0.0.1:7233,
 * reused when it already runs, started detached otherwise with its database under CLINSYNTH_HOME.
 */
export async function ensureTemporal(log: (line: string) => void = () => {}): Promise<TemporalTarget> {
  const external = process.env.TEMPORAL_ADDRESS;
  if (external) {
    const connection = await Connection.connect({ address: external });
    try {
      await registerSearchAttributes(connection);
    } finally {
      await connection.close();
    }
    return {
      address: external,
      namespace: namespace(),
      uiBase: process.env.CLINSYNTH_UI_URL ?? uiGuess(external),
      started: false,
    };
  }
  const home = clinsynthHome();
  const address = `127.0.0.1:${DEFAULT_PORT}`;
  if (await isServing(address)) {
    // A server started by an older clinsynth may lack a newer search attribute (ClinsynthStudy).
    const connection = await Connection.connect({ address });
    try {
      await registerSearchAttributes(connection);
    } finally {
      await connection.close();
    }
    return { address, namespace: namespace(), uiBase: 'http://localhost:8233', started: false };
  }
  log(`starting the embedded Temporal dev server (database ${join(home, 'temporal.db')})…`);
  const server = await startDevServer({ home, detached: true, ...codecEndpointFromEnv() });
  return { address: server.address, namespace: namespace(), uiBase: server.uiBase, started: true };
}

/** CLINSYNTH_CODEC_ENDPOINT: the codec server the embedded server's Web UI calls (its --ui-codec-endpoint). */
export function codecEndpointFromEnv(): { uiCodecEndpoint?: string } {
  const url = process.env.CLINSYNTH_CODEC_ENDPOINT?.trim();
  return url ? { uiCodecEndpoint: url } : {};
}

/** Stops the embedded server that `ensureTemporal` started earlier (by its pid file). */
export function stopEmbeddedServer(): boolean {
  const pidFile = join(clinsynthHome(), 'temporal-server.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile);
  try {
    process.kill(pid, 'SIGTERM');
    return true;
  } catch {
    return false;
  }
}

function uiGuess(address: string): string {
  const [host, port] = address.split(':');
  return `http://${host === '127.0.0.1' ? 'localhost' : host}:${Number(port ?? DEFAULT_PORT) + 1000}`;
}
