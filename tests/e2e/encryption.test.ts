// Workflow history on the server: encrypted with a key (no path, label id or sentence), and free of sentence text without.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { AesGcmCodec, NoKeyCodec, parseKeys } from '../../lib/run/codec.js';
import { startWorkers } from '../../worker.js';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { TASK_QUEUES } from '../../workflows/contract.js';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { DEMO_DIR, writeTestExperiment } from '../support/experiments.js';
import { runCli } from '../support/cli.js';
import { workflowIdFor } from '../../lib/run/run-state.js';
import { splitSentences } from '../../lib/corpus/sentences.js';
import { labelIds, loadTaxonomy } from '../../lib/config/taxonomy.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { historyText } from '../support/history.js';

let llm: FakeLlmServer;
let connection: Connection;
/** No codec: sees history as the server stores it. */
let client: Client;

beforeAll(async () => {
  llm = await startFakeLlmServer({ seed: 21 });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await llm?.close();
});

async function historyOf(runId: string): Promise<string> {
  return historyText(await client.workflow.getHandle(workflowIdFor(runId)).fetchHistory()).join('\n');
}

const jsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { text: string });
const goldSentences = [
  ...jsonl(join(DEMO_DIR, 'data/gold-train.jsonl')),
  ...jsonl(join(DEMO_DIR, 'data/gold-test.jsonl')),
].map((r) => r.text);
const corpusSentences = jsonl(join(DEMO_DIR, 'data/notes.jsonl')).flatMap((n) =>
  splitSentences(n.text).map((s) => n.text.slice(s.start, s.end).trim()),
);
/** Sentences long enough that finding one is not chance (a heading like "EXAM:" could be). */
const sentences = [...goldSentences, ...corpusSentences].filter((s) => s.length >= 25);
const labels = labelIds(loadTaxonomy(join(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml')));

function env(home: string, key?: string): Record<string, string | undefined> {
  return {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    CLINSYNTH_HOME: home,
    CLINSYNTH_ENCRYPTION_KEY: key,
    CLINSYNTH_ENCRYPTION_KEY_FILE: undefined,
  };
}

describe('workflow history', () => {
  it('with a key holds no experiment path, label id or sentence, and a keyless client fails clearly', async () => {
    expect(sentences.length).toBeGreaterThan(30);
    expect(labels.length).toBeGreaterThan(5);
    const home = mkdtempSync(join(tmpdir(), 'clinsynth-home-'));
    // Calls wait out an outage inside the activity, so a 500 reaches the history only as a lost page: no outage time
    // allowed (the first 500 loses its page) and any share lost, so failed activities (their messages) are in it.
    const { file, dir } = writeTestExperiment({
      name: 'enc-run',
      llm: { baseURL: llm.url, maxOutageMinutes: 0, maxFailedShare: 1 },
    });
    const key = randomBytes(32).toString('base64');
    llm.setFaults({ rate500: 0.15 });
    let r;
    try {
      r = await runCli(['run', file, '--json'], env(home, key));
    } finally {
      llm.setFaults({ rate500: 0 });
    }
    expect(r.code, r.stderr).toBe(0);
    const text = await historyOf('enc-run');
    // Failure messages are encoded into a payload, and so encrypted with the rest.
    const events = (await client.workflow.getHandle(workflowIdFor('enc-run')).fetchHistory()).events ?? [];
    const failures = events.flatMap((e) => [
      ...(e.activityTaskStartedEventAttributes?.lastFailure ? [e.activityTaskStartedEventAttributes.lastFailure] : []),
      ...(e.activityTaskFailedEventAttributes?.failure ? [e.activityTaskFailedEventAttributes.failure] : []),
    ]);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f.message).toBe('Encoded failure');
      expect(Buffer.from(f.encodedAttributes?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
    }
    expect(text.length).toBeGreaterThan(1000);
    expect(text).toContain('binary/encrypted');
    for (const secret of [file, dir, DEMO_DIR, ...labels, ...sentences])
      expect(text.includes(secret), `found in history: ${secret}`).toBe(false);

    // Without the key (or with another) the CLI refuses to read the run's result, naming the variables.
    const none = await runCli(['status', 'enc-run', '--json'], env(home));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/encrypted.*CLINSYNTH_ENCRYPTION_KEY/);
    expect(none.stdout).not.toContain(dir);
    const wrong = await runCli(['status', 'enc-run', '--json'], env(home, randomBytes(32).toString('base64')));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/which this process does not have/);
    const ok = await runCli(['status', 'enc-run', '--json'], env(home, key));
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).status).toBe('COMPLETED');
    // Bad key material: named, before anything starts.
    const bad = await runCli(['run', file], env(home, 'c2hvcnQ='));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('CLINSYNTH_ENCRYPTION_KEY: the encryption key must decode to 32 bytes');
  });

  it('without a key holds no corpus or gold sentence (stages pass references, not text)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'clinsynth-home-'));
    const { file, dir } = writeTestExperiment({ name: 'plain-run', llm: { baseURL: llm.url } });
    const r = await runCli(['run', file, '--json'], env(home));
    expect(r.code, r.stderr).toBe(0);
    const text = await historyOf('plain-run');
    // The scan reads payloads: the run directory is in the plain workflow input.
    expect(text).toContain(dir);
    for (const s of sentences) expect(text.includes(s), `sentence in history: ${s}`).toBe(false);
  });

  it('a worker without the key fails the workflow task with an error naming the variables, and never runs on plaintext', async () => {
    const { file } = writeTestExperiment({ name: 'nokey-worker', llm: { baseURL: llm.url } });
    const experiment = loadExperiment(file);
    const keyed = new Client({
      connection,
      dataConverter: { payloadCodecs: [new AesGcmCodec(parseKeys([randomBytes(32).toString('base64')], 'test'))] },
    });
    const workers = await startWorkers({
      address: inject('temporalAddress'),
      namespace: 'default',
      queues: ['main'],
      dataConverter: { payloadCodecs: [new NoKeyCodec()] },
    });
    const runId = `nokey-worker-${Date.now()}`;
    const handle = await keyed.workflow.start('experimentWorkflow', {
      workflowId: workflowIdFor(runId),
      taskQueue: TASK_QUEUES.main,
      args: [{ experiment, runId, runDir: join(experiment.output, runId) }],
    });
    try {
      let failure: string | undefined;
      for (let i = 0; i < 100 && !failure; i++) {
        const history = await handle.fetchHistory();
        failure =
          history.events?.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure
            ?.message ?? undefined;
        if (!failure) await new Promise((r) => setTimeout(r, 200));
      }
      expect(failure).toMatch(/encrypted.*CLINSYNTH_ENCRYPTION_KEY/);
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
      expect(historyText(events).join('\n').includes(file)).toBe(false);
    } finally {
      await handle.terminate('test over').catch(() => {});
      await workers.shutdown();
    }
  });
});
