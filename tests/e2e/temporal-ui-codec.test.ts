// The Temporal UI reads encrypted runs through `clinsynth`'s codec server: headless Chromium, a dev server of the test's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ENV, KEY_FILE_ENV, parseKeys } from '../../lib/run/codec.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';
import { startCodecServer, type CodecRequest, type CodecServer } from '../../client/codec-server.js';
import { codecEndpointFromEnv, startDevServer, type DevServer } from '../../client/temporal-server.js';
import { Clinsynth, type ExperimentRun } from '../../client/api.js';
import { freePort } from '../support/net.js';
import { openPage, type BrowserPage } from '../support/chromium.js';
import { writeTestExperiment } from '../support/experiments.js';

const NAME = 'ui-codec';
/** Text of the decoded input that is nowhere else in plain form (the name alone is in the workflow id). */
const DECODED = [`"name": "${NAME}"`, `"taxonomy": "${join(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml')}"`];
const decodedInput = new RegExp(DECODED.map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('[\\s\\S]*'));

const key = randomBytes(32).toString('base64');
const requests: CodecRequest[] = [];
const savedEnv = { home: process.env.CLINSYNTH_HOME, key: process.env[KEY_ENV], keyFile: process.env[KEY_FILE_ENV] };
const homes: string[] = [];
let codecServer: CodecServer;

/** A dev server of this test's own (never 7233/8233), its UI calling `codecEndpoint` when given, with one run started. */
interface Ui {
  server: DevServer;
  cs: Clinsynth;
  run: ExperimentRun;
  origin: string;
}
let withEndpoint: Ui;
let plain: Ui;

async function startUi(uiPort: number, codecEndpoint?: string): Promise<Ui> {
  const home = mkdtempSync(join(tmpdir(), 'clinsynth-temporal-'));
  homes.push(home);
  // The endpoint reaches the server as a user gives it to clinsynth's own server: CLINSYNTH_CODEC_ENDPOINT (read
  // at once: both servers start concurrently).
  const saved = process.env.CLINSYNTH_CODEC_ENDPOINT;
  if (codecEndpoint) process.env.CLINSYNTH_CODEC_ENDPOINT = codecEndpoint;
  else delete process.env.CLINSYNTH_CODEC_ENDPOINT;
  const codec = codecEndpointFromEnv();
  if (saved === undefined) delete process.env.CLINSYNTH_CODEC_ENDPOINT;
  else process.env.CLINSYNTH_CODEC_ENDPOINT = saved;
  const server = await startDevServer({ home, port: await freePort(), uiPort, ...codec });
  // The experiment workflow with its input encrypted by the client, and no worker: the input is in the history.
  const cs = await Clinsynth.connect({ address: server.address, uiBase: server.uiBase });
  const { file } = writeTestExperiment({ name: NAME, llm: { baseURL: 'http://127.0.0.1:9/v1' } });
  const run = await cs.start(file);
  return { server, cs, run, origin: new URL(server.uiBase).origin };
}

