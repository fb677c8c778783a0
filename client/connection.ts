// The one place that connects to Temporal: settings from Temporal's client environment configuration
// (TEMPORAL_* variables, temporal.toml profiles) with the API's and CLI's overrides; failures name their cause.
import { existsSync } from 'node:fs';
import { Connection, type TLSConfig } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import {
  TemporalConnectionError,
  classifyConnectionFailure,
  describeConnectionFailure,
  errorTexts,
  hostOf,
  portOf,
  probeFrontend,
  type ConnectionContext,
} from './connection-errors.js';

export { TemporalConnectionError, type ConnectionCause } from './connection-errors.js';

/** What the API (`Clinsynth.connect`) and the CLI's global flags may override. */
export interface ConnectionOverrides {
  /** A profile of temporal.toml (default TEMPORAL_PROFILE, else `default`). */
  profile?: string;
  /** host:port of the frontend (default TEMPORAL_ADDRESS, else the profile's, else the embedded dev server). */
  address?: string;
  /** Default TEMPORAL_NAMESPACE, else the profile's, else `default`. */
  namespace?: string;
}

/** Everything needed to connect; `address` undefined means "the embedded dev server". */
export interface TemporalSettings {
  address: string | undefined;
  namespace: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
  /** Where the settings came from, for messages. */
  origin: string;
}

/** Settings with a known address. */
export type TemporalTargetSettings = TemporalSettings & { address: string };

/** Bad connection settings (a missing profile or certificate file, a TOML error): `where: what is wrong`. */
export class TemporalConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemporalConfigError';
  }
}

export const CONNECT_TIMEOUT_MS = 15_000;

let flagOverrides: ConnectionOverrides = {};

/** The CLI's global flags apply to every connection this process makes (the API's options still win). */
export function setFlagOverrides(o: ConnectionOverrides): void {
  flagOverrides = { ...o };
}

const FLAGS = { '--profile': 'profile', '--address': 'address', '--namespace': 'namespace' } as const;

/** Takes `--profile/--address/--namespace VALUE` (or `=VALUE`) out of a command line, wherever they stand. */
export function takeConnectionFlags(argv: string[]): { args: string[]; overrides: ConnectionOverrides } {
  const args: string[] = [];
  const overrides: ConnectionOverrides = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const key = (FLAGS as Record<string, keyof ConnectionOverrides>)[flag];
    if (!key) {
      args.push(a);
      continue;
    }
    const value = inline ?? argv[++i];
    if (!value || (inline === undefined && value.startsWith('--')))
      throw new TemporalConfigError(`${flag} needs a value (${flag} NAME)`);
    overrides[key] = value;
  }
  return { args, overrides };
}

/**
 * The connection settings: temporal.toml (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml; profile
 * TEMPORAL_PROFILE, else `default`), overridden by the TEMPORAL_* variables, then by `overrides` (and the CLI flags).
 */
export function resolveSettings(
  overrides: ConnectionOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): TemporalSettings {
  const o = { ...flagOverrides, ...defined(overrides) };
  const file = env.TEMPORAL_CONFIG_FILE;
  if (file && !existsSync(file)) throw new TemporalConfigError(`TEMPORAL_CONFIG_FILE=${file}: no such file`);
  const profileName = o.profile ?? env.TEMPORAL_PROFILE;
  const vars = env as Record<string, string>;
  let config;
  try {
    const profile = loadClientConfigProfile({ ...(o.profile ? { profile: o.profile } : {}), overrideEnvVars: vars });
    config = toClientOptions(profile);
  } catch (e) {
    throw new TemporalConfigError(configProblem(e, profileName, file));
  }
  const c = config.connectionOptions;
  const origin = `TEMPORAL_* variables and profile "${profileName ?? 'default'}" of ${file ?? 'the default temporal.toml'}`;
  const s: TemporalSettings = {
    address: o.address ?? c.address,
    namespace: o.namespace ?? config.namespace ?? 'default',
    origin: o.address ? `--address/connect({ address })` : origin,
  };
  if (c.tls !== undefined && c.tls !== null) s.tls = c.tls;
  if (c.apiKey) s.apiKey = c.apiKey as string;
  if (c.metadata && Object.keys(c.metadata).length) s.metadata = c.metadata as Record<string, string>;
  return s;
}

/** A plaintext connection to a local server (the embedded dev server, a test's server). */
export function plainSettings(address: string, namespace = 'default'): TemporalTargetSettings {
  return { address, namespace, origin: 'the embedded dev server' };
}

/** Temporal Cloud's frontends: `<ns>.<account>.tmprl.cloud` and the regional `*.api.temporal.io`. */
export function isCloudAddress(address: string | undefined): boolean {
  if (!address) return false;
  const host = hostOf(address).toLowerCase();
  return host.endsWith('.tmprl.cloud') || host.endsWith('.api.temporal.io');
}

/** The Web UI for links: CLINSYNTH_UI_URL, the Cloud UI for Cloud namespaces, else the dev server's port + 1000. */
export function uiBaseFor(address: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLINSYNTH_UI_URL) return env.CLINSYNTH_UI_URL;
  if (isCloudAddress(address)) return 'https://cloud.temporal.io';
  const host = hostOf(address);
  return `http://${host === '127.0.0.1' ? 'localhost' : host}:${portOf(address) + 1000}`;
}

