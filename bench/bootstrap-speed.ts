// Micro-benchmark of lib/evaluate/paired-bootstrap.ts: 4 paired comparisons × 10,000 resamples (npx tsx bench/bootstrap-speed.ts).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pairedComparison } from '../lib/evaluate/paired-bootstrap.js';
import { mulberry32 } from '../lib/run/random.js';

const SENTENCES = 300;
const LABELS = 12;
const SEEDS = 3;
const RESAMPLES = 10_000;

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown (no /proc/cpuinfo)';
  }
}

/** 300 sentences; notes of 5 (60 clusters) or, with `perSentence`, every sentence its own cluster (300 clusters). */
function synthetic(perSentence: boolean) {
  const rand = mulberry32(12345);
  const labels = Array.from({ length: LABELS }, (_v, i) => `label${i}`);
  const gold = Array.from({ length: SENTENCES }, () => labels.filter((_l, i) => rand() < 0.3 / (1 + i / 4)));
  const clusters = Array.from({ length: SENTENCES }, (_v, i) => (perSentence ? undefined : `note${Math.floor(i / 5)}`));
  const system = (recall: number): string[][][] =>
    Array.from({ length: SEEDS }, () =>
      gold.map((g) => labels.filter((l) => (g.includes(l) ? rand() < recall : rand() < 0.03))),
    );
  const baseline = system(0.7);
  const mixes = [0.72, 0.75, 0.8, 0.9].map(system);
  return { labels, gold, clusters, baseline, mixes };
}

function run(perSentence: boolean): number {
  const { labels, gold, clusters, baseline, mixes } = synthetic(perSentence);
  const t0 = performance.now();
  for (const [i, system] of mixes.entries()) {
    const r = pairedComparison({
      gold,
      clusters,
      labels,
      system,
      baseline,
      resamples: RESAMPLES,
      alpha: 0.05,
      seed: i + 1,
    });
    const f = (x: number): string => x.toFixed(4);
    console.log(
      `  mix ${i}: Δ macro-F1 ${f(r.macroF1.delta)} [${f(r.macroF1.ci[0])}, ${f(r.macroF1.ci[1])}] p ${f(r.macroF1.p)}; Δ micro-F1 ${f(r.microF1.delta)} p ${f(r.microF1.p)}`,
    );
  }
  return (performance.now() - t0) / 1000;
}

console.log(`CPU: ${cpuModel()}`);
console.log(
  `${SENTENCES} sentences × ${LABELS} labels × ${SEEDS} seeds per system, 4 comparisons × ${RESAMPLES} resamples (bootstrap + permutation test each)`,
);
run(false); // warm-up (JIT)
console.log('60 notes of 5 sentences:');
const grouped = run(false);
console.log(`  → ${grouped.toFixed(2)} s for all 4 comparisons`);
console.log('every sentence its own cluster (300 clusters, the worst case):');
const single = run(true);
console.log(`  → ${single.toFixed(2)} s for all 4 comparisons`);
