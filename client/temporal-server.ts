// Finds or starts the Temporal server: the configured one (TEMPORAL_ADDRESS, a profile, --address) if any, else
// the embedded dev server with a SQLite file under CLINSYNTH_HOME (reused only when it is that home's own).
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { clinsynthHome, requireInstalled, TEMPORAL_BIN } from '../lib/config/paths.js';
import { SEARCH_ATTRIBUTES } from '../workflows/contract.js';
import {
  checkNamespace,
  connectClient,
  plainSettings,
  resolveSettings,
  uiBaseFor,
  type TemporalSettings,
  type TemporalTargetSettings,
} from './connection.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { foreignServerProblem, ownRunningServer } from './server-owner.js';

export interface TemporalTarget {
  /** The settings to connect with (address known). */
  settings: TemporalTargetSettings;
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
  /** Interface to listen on (default 127.0.0.1; 0.0.0.0 serves other machines). */
  ip?: string;
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

/** The namespace the connection settings name (TEMPORAL_NAMESPACE, the profile's, --namespace), else `default`. */
export function namespace(): string {
  return resolveSettings().namespace;
}

/** Starts `temporal server start-dev` with persistence and the search attributes clinsynth uses, and waits for it. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const bin = requireInstalled(TEMPORAL_BIN, 'The Temporal CLI');
  mkdirSync(opts.home, { recursive: true });
  const port = opts.port ?? DEFAULT_PORT;
  const uiPort = opts.uiPort ?? port + 1000;
  const dbFile = join(opts.home, 'temporal.db');
  const ip = opts.ip ?? '127.0.0.1';
  const ns = namespace();
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    ip,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--namespace',
    ns,
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
  const address = `${ip === '0.0.0.0' || ip === '::' ? '127.0.0.1' : ip}:${port}`;
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));
  try {
    await waitForServer(address, 60_000, ns, () =>
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
    uiBase: `http://${ip === '127.0.0.1' || ip === '0.0.0.0' ? 'localhost' : ip}:${uiPort}`,
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
  ns: string,
  whyNot?: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const reason = whyNot?.();
    if (reason) throw new Error(`Temporal server at ${address} did not start: ${reason}`);
    if (await isServing(address, ns)) return;
    last = 'not answering yet';
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Temporal server at ${address} did not answer within ${timeoutMs / 1000}s (${last})`);
}

/** True when a plaintext frontend at `address` answers and has the namespace (a local dev server). */
export async function isServing(address: string, ns = namespace(), timeoutMs = 1000): Promise<boolean> {
  try {
    const connection = await connectClient(plainSettings(address, ns), { timeoutMs, diagnose: false });
    try {
      await connection.workflowService.describeNamespace({ namespace: ns });
      return true;
    } finally {
      await connection.close().catch(() => {});
    }
  } catch {
    return false;
  }
}

/**
 * The server to use: the configured one when the settings name an address (starts nothing; checks the namespace
 * and the search attributes), else the embedded dev server on 127.0.0.1:7233 — reused when it runs and is this
 * CLINSYNTH_HOME's own, started detached otherwise with its database under CLINSYNTH_HOME.
 */
export async function ensureTemporal(
  log: (line: string) => void = () => {},
  settings: TemporalSettings = resolveSettings(),
): Promise<TemporalTarget> {
  if (settings.address) {
    const s = settings as TemporalTargetSettings;
    const connection = await connectClient(s);
    try {
      await checkNamespace(connection, s);
      await ensureSearchAttributes(connection, s, log);
    } finally {
      await connection.close();
    }
    return { settings: s, address: s.address, namespace: s.namespace, uiBase: uiBaseFor(s.address), started: false };
  }
  const home = clinsynthHome();
  const s = { ...settings, address: `127.0.0.1:${DEFAULT_PORT}` };
  const own = ownRunningServer(home);
  if (own && own.port !== DEFAULT_PORT)
    throw new Error(
      `this CLINSYNTH_HOME's Temporal server (pid ${own.pid}) runs on port ${own.port ?? '?'}, not ${DEFAULT_PORT}: set TEMPORAL_ADDRESS=127.0.0.1:${own.port ?? '<port>'} (or --address) to use it, or stop it (\`clinsynth server stop\`)`,
    );
  // This home's server may still be starting, or slow to answer on a busy machine: wait for it, never start a second.
  if (own) await waitForServer(s.address, 60_000, s.namespace);
  if (own || (await isServing(s.address, s.namespace, 3000))) {
    const problem = foreignServerProblem(home, DEFAULT_PORT);
    if (problem) throw new Error(problem);
    // A server started by an older clinsynth may lack a newer search attribute (ClinsynthStudy).
    const connection = await connectClient(s);
    try {
      await ensureSearchAttributes(connection, s, log);
    } finally {
      await connection.close();
    }
    return { settings: s, address: s.address, namespace: s.namespace, uiBase: 'http://localhost:8233', started: false };
  }
  log(`starting the embedded Temporal dev server (database ${join(home, 'temporal.db')})…`);
  const server = await startDevServer({ home, detached: true, ...codecEndpointFromEnv() });
  return {
    settings: { ...s, address: server.address },
    address: server.address,
    namespace: s.namespace,
    uiBase: server.uiBase,
    started: true,
  };
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
