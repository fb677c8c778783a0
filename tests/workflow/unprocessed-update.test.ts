// The real server rejects an Update whose workflow task a worker completed without processing it (UnprocessedUpdate,
// what a worker killed or replaying mid-Update leaves); sendUpdate sends it again until a worker takes it.
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { isUnprocessedUpdate, sendUpdate, UnprocessedUpdateError } from '../../client/send-update.js';
import { pingUpdate, updateProbeWorkflow } from '../support/update-probe-workflow.js';

const namespace = 'default';
let connection: Connection;
let client: Client;

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace });
});
afterAll(async () => {
  await connection?.close();
});

/** A worker stand-in that completes the next workflow task on `taskQueue` with no commands and no Update answers. */
async function completeNextTaskIgnoringUpdates(taskQueue: string): Promise<number> {
  for (;;) {
    const task = await connection.withDeadline(Date.now() + 30_000, () =>
      connection.workflowService.pollWorkflowTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
        identity: 'ignoring-poller',
      }),
    );
    if (!task.taskToken?.length) continue; // the long poll ended empty
    await connection.workflowService.respondWorkflowTaskCompleted({
      namespace,
      taskToken: task.taskToken,
      identity: 'ignoring-poller',
      commands: [],
      messages: [],
    });
    return task.messages?.length ?? 0;
  }
}

describe('an Update no worker processed', () => {
  it('is rejected by the server as UnprocessedUpdate, and sendUpdate delivers it once a worker takes it', async () => {
    const taskQueue = `unprocessed-${randomUUID()}`;
    const handle = await client.workflow.start(updateProbeWorkflow, { taskQueue, workflowId: `probe-${randomUUID()}` });
    expect(await completeNextTaskIgnoringUpdates(taskQueue)).toBe(0); // the first task: the run waits

    // Sent once, the server's rejection comes back as the Update's failure.
    const once = handle.executeUpdate(pingUpdate, { args: ['once'] }).catch((e: unknown) => e);
    expect(await completeNextTaskIgnoringUpdates(taskQueue)).toBe(1);
    const rejected = await once;
    expect(rejected).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(isUnprocessedUpdate(rejected)).toBe(true);

    // Through sendUpdate, the same rejection is followed by a resend that the real worker answers.
    const resends: number[] = [];
    const answer = sendUpdate(() => handle.executeUpdate(pingUpdate, { args: ['again'] }), {
      firstDelayMs: 200,
      onResend: (attempt) => resends.push(attempt),
    });
    expect(await completeNextTaskIgnoringUpdates(taskQueue)).toBe(1);
    const native = await NativeConnection.connect({ address: inject('temporalAddress') });
    const worker = await Worker.create({
      connection: native,
      namespace,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../support/update-probe-workflow.ts', import.meta.url)),
    });
    await worker.runUntil(async () => {
      expect(await answer).toBe('pong again');
      await handle.terminate('probe done');
    });
    await native.close();
    expect(resends).toEqual([1]);
  });

  it('gives up after its attempts with a message that says no worker processed it', async () => {
    const taskQueue = `unprocessed-${randomUUID()}`;
    const handle = await client.workflow.start(updateProbeWorkflow, { taskQueue, workflowId: `probe-${randomUUID()}` });
    await completeNextTaskIgnoringUpdates(taskQueue);
    const answer = sendUpdate(() => handle.executeUpdate(pingUpdate, { args: ['never'] }), {
      attempts: 2,
      firstDelayMs: 50,
    }).catch((e: unknown) => e);
    await completeNextTaskIgnoringUpdates(taskQueue);
    await completeNextTaskIgnoringUpdates(taskQueue);
    const e = (await answer) as Error;
    expect(e).toBeInstanceOf(UnprocessedUpdateError);
    expect(e.message).toMatch(/^no worker processed the Update after 2 sends: .*wasn't processed by worker/);
    await handle.terminate('probe done');
  });
});
