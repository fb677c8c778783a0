// Headless Chromium for tests: finds the browser, dumps a page's rendered DOM and takes screenshots, offline.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

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
      execFile(bin, [...baseFlags(userDataDir), ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new Error(`chromium ${args.join(' ')} failed: ${err.message}\n${stderr.slice(-2000)}`));
        else resolve(stdout);
      });
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
export async function screenshot(htmlFile: string, pngFile: string, size: { width: number; height: number } = { width: 1280, height: 2400 }, timeoutMs = 60_000): Promise<void> {
  await runChromium([`--screenshot=${pngFile}`, `--window-size=${size.width},${size.height}`, pathToFileURL(htmlFile).href], timeoutMs);
  if (!existsSync(pngFile)) throw new Error(`chromium wrote no screenshot at ${pngFile}`);
}

/**
 * The DOM of a web page (e.g. the Temporal UI, a JavaScript app) after its scripts ran: `--virtual-time-budget`
 * lets timers and fetches settle before `--dump-dom`.
 */
export function dumpUrl(url: string, opts: { virtualTimeBudgetMs?: number; timeoutMs?: number; windowSize?: string } = {}): Promise<string> {
  return runChromium([`--virtual-time-budget=${opts.virtualTimeBudgetMs ?? 15_000}`, `--window-size=${opts.windowSize ?? '1600,4000'}`, '--dump-dom', url], opts.timeoutMs ?? 90_000);
}