/** A client connection; fails within about CONNECT_TIMEOUT_MS + 8 s with a TemporalConnectionError naming the cause. */
export async function connectClient(
  s: TemporalTargetSettings,
  opts: { timeoutMs?: number; diagnose?: boolean } = {},
): Promise<Connection> {
  try {
    return await Connection.connect({
      address: s.address,
      connectTimeout: opts.timeoutMs ?? CONNECT_TIMEOUT_MS,
      ...(s.tls !== undefined ? { tls: s.tls } : {}),
      ...(s.apiKey ? { apiKey: s.apiKey } : {}),
      ...(s.metadata ? { metadata: s.metadata } : {}),
    });
  } catch (e) {
    if (opts.diagnose === false) throw e;
    throw await connectionFailure(s, e);
  }
}

/** The worker's (Rust core) connection with the same settings. */
export async function connectNative(s: TemporalTargetSettings): Promise<NativeConnection> {
  const attempt = NativeConnection.connect({
    address: s.address,
    ...(s.tls !== undefined ? { tls: s.tls } : {}),
    ...(s.apiKey ? { apiKey: s.apiKey } : {}),
    ...(s.metadata ? { metadata: s.metadata } : {}),
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out: no connection within ${CONNECT_TIMEOUT_MS / 1000} s`)),
      CONNECT_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([attempt, timeout]);
  } catch (e) {
    attempt.then((c) => c.close()).catch(() => {});
    throw await connectionFailure(s, e);
  } finally {
    clearTimeout(timer);
  }
}

/** Checks that the namespace exists (a missing one otherwise shows up as an obscure error at the first start). */
export async function checkNamespace(connection: Connection, s: TemporalTargetSettings): Promise<void> {
  try {
    await connection.withDeadline(Date.now() + CONNECT_TIMEOUT_MS, () =>
      connection.workflowService.describeNamespace({ namespace: s.namespace }),
    );
  } catch (e) {
    const code = (e as { code?: number }).code;
    if (code === 5) throw await connectionFailure(s, e); // NOT_FOUND
    if (code === 7) return; // PERMISSION_DENIED: some API keys may not describe; the first real call will tell
    throw await connectionFailure(s, e);
  }
}

/** The error to throw for a failed connection: classified from the error and an HTTP/2 probe of the frontend. */
export async function connectionFailure(s: TemporalTargetSettings, err: unknown): Promise<Error> {
  if (err instanceof TemporalConnectionError) return err;
  const ctx = contextOf(s);
  const texts = errorTexts(err);
  let cause = classifyConnectionFailure(texts, ctx);
  if (cause !== 'namespace not found') {
    const probe = await probeFrontend(probeTarget(s));
    texts.push(probe);
    const probed = classifyConnectionFailure([probe], ctx);
    if (probed !== 'connection failed' && !/:status 200 grpc-status 0\b/.test(probe)) cause = probed;
    else cause = classifyConnectionFailure(texts, ctx);
  }
  const detail = texts
    .filter((t) => t.length > 2)
    .slice(-2)
    .join('; ')
    .slice(0, 300);
  return new TemporalConnectionError(cause, describeConnectionFailure(cause, ctx, detail));
}

function contextOf(s: TemporalTargetSettings): ConnectionContext {
  const tls = typeof s.tls === 'object' ? s.tls : undefined;
  return {
    address: s.address,
    namespace: s.namespace,
    tls: s.tls !== undefined && s.tls !== false,
    clientCert: !!tls?.clientCertPair,
    apiKey: !!s.apiKey,
    ...(tls?.serverNameOverride ? { serverName: tls.serverNameOverride } : {}),
    origin: s.origin,
  };
}

function probeTarget(s: TemporalTargetSettings) {
  const tls = typeof s.tls === 'object' ? s.tls : undefined;
  const headers: Record<string, string> = { ...s.metadata };
  if (s.apiKey) headers.authorization = `Bearer ${s.apiKey}`;
  const pair = tls?.clientCertPair;
  return {
    address: s.address,
    tls: s.tls !== undefined && s.tls !== false,
    headers,
    ...(tls?.serverNameOverride ? { serverName: tls.serverNameOverride } : {}),
    ...(tls?.serverRootCACertificate ? { ca: tls.serverRootCACertificate } : {}),
    ...(pair ? { cert: pair.crt, key: pair.key } : {}),
  };
}

function configProblem(e: unknown, profile: string | undefined, file: string | undefined): string {
  const err = e as { code?: string; path?: string; message?: string };
  if (err.code === 'ENOENT' && err.path) {
    const what = /key/i.test(err.path) ? 'client key' : /ca/i.test(err.path) ? 'CA certificate' : 'certificate';
    return `certificate file missing: the ${what} file ${err.path} (from TEMPORAL_TLS_* or the profile's tls.*) does not exist`;
  }
  const where = file ?? '~/.config/temporalio/temporal.toml';
  if (/Profile '.*' not found/.test(err.message ?? '')) return `${where}: profile "${profile}" not found`;
  return `${where}: ${err.message ?? String(e)}`;
}

function defined(o: ConnectionOverrides): ConnectionOverrides {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as ConnectionOverrides;
}
