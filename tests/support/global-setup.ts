// Starts one real Temporal dev server (the installed CLI, SQLite file) for all tests and stops it at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../client/temporal-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalHome: string;
    temporalUiBase: string;
  }
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
