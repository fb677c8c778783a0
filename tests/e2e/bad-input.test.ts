// Bad-input drill: malformed experiments, taxonomies, gold files and corpora are rejected by `clinsynth validate` and `clinsynth run` with exit 2, `file:line: key: why`, no stack trace and no workflow.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { startCli, type CliResult } from '../support/cli.js';
import { badInputCases, validCases, writeCase, type BadInputCase } from '../support/bad-inputs.js';
import { workflowIdFor } from '../../lib/run/run-state.js';

const cases = badInputCases();
const root = mkdtempSync(join(tmpdir(), 'clinsynth-bad-input-'));
const written = new Map(cases.map((c) => [c.name, writeCase(c, root)]));
/** `run` is tried on every third case (all kinds of files are among them); `validate` on all. */
const runCases = cases.filter((_, i) => i % 3 === 0);

let env: Record<string, string>;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  const address = inject('temporalAddress');
  env = { TEMPORAL_ADDRESS: address, CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), 'clinsynth-home-')) };
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace: 'default' });
});

afterAll(async () => {
  await connection?.close();
});

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
  const line = Number(m![1]);
  ex(line).toBeGreaterThanOrEqual(0);
  if (c.line !== undefined) ex(line, shown).toBe(c.line);
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
    expect(runCases.length).toBeGreaterThanOrEqual(Math.floor(cases.length / 3));
  });

  it.concurrent.for(validCases())('validate accepts the valid variant $name', async (fixture, { expect: ex }) => {
    const { file } = writeCase(fixture, root);
    const r = await cli(['validate', file]);
    ex(r.stderr).toContain(': valid (2 labels, taxonomy drill@1');
    ex(r.code).toBe(0);
  });

  it.concurrent.for(cases)('validate rejects $name', async (c, { expect: ex }) => {
    const { file, offending } = written.get(c.name)!;
    expectRejected(c, await cli(['validate', file]), offending, ex);
  });

  it.concurrent.for(runCases)('run rejects $name and starts no workflow', async (c, { expect: ex }) => {
    const { file, offending } = written.get(c.name)!;
    expectRejected(c, await cli(['run', file]), offending, ex);
    await expectNoWorkflow(c.name, ex);
  });
});
