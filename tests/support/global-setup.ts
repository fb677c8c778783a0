// Starts one real Temporal dev server (the installed CLI, SQLite file) for all tests and stops it at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../client/temporal-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalHome: string;
    temporalUiBase: string;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let server: DevServer | undefined;
let home: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  home = mkdtempSync(join(tmpdir(), 'clinsynth-temporal-'));
  const port = await freePort();
  server = await startDevServer({ home, port, uiPort: await freePort() });
  project.provide('temporalAddress', server.address);
  project.provide('temporalHome', home);
  project.provide('temporalUiBase', server.uiBase);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
}
