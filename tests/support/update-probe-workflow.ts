// A workflow that only waits and answers one Update: the smallest run a real worker can take an Update for.
import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

export const pingUpdate = defineUpdate<string, [string]>('ping');

export async function updateProbeWorkflow(): Promise<void> {
  setHandler(pingUpdate, (who: string) => `pong ${who}`);
  await condition(() => false);
}
