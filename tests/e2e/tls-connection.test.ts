// Connecting as on Temporal Cloud or a secured cluster: an experiment runs through a TLS front (nginx) that demands
// a client certificate and an API key, with the standard TEMPORAL_* variables and from a temporal.toml profile alone;
// a wrong key and a missing certificate fail fast naming the cause; missing search attributes say what to create.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { DEMO_DIR, writeTestExperiment } from '../support/experiments.js';
import { runCli, startCli } from '../support/cli.js';
import { startTlsFront, type TlsFront } from '../support/tls-front.js';
import { TEMPORAL_BIN } from '../../lib/config/paths.js';
import { Clinsynth, SearchAttributesMissingError, TemporalConnectionError } from '../../client/api.js';

let llm: FakeLlmServer;
let front: TlsFront;
let home: string;
let file: string;
let tlsEnv: Record<string, string | undefined>;

/** No TEMPORAL_* from the environment the tests run in, and no default temporal.toml (HOME points at a temp dir). */
function clean(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { HOME: home, XDG_CONFIG_HOME: undefined, CLINSYNTH_HOME: home };
  for (const k of Object.keys(process.env)) if (k.startsWith('TEMPORAL_')) out[k] = undefined;
  return { ...out, ...env };
}

beforeAll(async () => {
  front = await startTlsFront(inject('temporalAddress'));
  llm = await startFakeLlmServer({ seed: 7 });
  home = mkdtempSync(join(tmpdir(), 'clinsynth-tls-home-'));
  file = writeTestExperiment({
    name: 'tls-demo',
    llm: { baseURL: llm.url },
    overrides: {
      corpus: { path: join(DEMO_DIR, 'data/notes.jsonl'), format: 'jsonl', sensitive: false, maxSentences: 12 },
      bronze: { enabled: false },
      selfCheck: { enabled: false },
      train: { seeds: [1] },
      evaluate: { mixes: ['gold', 'gold+silver'] },
    },
  }).file;
  tlsEnv = clean({
    TEMPORAL_ADDRESS: front.address,
    TEMPORAL_API_KEY: front.apiKey,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: front.ca,
    TEMPORAL_TLS_CLIENT_CERT_PATH: front.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: front.clientKey,
  });
});

afterAll(async () => {
  await front?.close();
  await llm?.close();
});

/** Every payload's bytes as text, anywhere in a history object. */
function payloadTexts(o: unknown, out: string[] = []): string[] {
  if (o instanceof Uint8Array) out.push(Buffer.from(o).toString('utf8'));
  else if (Array.isArray(o)) for (const v of o) payloadTexts(v, out);
  else if (o && typeof o === 'object') for (const v of Object.values(o)) payloadTexts(v, out);
  return out;
}

/** Runs `fn` with these variables in this process's environment (undefined: unset), restoring them after. */
async function withEnv<R>(env: Record<string, string | undefined>, fn: () => Promise<R>): Promise<R> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const apply = (e: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(e))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  };
  apply(env);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

