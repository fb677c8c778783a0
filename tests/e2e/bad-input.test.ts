// Bad-input drill: malformed experiments, taxonomies, gold files and corpora are rejected by `clinsynth validate` and `clinsynth run` with exit 2, `file:line: key: why` at the line that is wrong, no stack trace and no workflow.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { startCli, type CliResult } from '../support/cli.js';
import { badInputCases, validCases, writeCase, type BadInputCase } from '../support/bad-inputs.js';
import { workflowIdFor } from '../../lib/run/run-state.js';
import { main } from '../../client/cli.js';

const cases = badInputCases();
const root = mkdtempSync(join(tmpdir(), 'clinsynth-bad-input-'));
const written = new Map(cases.map((c) => [c.name, writeCase(c, root)]));
/**
 * Every case goes through `validate` and `run` in this process (the CLI's own `main`, output captured): a spawned CLI
 * costs seconds of start-up, 160 of them minutes. One case of each kind of file also goes through the real executable.
 */
const spawnedCases = [
  'bad-exp-unknown-nested-key',
  'bad-tax-duplicate-label',
  'bad-gold-unknown-label',
  'bad-corpus-gzip',
].map((name) => cases.find((c) => c.name === name)!);

let env: Record<string, string>;
let connection: Connection;
let client: Client;

const saved = { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS, CLINSYNTH_HOME: process.env.CLINSYNTH_HOME };

beforeAll(async () => {
  const address = inject('temporalAddress');
  env = { TEMPORAL_ADDRESS: address, CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), 'clinsynth-home-')) };
  Object.assign(process.env, env); // for the in-process CLI
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace: 'default' });
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await connection?.close();
});

/** The CLI's `main` in this process, its stdout and stderr captured (one at a time: the streams are shared). */
async function inProcess(args: string[]): Promise<CliResult> {
  const out = { stdout: '', stderr: '' };
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (k: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array) => {
      out[k] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  try {
    return { code: await main(args), ...out };
  } finally {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  }
}

/** Runs the CLI; a command that hangs (a run that was not rejected) is killed so that the test fails, not stalls. */
async function cli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  const { child, result } = startCli(args, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    return await result;
  } finally {
    clearTimeout(timer);
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function expectRejected(c: BadInputCase, r: CliResult, offending: string, ex: typeof expect): void {
  const shown = r.stderr.slice(0, 3000);
  ex(r.code, shown).toBe(2);
  ex(r.stderr, 'no stack trace').not.toMatch(/^\s+at /m);
  ex(r.stdout).toBe('');
  ex(r.stderr.length, 'the message does not echo huge input').toBeLessThan(20_000);
  for (const line of r.stderr.split('\n').filter(Boolean))
    ex(line, 'every line is file:line: key: why').toMatch(/^\/\S.*:\d+: \S+: \S/);
  const m = r.stderr.match(new RegExp(`^${escape(offending)}:(\\d+): ${c.message.source}`, 'm'));
  ex(m, `expected ${offending}:LINE: ${c.message.source}\ngot:\n${shown}`).not.toBeNull();
  ex(Number(m![1]), shown).toBe(expectedLine(c, offending));
}

/** The case's line; for a text, the first line of the offending file that equals it, trimmed. */
function expectedLine(c: BadInputCase, offending: string): number {
  if (typeof c.line === 'number') return c.line;
  const text = c.line;
  const at = statSync(offending).isFile()
    ? readFileSync(offending, 'utf8')
        .split('\n')
        .findIndex((l) => l.trim() === text)
    : -1;
  if (at < 0) throw new Error(`fixture ${c.name}: no line "${text}" in ${offending}`);
  return at + 1;
}

async function expectNoWorkflow(name: string, ex: typeof expect): Promise<void> {
  const workflowId = workflowIdFor(name);
  const listed: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) listed.push(w.workflowId);
  ex(listed).toEqual([]);
  await ex(client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

describe('bad input is rejected before anything starts', () => {
  it('has at least 30 distinct cases covering every kind of file', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const kind of ['bad-exp-', 'bad-tax-', 'bad-gold-', 'bad-corpus-'])
      expect(cases.filter((c) => c.name.startsWith(kind)).length).toBeGreaterThanOrEqual(5);
    for (const kind of ['bad-exp-', 'bad-tax-', 'bad-gold-', 'bad-corpus-'])
      expect(spawnedCases.filter((c) => c.name.startsWith(kind))).toHaveLength(1);
  });

  it.for(validCases())('validate accepts the valid variant $name', async (fixture, { expect: ex }) => {
    const { file } = writeCase(fixture, root);
    const r = await inProcess(['validate', file]);
    ex(r.stderr).toContain(': valid (2 labels, taxonomy drill@1');
    ex(r.code).toBe(0);
  });

  it.for(cases)('validate and run reject $name at its line, and no workflow starts', async (c, { expect: ex }) => {
    const { file, offending } = written.get(c.name)!;
    expectRejected(c, await inProcess(['validate', file]), offending, ex);
    // --detach: a case that got through would start its workflow and return (and fail here), not run it in-process.
    expectRejected(c, await inProcess(['run', file, '--detach']), offending, ex);
    await expectNoWorkflow(c.name, ex);
  });

  it.concurrent.for(spawnedCases)('the clinsynth executable rejects $name the same way', async (c, { expect: ex }) => {
    const { file, offending } = written.get(c.name)!;
    expectRejected(c, await cli(['validate', file]), offending, ex);
    expectRejected(c, await cli(['run', file]), offending, ex);
    await expectNoWorkflow(c.name, ex);
  });
});