/** The workflow input as the server stores it, read without a codec. */
async function storedInput(ui: Ui): Promise<{ encoding: string; data: string }> {
  const connection = await Connection.connect({ address: ui.server.address });
  try {
    const history = await new Client({ connection }).workflow.getHandle(ui.run.workflowId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    return {
      encoding: Buffer.from(payload?.metadata?.encoding ?? new Uint8Array()).toString(),
      data: Buffer.from(payload?.data ?? new Uint8Array()).toString('base64'),
    };
  } finally {
    await connection.close();
  }
}

const fromBrowser = (origin: string, method: string) =>
  requests.filter((r) => r.origin === origin && r.method === method && r.path === '/decode');

/** An expression that clicks the element once it exists (true), else is false: for `page.waitFor`. */
const click = (selector: string) => `((el) => (el ? (el.click(), true) : false))(${selector})`;

async function withPage<T>(url: string, use: (page: BrowserPage) => Promise<T>): Promise<T> {
  const page = await openPage(url);
  try {
    return await use(page);
  } finally {
    await page.close();
  }
}

beforeAll(async () => {
  process.env.CLINSYNTH_HOME = mkdtempSync(join(tmpdir(), 'clinsynth-home-'));
  homes.push(process.env.CLINSYNTH_HOME);
  process.env[KEY_ENV] = key;
  delete process.env[KEY_FILE_ENV];
  const uiPorts = [await freePort(), await freePort()] as const;
  const codec = new AesGcmCodec(parseKeys([key], 'test key'));
  codecServer = await startCodecServer({
    codec,
    port: 0,
    origins: uiPorts.map((p) => `http://localhost:${p}`),
    onRequest: (r) => requests.push(r),
  });
  [withEndpoint, plain] = await Promise.all([startUi(uiPorts[0], codecServer.url), startUi(uiPorts[1])]);
});

afterAll(async () => {
  for (const ui of [withEndpoint, plain]) {
    await ui?.cs.close();
    await ui?.server.stop();
  }
  await codecServer?.close();
  for (const h of homes) rmSync(h, { recursive: true, force: true });
  for (const [name, value] of [
    ['CLINSYNTH_HOME', savedEnv.home],
    [KEY_ENV, savedEnv.key],
    [KEY_FILE_ENV, savedEnv.keyFile],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('Temporal UI with encrypted payloads', () => {
  it('shows the decoded input when the dev server gives the UI the codec endpoint (--ui-codec-endpoint)', async () => {
    expect(await storedInput(withEndpoint)).toMatchObject({ encoding: ENCRYPTED_ENCODING });
    await withPage(withEndpoint.run.uiUrl, async (page) => {
      const text = await page.waitForText(decodedInput);
      for (const s of DECODED) expect(text).toContain(s);
    });
    // The browser asked (Origin: the UI), its CORS preflight passed, and the codec server decoded.
    expect(fromBrowser(withEndpoint.origin, 'OPTIONS').map((r) => r.status)).toContain(204);
    expect(fromBrowser(withEndpoint.origin, 'POST').map((r) => r.status)).toContain(200);
    expect(requests.filter((r) => r.status !== 200 && r.status !== 204)).toEqual([]);
  });

  it('shows only the ciphertext without a codec endpoint, and the decoded input once the UI settings name the codec server', async () => {
    const stored = await storedInput(plain);
    expect(stored.encoding).toBe(ENCRYPTED_ENCODING);
    await withPage(plain.run.uiUrl, async (page) => {
      const text = await page.waitForText(new RegExp(`Input\\s+"${stored.data.slice(0, 64).replace(/[+/]/g, '\\$&')}`));
      for (const s of DECODED) expect(text).not.toContain(s);
      expect(text).not.toContain(plain.run.runDir);
      expect(fromBrowser(plain.origin, 'POST')).toEqual([]);

      // What a user does: "Configure Codec Server" in the top bar → "Use my browser setting…" → endpoint → Apply → reload.
      await page.waitFor(click(`document.querySelector('[data-testid=data-encoder-status]')`));
      await page.waitFor(click(`document.querySelector('[data-testid=use-local-endpoint-input]')`));
      await page.waitFor(
        `(() => { const t = document.querySelector('[data-testid=data-encoder-endpoint-input]'); if (!t) return false;` +
          ` t.value = ${JSON.stringify(codecServer.url)}; t.dispatchEvent(new Event('input', { bubbles: true })); return true; })()`,
      );
      await page.waitFor(click(`[...document.querySelectorAll('button')].find((b) => b.innerText.trim() === 'Apply')`));
      await page.waitFor(`localStorage.getItem('endpoint') === ${JSON.stringify(JSON.stringify(codecServer.url))}`);
      await page.reload();
      const decoded = await page.waitForText(decodedInput);
      for (const s of DECODED) expect(decoded).toContain(s);
    });
    expect(fromBrowser(plain.origin, 'OPTIONS').map((r) => r.status)).toContain(204);
    expect(fromBrowser(plain.origin, 'POST').map((r) => r.status)).toContain(200);
  });
});
