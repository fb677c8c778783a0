// Summarises V8 .cpuprofile files (node --cpu-prof): self time by function and by area (our code, Temporal, openai, fs…).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  idleMs: number;
  byArea: Record<string, number>;
  topSelf: { fn: string; ms: number }[];
  topInclusive: { fn: string; ms: number }[];
}

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : 'native';
  if (url.includes('/node_modules/@temporalio/')) return 'temporal-sdk';
  if (url.includes('/node_modules/openai/')) return 'openai-client';
  if (url.includes('/node_modules/zod/')) return 'zod';
  if (url.includes('/node_modules/'))
    return `dep:${url
      .split('/node_modules/')[1]!
      .split('/')
      .slice(0, url.includes('/node_modules/@') ? 2 : 1)
      .join('/')}`;
  if (url.startsWith('node:') || !url.includes('/')) return `node:${url.replace(/^node:/, '').split('/')[0]}`;
  const m = /\/(lib|activities|workflows|bench|tests)\/(.*)$/.exec(url);
  if (m) return `${m[1]}/${m[2]}`;
  return url.split('/').slice(-2).join('/');
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  p.samples.forEach((s, i) => self.set(s, (self.get(s) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const key = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'} ${area(n.callFrame.url, n.callFrame.functionName)}:${n.callFrame.lineNumber + 1}`;
  const bySelf = new Map<string, number>();
  const byArea: Record<string, number> = {};
  const incl = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const n = nodes.get(id)!;
    total += us;
    if (n.callFrame.functionName === '(idle)') idle += us;
    bySelf.set(key(n), (bySelf.get(key(n)) ?? 0) + us);
    const a = area(n.callFrame.url, n.callFrame.functionName);
    byArea[a] = (byArea[a] ?? 0) + us / 1000;
    const seen = new Set<string>();
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const k = key(nodes.get(x)!);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + us);
    }
  }
  const sorted = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, ms: Math.round(us / 1000) }));
  const areas = Object.fromEntries(
    Object.entries(byArea)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([k, v]) => [k, Math.round(v)]),
  );
  return {
    file,
    totalMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    byArea: areas,
    topSelf: sorted(bySelf),
    topInclusive: sorted(
      new Map(
        [...incl.entries()].filter(
          ([k]) => !k.startsWith('(root)') && !k.startsWith('(idle)') && !k.startsWith('(program)'),
        ),
      ),
    ),
  };
}

/** Summaries of every profile in a folder (one per thread: main thread and workflow worker threads). */
export function summariseProfiles(dir: string, top = 15): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summariseProfile(join(dir, f), top))
    .sort((a, b) => b.totalMs - b.idleMs - (a.totalMs - a.idleMs));
}

if (process.argv[1]?.endsWith('cpuprofile.ts') && process.argv[2]) {
  console.log(JSON.stringify(summariseProfiles(process.argv[2], Number(process.argv[3] ?? 15)), null, 1));
}
