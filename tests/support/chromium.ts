// Headless Chromium for tests: finds the browser, dumps a page's rendered DOM, takes screenshots, and opens a page to wait on.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** The Chromium binary: $CHROMIUM_PATH, else the usual Debian/Ubuntu locations; a clear error when none exists. */
export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `Chromium is not installed (looked for ${CANDIDATES.join(', ')}). ` +
        'Install it with `apt-get update && apt-get install -y chromium` (Debian package "chromium"), or set CHROMIUM_PATH.',
    );
  }
  return found;
}

/** Flags for an isolated, offline-leaning headless run (no sandbox: tests may run as root in containers). */
function baseFlags(userDataDir: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-extensions',
    '--disable-dev-shm-usage',
    '--hide-scrollbars',
    '--mute-audio',
    `--user-data-dir=${userDataDir}`,
  ];
}

async function runChromium(args: string[], timeoutMs: number): Promise<string> {
  const bin = chromiumPath();
  const userDataDir = mkdtempSync(join(tmpdir(), 'clinsynth-chromium-'));
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile(
        bin,
        [...baseFlags(userDataDir), ...args],
        { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`chromium ${args.join(' ')} failed: ${err.message}\n${stderr.slice(-2000)}`));
          else resolve(stdout);
        },
      );
    });
  } finally {
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

/** The DOM of a local HTML file after Chromium has parsed and laid it out (`--dump-dom`). */
export function dumpDom(htmlFile: string, timeoutMs = 60_000): Promise<string> {
  return runChromium(['--dump-dom', pathToFileURL(htmlFile).href], timeoutMs);
}

/** Renders a local HTML file to a PNG of the given window size (`--screenshot`). */
export async function screenshot(
  htmlFile: string,
  pngFile: string,
  size: { width: number; height: number } = { width: 1280, height: 2400 },
  timeoutMs = 60_000,
): Promise<void> {
  await runChromium(
    [`--screenshot=${pngFile}`, `--window-size=${size.width},${size.height}`, pathToFileURL(htmlFile).href],
    timeoutMs,
  );
  if (!existsSync(pngFile)) throw new Error(`chromium wrote no screenshot at ${pngFile}`);
}

/**
 * The DOM of a web page (e.g. the Temporal UI, a JavaScript app) after its scripts ran: `--virtual-time-budget`
 * lets timers and fetches settle before `--dump-dom`.
 */
export function dumpUrl(
  url: string,
  opts: { virtualTimeBudgetMs?: number; timeoutMs?: number; windowSize?: string } = {},
): Promise<string> {
  return runChromium(
    [
      `--virtual-time-budget=${opts.virtualTimeBudgetMs ?? 15_000}`,
      `--window-size=${opts.windowSize ?? '1600,4000'}`,
      '--dump-dom',
      url,
    ],
    opts.timeoutMs ?? 90_000,
  );
}

/** A page open in headless Chromium, driven over the DevTools protocol (for pages whose content arrives late). */
export interface BrowserPage {
  /** The value of a JavaScript expression in the page (JSON-serialisable; promises are awaited). */
  evaluate<T>(expression: string): Promise<T>;
  /** The page's visible text (`document.body.innerText`). */
  text(): Promise<string>;
  /** Waits until the visible text matches `expected` and returns it; on timeout, fails with the text it had. */
  waitForText(expected: RegExp, timeoutMs?: number): Promise<string>;
  /** Waits until a JavaScript expression is truthy in the page (e.g. an element exists) and returns its value. */
  waitFor<T>(expression: string, timeoutMs?: number): Promise<T>;
  /** Reloads the page (what a user does after changing a setting the app reads at start). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Opens `url` in headless Chromium with the DevTools protocol on a pipe (`--remote-debugging-pipe`: fd 3 in, fd 4
 * out, NUL-separated JSON), so a test can wait for what a JavaScript app renders instead of guessing a delay.
 */
export async function openPage(url: string, opts: { windowSize?: string } = {}): Promise<BrowserPage> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'clinsynth-chromium-'));
  const child = spawn(
    chromiumPath(),
    [
      ...baseFlags(userDataDir),
      '--remote-debugging-pipe',
      `--window-size=${opts.windowSize ?? '1600,4000'}`,
      'about:blank',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-4000)));
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  const pending = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  let exited = false;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`chromium exited (${signal ?? code}) before answering\n${stderr}`));
      }
      pending.clear();
      resolve();
    }),
  );
  let buffered = '';
  fromBrowser.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let end: number;
    while ((end = buffered.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buffered.slice(0, end)) as {
        id?: number;
        result?: Record<string, unknown>;
        error?: { message: string };
      };
      buffered = buffered.slice(end + 1);
      const waiter = msg.id === undefined ? undefined : pending.get(msg.id);
      if (!waiter) continue; // an event: nothing here listens to events
      pending.delete(msg.id!);
      clearTimeout(waiter.timer);
      if (msg.error) waiter.reject(new Error(`chromium: ${msg.error.message}`));
      else waiter.resolve(msg.result ?? {});
    }
  });
  let nextId = 0;
  const send = (
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> => {
    if (exited) return Promise.reject(new Error(`chromium has exited\n${stderr}`));
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`chromium did not answer ${method} within ${COMMAND_TIMEOUT_MS / 1000}s\n${stderr}`));
      }, COMMAND_TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  };
  const close = async (): Promise<void> => {
    if (!exited) {
      await send('Browser.close').catch(() => {});
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(userDataDir, { recursive: true, force: true });
  };
  try {
    const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    await send('Page.navigate', { url }, sessionId);
    const evaluate = async <T>(expression: string): Promise<T> => {
      const r = (await send(
        'Runtime.evaluate',
        { expression, returnByValue: true, awaitPromise: true },
        sessionId,
      )) as {
        result?: { value?: unknown };
        exceptionDetails?: { text?: string; exception?: { description?: string } };
      };
      if (r.exceptionDetails)
        throw new Error(
          `in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text ?? 'an exception'}`,
        );
      return r.result?.value as T;
    };
    const text = async (): Promise<string> => (await evaluate<string | undefined>('document.body?.innerText')) ?? '';
    /** Asks `get` until `ok`; an evaluation cut short by a navigation counts as a try that saw nothing. */
    const poll = async <T>(
      get: () => Promise<T | undefined>,
      ok: (v: T | undefined) => boolean,
      timeoutMs: number,
      failure: string,
    ): Promise<T> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await get().catch(() => undefined);
        if (ok(v)) return v as T;
        if (Date.now() > deadline) {
          const shown = await text().catch((e: Error) => `(no text: ${e.message})`);
          throw new Error(`${url}: ${failure} within ${timeoutMs / 1000}s; the page showed:\n${shown.slice(0, 4000)}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const waitForText = (expected: RegExp, timeoutMs = 30_000): Promise<string> =>
      poll(text, (t) => t !== undefined && expected.test(t), timeoutMs, `no text matched ${expected}`);
    const waitFor = <T>(expression: string, timeoutMs = 30_000): Promise<T> =>
      poll(() => evaluate<T>(expression), Boolean, timeoutMs, `\`${expression}\` stayed false`);
    const reload = async (): Promise<void> => {
      await send('Page.reload', {}, sessionId);
    };
    return { evaluate, text, waitForText, waitFor, reload, close };
  } catch (e) {
    await close();
    throw e;
  }
}
