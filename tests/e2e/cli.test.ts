// The `clinsynth` executable end to end: run --json on a demo-sized experiment (no MaxListenersExceededWarning), status and list, --version and --help, validate errors, and `view` of that run in headless Chromium.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { writeTestExperiment } from '../support/experiments.js';
import { runCli } from '../support/cli.js';
import { viewerChecks } from '../support/viewer-checks.js';
import { main } from '../../client/cli.js';
import { workflowIdFor } from '../../lib/run/run-state.js';

let llm: FakeLlmServer;
let env: Record<string, string>;
/** The finished demo run of the first test, which the viewer test looks at (one run for both keeps CI short). */
let demoRunDir = '';

beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 3 });
  env = { TEMPORAL_ADDRESS: inject('temporalAddress'), CLINSYNTH_HOME: mkdtempSync(join(tmpdir(), 'clinsynth-home-')) };
});

afterAll(async () => {
  await llm?.close();
});

describe('clinsynth CLI', () => {
  it('run --json runs the experiment to completion and status --json reports it', async () => {
    const { file } = writeTestExperiment({ name: 'cli-demo', llm: { baseURL: llm.url } });
    const run = await runCli(['run', file, '--run-id', 'one', '--json'], env);
    expect(run.stderr).toContain('report:');
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const line = JSON.parse(run.stdout.trim().split('\n')[0]!);
    expect(line).toMatchObject({ runId: 'cli-demo-one', workflowId: 'clinsynth-cli-demo-one' });
    expect(line.uiUrl).toContain('/workflows/clinsynth-cli-demo-one');
    demoRunDir = line.runDir;
    // The last stdout line is the result; the run leaks no abort listeners (Node warns past ten on one signal).
    const last = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(last).toEqual({
      runId: 'cli-demo-one',
      status: 'COMPLETED',
      runDir: line.runDir,
      reportPath: join(line.runDir, 'report.json'),
      reportHtml: join(line.runDir, 'report.html'),
    });
    expect(run.stderr).not.toContain('MaxListenersExceededWarning');
    const report = JSON.parse(readFileSync(join(line.runDir, 'report.json'), 'utf8'));
    expect(Object.keys(report.mixes)).toHaveLength(4);
    // Fidelity and agreement with its uncertainty (docs/looking-at-data.md): measured on the run, in both reports.
    expect(report.fidelity.sets.bronze.overall.sentences).toBeGreaterThan(0);
    expect(report.fidelity.sets.silver.jsDivergence).toBeGreaterThanOrEqual(0);
    const agreementLines = readFileSync(join(line.runDir, 'eval', 'agreement.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(report.agreement.withCi.before.sentences).toBe(agreementLines.length);
    expect(Object.keys(agreementLines[0]).sort()).toEqual([
      'gold',
      'id',
      'llm',
      'llmAfterSelfCheck',
      'note',
      'verdict',
    ]);
    const html = readFileSync(join(line.runDir, 'report.html'), 'utf8');
    expect(html).toContain('<section id="fidelity">');
    expect(html).toContain('<section id="agreement-ci">');

    const status = await runCli(['status', 'cli-demo-one', '--json'], env);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s).toMatchObject({ runId: 'cli-demo-one', status: 'COMPLETED', stage: 'done', runDir: line.runDir });
    expect(s.progress.stages.silver.status).toBe('done');

    // `list` shows the run (one JSON object per line with --json), and nothing for another experiment.
    const listed = await runCli(['list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const runs = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(runs.find((x) => x.runId === 'cli-demo-one')).toMatchObject({ status: 'COMPLETED', experiment: 'cli-demo' });
    const none = await runCli(['list', '--experiment', 'no-such-experiment'], env);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('no runs on');

    // `report` rebuilds report.json and report.html from the run's artifacts.
    rmSync(join(line.runDir, 'report.json'));
    rmSync(join(line.runDir, 'report.html'));
    const rebuilt = await runCli(['report', 'cli-demo-one'], env);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const again = JSON.parse(readFileSync(join(line.runDir, 'report.json'), 'utf8'));
    expect(again.mixes).toEqual(report.mixes);
    expect(readFileSync(join(line.runDir, 'report.html'), 'utf8')).toContain('<svg id="f1-chart"');
  });

  it('view serves the demo run: filters change rows and counts, a row shows its raw answer, a confusion cell its sentences', async () => {
    expect(demoRunDir, 'the run of the first test').not.toBe('');
    await viewerChecks('cli-demo-one', demoRunDir, env);
  });

  it('--version prints the package version; every command answers --help with its usage and exit 0', async () => {
    const v = await runCli(['--version'], env);
    expect(v.code).toBe(0);
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(v.stdout).toBe(`clinsynth ${version}\n`);
    // The commands named in the usage text, each asked in process (spawning the CLI per command is slow).
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    let usage: string;
    const codes: Record<string, number> = {};
    try {
      await main(['--help']);
      usage = out.join('');
      const commands = [...new Set([...usage.matchAll(/^ {2}clinsynth ([a-z-]+)/gm)].map((m) => m[1]!))];
      expect(commands).toEqual(expect.arrayContaining(['run', 'list', 'status', 'review', 'view', 'codec-server']));
      for (const c of commands) {
        out.length = 0;
        codes[c] = await main([c, '--help']);
        expect(out.join(''), c).toMatch(new RegExp(`^usage:\n {2}clinsynth ${c}\\b`));
      }
    } finally {
      process.stdout.write = write;
    }
    expect(Object.values(codes).every((c) => c === 0)).toBe(true);
    expect(Object.keys(codes).length).toBeGreaterThanOrEqual(13);
    // Spawned once for real: a command's --help from the executable.
    const h = await runCli(['list', '--help'], env);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('clinsynth list [--experiment NAME]');
  });

  it('validate accepts the demo and rejects a broken file with file:line messages and exit 2', async () => {
    const ok = await runCli(['validate', 'examples/demo/experiment.yaml'], env);
    expect(ok.code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'clinsynth-bad-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      [
        'name: bad name!',
        'taxonomy: nowhere.yaml',
        'gold:',
        '  train: a.jsonl',
        '  test: b.jsonl',
        'silver: { enabled: true, batchsize: 4 }',
        'llm:',
        '  provider: gpt',
        '',
      ].join('\n'),
    );
    const r = await runCli(['validate', bad], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${bad}:1: name: `));
    expect(r.stderr).toMatch(new RegExp(`${bad}:6: silver.batchsize: unknown key`));
    expect(r.stderr).toMatch(new RegExp(`${bad}:8: llm.provider: `));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const run = await runCli(['run', bad], env);
    expect(run.code).toBe(2);
  });

  it('refuses to send a sensitive corpus to a non-loopback endpoint before anything starts: no workflow, no request', async () => {
    // The endpoint: a listener that counts every request, reached through 0.0.0.0, which is not a loopback name (so
    // the privacy check must refuse it) but on Linux connects to this machine.
    let requests = 0;
    const endpoint = createServer((req, res) => {
      requests++;
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    try {
      const baseURL = `http://0.0.0.0:${(endpoint.address() as AddressInfo).port}/v1`;
      const { file } = writeTestExperiment({
        name: 'cli-sensitive',
        llm: { baseURL },
        overrides: {
          corpus: {
            path: join('examples', 'demo', 'data', 'notes.jsonl').replace(/^/, process.cwd() + '/'),
            format: 'jsonl',
            sensitive: true,
          },
        },
      });
      const r = await runCli(['run', file, '--run-id', 'one'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('llm.allowSensitive');
      expect(r.stderr).toContain('sends note text to 0.0.0.0');
      expect(requests, 'requests to the endpoint').toBe(0);
      const connection = await Connection.connect({ address: inject('temporalAddress') });
      try {
        const client = new Client({ connection });
        const workflowId = workflowIdFor('cli-sensitive-one');
        const listed: string[] = [];
        for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
          listed.push(w.workflowId);
        expect(listed).toEqual([]);
        await expect(client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
      } finally {
        await connection.close();
      }
      // The check above could see a request: the same URL reaches the listener.
      await fetch(`${baseURL}/chat/completions`, { method: 'POST', body: '{}' });
      expect(requests).toBe(1);
    } finally {
      endpoint.close();
    }
  });
});
