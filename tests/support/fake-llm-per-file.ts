// One fake LLM server for a test file: started before its tests, faults and stats reset before each, closed after.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startFakeLlmServer, type FakeLlmFaults, type FakeLlmOptions, type FakeLlmServer } from './fake-llm-server.js';

/** The server, usable inside tests and hooks (it starts in beforeAll: reading it at the file's top level throws). */
export function fakeLlmPerFile(opts: FakeLlmOptions, faultsBeforeEach: Partial<FakeLlmFaults>): FakeLlmServer {
  let server: FakeLlmServer | undefined;
  beforeAll(async () => {
    server = await startFakeLlmServer(opts);
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    server!.setFaults(faultsBeforeEach);
    server!.resetStats();
  });
  return new Proxy({} as FakeLlmServer, {
    get(_, key) {
      if (!server) throw new Error('the fake LLM server starts in beforeAll: use it inside tests and hooks');
      const value = Reflect.get(server, key, server) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(server) : value;
    },
  });
}