describe('a TLS front demanding a client certificate and an API key', () => {
  it('runs an experiment: a worker with the standard TEMPORAL_* variables, the client from a temporal.toml profile alone', async () => {
    // The same settings as a profile; nothing but TEMPORAL_CONFIG_FILE and --profile point at it.
    const toml = join(home, 'temporal.toml');
    writeFileSync(
      toml,
      `[profile.secured]
address = "${front.address}"
namespace = "default"
api_key = "${front.apiKey}"
[profile.secured.tls]
server_ca_cert_path = "${front.ca}"
client_cert_path = "${front.clientCert}"
client_key_path = "${front.clientKey}"
`,
    );
    const worker = startCli(['worker'], tlsEnv);
    try {
      const run = await runCli(
        ['--profile', 'secured', 'run', file, '--no-worker', '--json'],
        clean({ TEMPORAL_CONFIG_FILE: toml }),
      );
      expect(run.code, run.stderr.slice(-3000)).toBe(0);
      expect(JSON.parse(run.stdout.trim().split('\n')[0]!)).toMatchObject({ runId: 'tls-demo' });
    } finally {
      worker.child.kill('SIGTERM');
      const w = await worker.result;
      expect(w.stderr).toContain(`polling main, llm on ${front.address}`);
    }
    // A client with the standard variables, and one with TEMPORAL_PROFILE instead of --profile.
    for (const env of [tlsEnv, clean({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'secured' })]) {
      const status = await runCli(['status', 'tls-demo', '--json'], env);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ status: 'COMPLETED', stage: 'done' });
    }
    // The API: connect({ profile }) with the file from TEMPORAL_CONFIG_FILE.
    await withEnv(clean({ TEMPORAL_CONFIG_FILE: toml }), async () => {
      const cs = await Clinsynth.connect({ profile: 'secured', startServer: false });
      try {
        const run = cs.get('tls-demo');
        expect((await run.progress()).status).toBe('COMPLETED');
        // The key stays out of the history; the run directory travels as an absolute path (docs/connecting.md).
        const history = await run.handle.fetchHistory();
        const text = payloadTexts(history).join('\n');
        expect(text).not.toContain(front.apiKey);
        const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
        const input = JSON.parse(Buffer.from(started.input!.payloads![0]!.data!).toString('utf8'));
        expect(input.runDir).toBe(join(dirname(file), 'runs', 'tls-demo'));
      } finally {
        await cs.close();
      }
    });
  });

  it.each([
    ['a wrong API key', { TEMPORAL_API_KEY: 'wrong-key' }, 'authentication refused'],
    [
      'no client certificate',
      { TEMPORAL_TLS_CLIENT_CERT_PATH: undefined, TEMPORAL_TLS_CLIENT_KEY_PATH: undefined },
      'client certificate missing',
    ],
  ])('%s fails within 60 s with a message naming the cause, no stack trace', async (_what, change, cause) => {
    const started = Date.now();
    const r = await runCli(['run', file, '--run-id', 'refused'], { ...tlsEnv, ...change });
    const seconds = (Date.now() - started) / 1000;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`clinsynth: ${cause}`);
    expect(r.stderr).toContain(front.address);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(seconds).toBeLessThan(60);
  });

  it('an unknown profile is a settings error: exit 2, naming the file and the profile', async () => {
    const toml = join(home, 'temporal.toml');
    const r = await runCli(['status', 'x', '--profile', 'nope'], clean({ TEMPORAL_CONFIG_FILE: toml }));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`clinsynth: ${toml}: profile "nope" not found`);
  });

  it('a namespace without the search attributes, where the user may not add them, says what to create', async () => {
    const ns = `bare-${process.pid}`;
    const dev = inject('temporalAddress');
    execFileSync(TEMPORAL_BIN, ['operator', 'namespace', 'create', '--namespace', ns, '--address', dev]);
    await withEnv(tlsEnv, async () => {
      const err = await Clinsynth.connect({ namespace: ns }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SearchAttributesMissingError);
      const message = (err as Error).message;
      expect(message).toContain('ClinsynthExperiment, ClinsynthStage, ClinsynthStudy');
      expect(message).toContain('tcld namespace search-attributes add');
      const command = message
        .split('\n')
        .find((l) => l.trim().startsWith('temporal operator search-attribute create'))!
        .trim()
        .split(' ');
      // An admin runs the printed command (here: straight at the dev server) and the next connect goes on.
      command[command.indexOf('--address') + 1] = dev;
      execFileSync(TEMPORAL_BIN, command.slice(1), { env: { ...process.env, ...clean({}) } });
      const cs = await Clinsynth.connect({ namespace: ns });
      await cs.close();
    });
  });

  it('registers the search attributes itself where it may (a plaintext dev server)', async () => {
    const ns = `open-${process.pid}`;
    const dev = inject('temporalAddress');
    execFileSync(TEMPORAL_BIN, ['operator', 'namespace', 'create', '--namespace', ns, '--address', dev]);
    const lines: string[] = [];
    const cs = await Clinsynth.connect({ address: dev, namespace: ns, log: (l) => lines.push(l) });
    await cs.close();
    expect(lines.filter((l) => l.startsWith('registered search attribute'))).toHaveLength(3);
  });

  it('an API client gets a TemporalConnectionError naming the cause', async () => {
    const err = await withEnv({ ...tlsEnv, TEMPORAL_API_KEY: 'wrong-key' }, () => Clinsynth.connect()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TemporalConnectionError);
    expect((err as TemporalConnectionError).reason).toBe('authentication refused');
  });
});
