// A workflow test's surroundings on the tests' Temporal server: a fresh CLINSYNTH_HOME, the fake LLM endpoint, workers in this process (plain payloads) and a client.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { startWorkers, type RunningWorkers } from '../../worker.js';
import { startFakeLlmServer, type FakeLlmOptions, type FakeLlmServer } from './fake-llm-server.js';

export interface WorkflowEnv {
  llm: FakeLlmServer;
  workers: RunningWorkers;
  client: Client;
  /** Stops the workers, the connection and the endpoint (whatever was started). */
  close(): Promise<void>;
}

export async function startWorkflowEnv(opts: { llm?: FakeLlmOptions; llmConcurrency: number }): Promise<WorkflowEnv> {
  process.env.CLINSYNTH_HOME = mkdtempSync(join(tmpdir(), 'clinsynth-home-'));
  const address = inject('temporalAddress');
  const llm = await startFakeLlmServer(opts.llm);
  const workers = await startWorkers({
    address,
    namespace: 'default',
    llmConcurrency: opts.llmConcurrency,
    dataConverter: {},
  });
  const connection = await Connection.connect({ address });
  return {
    llm,
    workers,
    client: new Client({ connection }),
    async close() {
      await workers.shutdown();
      await connection.close();
      await llm.close();
    },
  };
}
