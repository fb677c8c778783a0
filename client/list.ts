// `clinsynth list`: the runs on the Temporal server, newest first, as a table or one JSON object per line.
import { parseArgs } from 'node:util';
import { Clinsynth } from './api.js';

/** Runs on the server, newest first: a table, or one JSON object per line with --json (the API's `cs.list`). */
export async function listCommand(args: string[], say: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      experiment: { type: 'string' },
      study: { type: 'string' },
      status: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const filter = {
    ...(values.experiment ? { experiment: values.experiment } : {}),
    ...(values.study ? { study: values.study } : {}),
    ...(values.status ? { status: values.status } : {}),
  };
  const cs = await Clinsynth.connect({ startServer: false });
  try {
    let n = 0;
    for await (const r of cs.list(filter)) {
      n++;
      if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
      else
        process.stdout.write(
          `${r.runId.padEnd(40)} ${r.status.padEnd(10)} ${(r.stage ?? '—').padEnd(10)} ${r.startTime.toISOString()}${r.study ? `  study ${r.study}` : ''}\n`,
        );
    }
    if (!n && !values.json) say(`no runs on ${cs.address}${Object.keys(filter).length ? ' that match' : ''}`);
    return 0;
  } finally {
    await cs.close();
  }
}
