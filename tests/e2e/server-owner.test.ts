// The embedded server's owner: a server found on the port is used only when it is this CLINSYNTH_HOME's (pid file,
// database); otherwise the message names the server (pid, command, database) and how to stop it. And
// `clinsynth server --ip/--port/--ui-port`.
import { describe, expect, inject, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foreignServerProblem, ownRunningServer } from '../../client/server-owner.js';
import { startCli } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { isServing } from '../../client/temporal-server.js';

const portOf = (address: string) => Number(address.split(':')[1]);

describe('whose Temporal server answers', () => {
  it("is this home's when its pid file and database match; otherwise the message says which and how to stop it", () => {
    const serverHome = inject('temporalHome');
    const port = portOf(inject('temporalAddress'));
    expect(foreignServerProblem(serverHome, port)).toBeUndefined();
    expect(ownRunningServer(serverHome)).toMatchObject({ port });

    const pid = Number(readFileSync(join(serverHome, 'temporal-server.pid'), 'utf8'));
    const other = mkdtempSync(join(tmpdir(), 'clinsynth-home-'));
    const problem = foreignServerProblem(other, port)!;
    expect(problem).toContain(`127.0.0.1:${port} is answered by a Temporal server that is not this CLINSYNTH_HOME's`);
    expect(problem).toContain('it has no temporal-server.pid');
    expect(problem).toContain(`It is pid ${pid}: `);
    expect(problem).toContain(`--db-filename ${join(serverHome, 'temporal.db')}`);
    expect(problem).toContain(`\`CLINSYNTH_HOME=${serverHome} clinsynth server stop\` or \`kill ${pid}\``);
    expect(problem).toContain(`TEMPORAL_ADDRESS=127.0.0.1:${port}`);
    expect(ownRunningServer(other)).toBeUndefined();
  });

  it('`clinsynth server --ip --port --ui-port` serves there; a server whose database is gone is not reused', async () => {
    const home = mkdtempSync(join(tmpdir(), 'clinsynth-home-'));
    const [port, uiPort] = [await freePort(), await freePort()];
    const server = startCli(['server', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort)], {
      CLINSYNTH_HOME: home,
    });
    try {
      let stderr = '';
      server.child.stderr!.on('data', (d) => (stderr += d));
      while (!stderr.includes('Ctrl-C stops it')) {
        if (server.child.exitCode !== null) throw new Error(`clinsynth server exited: ${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(stderr).toContain(`Temporal dev server on 127.0.0.1:${port}, UI http://localhost:${uiPort}`);
      expect(await isServing(`127.0.0.1:${port}`)).toBe(true);
      expect(foreignServerProblem(home, port)).toBeUndefined();
      // The case: the server still answers, but its database (folder) was removed.
      rmSync(join(home, 'temporal.db'));
      expect(existsSync(join(home, 'temporal.db'))).toBe(false);
      expect(foreignServerProblem(home, port)).toContain(`its database ${join(home, 'temporal.db')} is gone`);
    } finally {
      server.child.kill('SIGTERM');
      await server.result;
    }
  });
});
