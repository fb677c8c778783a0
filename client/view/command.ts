// `clinsynth view RUN_ID|STUDY`: serves the run's (or each study variant's) rows, confusion and bronze pages on a local web page.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { isLoopbackHost } from '../../lib/config/privacy.js';
import { readRunExperiment } from '../../lib/run/run-dir.js';
import { Clinsynth } from '../api.js';
import { startViewer, type ViewerVariant } from './server.js';

const USAGE = 'usage: clinsynth view RUN_ID|STUDY [--run-dir DIR] [--port N] [--host HOST] [--allow-remote]';
export const DEFAULT_VIEW_PORT = 4180;

/** Why this host may not serve these runs (a sensitive corpus to a non-loopback address), or undefined. */
export function remoteRefusal(host: string, variants: ViewerVariant[], allowRemote: boolean): string | undefined {
  if (isLoopbackHost(host) || allowRemote) return undefined;
  const sensitive = variants.filter((v) => readRunExperiment(v.runDir).corpus?.sensitive);
  if (!sensitive.length) return undefined;
  return (
    `refusing --host ${host}: ${sensitive.map((v) => v.id).join(', ')} ${sensitive.length === 1 ? 'has' : 'have'} corpus.sensitive: true, and the viewer shows ` +
    `note text without any login to whoever can reach ${host}. Keep the default 127.0.0.1 (use an SSH tunnel to look from elsewhere), ` +
    `or pass --allow-remote if this network is approved for this data`
  );
}

async function resolveVariants(id: string, runDir: string | undefined): Promise<ViewerVariant[]> {
  if (runDir) return [{ id: basename(resolve(runDir)), runDir: resolve(runDir) }];
  const cs = await Clinsynth.connect({ startServer: false });
  try {
    const study = cs.getStudy(id);
    const isStudy = await study.handle.describe().then(
      () => true,
      (e) => {
        if (e instanceof WorkflowNotFoundError) return false;
        throw e;
      },
    );
    if (isStudy)
      return (await study.outcome()).variants
        .filter((v) => v.runDir && existsSync(join(v.runDir, 'experiment.json')))
        .map((v) => ({ id: v.id, runDir: v.runDir }));
    return [{ id, runDir: (await cs.get(id).outcome()).runDir }];
  } finally {
    await cs.close();
  }
}

export async function viewCommand(args: string[], say: (line: string) => void): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'run-dir': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'allow-remote': { type: 'boolean' },
    },
  });
  if (positionals.length > 1 || (!positionals.length && !values['run-dir'])) {
    say(USAGE);
    return 2;
  }
  const port = values.port === undefined ? DEFAULT_VIEW_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    say(`--port: expected a port number, got "${values.port}"`);
    return 2;
  }
  const host = values.host ?? '127.0.0.1';
  const variants = await resolveVariants(positionals[0] ?? '', values['run-dir']);
  if (!variants.length) throw new Error(`${positionals[0]} has no finished variant to show`);
  const refusal = remoteRefusal(host, variants, values['allow-remote'] ?? false);
  if (refusal) {
    say(refusal);
    return 2;
  }
  const viewer = await startViewer({ variants, host, port, checkHostHeader: isLoopbackHost(host), say });
  process.stdout.write(`viewer: ${viewer.url}\n`);
  say(`serving ${variants.map((v) => v.runDir).join(', ')} (Ctrl-C stops)`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await viewer.close();
  return 0;
}
