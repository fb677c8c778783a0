// The viewer's checks on a finished run (used by tests/e2e/cli.test.ts on its demo run): the JSON API's shapes, then the page in headless Chromium.
import { expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startCli } from './cli.js';
import { chromiumPath } from './chromium.js';
import { remoteRefusal } from '../../client/view/command.js';
import { RUN_FILES, readRunExperiment, writeJson } from '../../lib/run/run-dir.js';

type Rows = { total: number; rows: { ref: string; source: string; text: string; labels: string[] }[] };

/** Starts `clinsynth view RUN_ID --port 0`, runs the checks, and stops the viewer's process (checked gone). */
export async function viewerChecks(runId: string, runDir: string, env: Record<string, string>): Promise<void> {
  const { child, result } = startCli(['view', runId, '--port', '0'], env);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /viewer: (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      void result.then((r) => reject(new Error(`view exited ${r.code}: ${r.stderr}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const get = async <T>(path: string): Promise<T> => {
      const r = await fetch(new URL(path, url));
      expect(r.status, `${path}: ${await r.clone().text()}`).toBe(200);
      return (await r.json()) as T;
    };

    // The JSON API answers the documented shapes, and a filter narrows the total.
    const all = await get<Rows>('/api/rows?limit=5');
    expect(Object.keys(all).sort()).toEqual(['rows', 'total']);
    expect(all.rows).toHaveLength(5);
    const silver = await get<Rows>('/api/rows?source=silver&limit=500');
    const bronze = await get<Rows>('/api/rows?source=bronze&limit=1');
    expect(silver.total).toBeGreaterThan(0);
    expect(bronze.total).toBeGreaterThan(0);
    expect(silver.total).toBeLessThan(all.total);
    expect(silver.rows.every((r) => r.source === 'silver')).toBe(true);
    const word = silver.rows[0]!.text.split(' ').find((w) => w.length > 5)!;
    const searched = await get<Rows>(`/api/rows?q=${encodeURIComponent(word)}&limit=500`);
    expect(searched.total).toBe(searched.rows.length);
    expect(searched.rows.every((r) => r.text.toLowerCase().includes(word.toLowerCase()))).toBe(true);
    expect((await fetch(new URL('/api/rows?verdict=maybe', url))).status).toBe(400);
    // Labels: one label, any of two, all of two; sorting by text both ways.
    const everything = await get<Rows>('/api/rows?limit=500');
    const [l1, l2] = [...new Set(everything.rows.flatMap((r) => r.labels))];
    const has = (r: { labels: string[] }, l: string) => r.labels.includes(l);
    const one = await get<Rows>(`/api/rows?label=${l1}&limit=500`);
    const any = await get<Rows>(`/api/rows?label=${l1},${l2}&limit=500`);
    const both = await get<Rows>(`/api/rows?label=${l1},${l2}&labelMode=all&limit=500`);
    expect(one.total).toBe(everything.rows.filter((r) => has(r, l1!)).length);
    expect(any.total).toBe(everything.rows.filter((r) => has(r, l1!) || has(r, l2!)).length);
    expect(both.total).toBe(everything.rows.filter((r) => has(r, l1!) && has(r, l2!)).length);
    const texts = everything.rows.map((r) => r.text);
    const byText = await get<Rows>('/api/rows?sort=text&limit=3');
    const byTextDesc = await get<Rows>('/api/rows?sort=text&desc=true&limit=3');
    expect(byText.rows[0]!.text <= byText.rows[1]!.text && byText.rows[1]!.text <= byText.rows[2]!.text).toBe(true);
    expect(byTextDesc.rows[0]!.text >= byTextDesc.rows[1]!.text).toBe(true);
    expect(texts).toContain(byTextDesc.rows[0]!.text);
    const bronzeNear = await get<{ rows: { ref: string; of: string; nearestText: string; cosine: number }[] }>(
      '/api/bronze?limit=3',
    );
    expect(bronzeNear.rows.length).toBeGreaterThan(0);
    expect(bronzeNear.rows[0]!.cosine).toBeGreaterThanOrEqual(bronzeNear.rows.at(-1)!.cosine);
    expect(['gold', 'corpus']).toContain(bronzeNear.rows[0]!.of);
    const { fidelity } = await get<{ fidelity: { sets: { bronze: { overall: { sentences: number } } } } }>(
      '/api/fidelity',
    );
    expect(fidelity.sets.bronze.overall.sentences).toBeGreaterThan(0);
    // A page reached through another name (DNS rebinding) is refused.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        new URL('/api/rows', url),
        { headers: { host: 'attacker.example' } },
        (res) => (res.resume(), resolve(res.statusCode ?? 0)),
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    const detail = await get<{
      row: { ref: string };
      labels: { llm: string[] };
      flags: unknown[];
      provenance: { cacheKey: string; cached: boolean; rawAnswer: string; request: { messages: unknown[] } };
      selfCheck: unknown;
      context: { span: string } | null;
    }>(`/api/rows/${encodeURIComponent(silver.rows[0]!.ref)}`);
    expect(detail.row.ref).toBe(silver.rows[0]!.ref);
    expect(detail.provenance.cached).toBe(true);
    expect(detail.provenance.rawAnswer.length).toBeGreaterThan(0);
    expect(detail.provenance.request.messages.length).toBeGreaterThan(0);
    expect(detail.context?.span).toBe(silver.rows[0]!.text);
    const confusion = await get<{
      sentences: number;
      labels: string[];
      before: Record<string, { tp: number; fp: number; fn: number; tn: number }>;
    }>('/api/confusion');
    expect(confusion.sentences).toBeGreaterThan(0);
    for (const l of confusion.labels) {
      const c = confusion.before[l]!;
      expect(c.tp + c.fp + c.fn + c.tn).toBe(confusion.sentences);
    }

    // The page in Chromium: a filter changes the rows and the count; a row shows its raw answer; a cell its sentences.
    const browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    try {
      const page = await browser.newPage();
      const offline: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(url)) offline.push(r.url());
      });
      await page.goto(url);
      await expect.poll(() => page.textContent('#total')).toBe(all.total.toLocaleString('en-US'));
      await page.selectOption('select[name=source]', 'bronze');
      await expect.poll(() => page.textContent('#total')).toBe(bronze.total.toLocaleString('en-US'));
      expect(
        await page.$$eval('#rows tbody tr', (trs) => trs.map((t) => t.getAttribute('data-ref')!.split(':')[0])),
      ).toEqual(Array(Math.min(50, bronze.total)).fill('bronze'));
      await page.selectOption('select[name=source]', 'silver');
      await expect.poll(() => page.textContent('#total')).toBe(silver.total.toLocaleString('en-US'));
      await page.click(`#rows tbody tr[data-ref="${silver.rows[0]!.ref}"]`);
      await expect.poll(() => page.textContent('#raw-answer')).toBe(detail.provenance.rawAnswer);

      await page.click('nav button[data-tab=confusion]');
      const [label, cell, n] = confusion.labels
        .flatMap((l) => (['tp', 'fn', 'fp'] as const).map((k) => [l, k, confusion.before[l]![k]] as const))
        .find(([, , x]) => x > 0)!;
      await page.click(`table.cm[data-label="${label}"][data-stage=before] button[data-cell=${cell}]`);
      await expect.poll(() => page.$$eval('#cell-sentences li', (lis) => lis.length)).toBe(n);
      await page.click('nav button[data-tab=fidelity]');
      await expect
        .poll(() => page.$$eval('#fidelity table[data-set=bronze] tr', (trs) => trs.length))
        .toBeGreaterThan(1);
      expect(offline).toEqual([]);
    } finally {
      await browser.close();
    }
  } finally {
    child.kill('SIGTERM');
    const r = await result;
    expect(r.code, r.stderr).toBe(0);
  }

  // A sensitive run is not served beyond loopback unless --allow-remote, and the refusal says why.
  const sensitiveDir = join(mkdtempSync(join(tmpdir(), 'clinsynth-view-')), 'run');
  const e = readRunExperiment(runDir);
  writeJson(join(sensitiveDir, RUN_FILES.experiment), {
    ...e,
    corpus: { ...(e.corpus ?? { path: 'x', format: 'jsonl' }), sensitive: true },
  });
  const v = [{ id: 'sensitive-run', runDir: sensitiveDir }];
  expect(remoteRefusal('0.0.0.0', v, false)).toMatch(/corpus\.sensitive.*without any login/);
  expect(remoteRefusal('0.0.0.0', v, true)).toBeUndefined();
  expect(remoteRefusal('127.0.0.1', v, false)).toBeUndefined();
  expect(remoteRefusal('0.0.0.0', [{ id: runId, runDir }], false)).toBeUndefined();
}
