// P5 helper: a clinsynth worker process on its own (both task queues), so its peak RSS can be read from /proc.
// With BENCH_WORKER_PROFILE=FILE it CPU-profiles its main thread from start until a `stop-profile` line on stdin.
import { Session } from 'node:inspector/promises';
import { appendFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { startWorkers } from '../worker.js';

const address = process.argv[2];
if (!address) throw new Error('usage: p5-worker.ts TEMPORAL_ADDRESS [llmConcurrency]');
const profileFile = process.env.BENCH_WORKER_PROFILE;
let session: Session | undefined;
if (profileFile) {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
}
// With BENCH_WORKER_MEMLOG=FILE it appends process.memoryUsage() (MiB) every second, to see which phase holds memory.
const memLog = process.env.BENCH_WORKER_MEMLOG;
if (memLog) {
  const mib = (n: number) => Math.round(n / 1048576);
  setInterval(() => {
    const m = process.memoryUsage();
    appendFileSync(
      memLog,
      `${JSON.stringify({ t: Math.round(performance.now() / 1000), rss: mib(m.rss), heapUsed: mib(m.heapUsed), heapTotal: mib(m.heapTotal), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers) })}\n`,
    );
  }, 1000).unref();
}
const workers = await startWorkers({ address, namespace: 'default', llmConcurrency: Number(process.argv[3] ?? 16) });
if (session) await session.post('Profiler.start');
process.stdout.write('ready\n');

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stop-profile' || !session) return;
  const s = session;
  session = undefined;
  void s.post('Profiler.stop').then(({ profile }) => {
    writeFileSync(profileFile!, JSON.stringify(profile));
    process.stdout.write('profile-written\n');
  });
});

// Exit promptly on SIGTERM (also when an activity such as a merge is still running): the benchmark has its numbers.
const stop = () => {
  setTimeout(() => process.exit(0), 2000).unref();
  void workers.shutdown().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
await workers.done;
