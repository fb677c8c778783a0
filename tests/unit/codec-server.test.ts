// The codec server over HTTP, as the Temporal Web UI calls it: CORS preflight, /encode and /decode, bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec, parseKeys } from '../../lib/run/codec.js';
import { startCodecServer, type CodecServer } from '../../client/codec-server.js';
import { runCli, startCli } from '../support/cli.js';
import { freePort } from '../support/net.js';

const codec = new AesGcmCodec(parseKeys([randomBytes(32).toString('base64')], 'test'));
let server: CodecServer;
const UI = 'http://localhost:8233';

beforeAll(async () => {
  server = await startCodecServer({ codec, port: 0 });
});
afterAll(async () => {
  await server?.close();
});

const toJson = (p: { metadata?: Record<string, Uint8Array | null | undefined> | null; data?: Uint8Array | null }) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
  ),
  data: Buffer.from(p.data!).toString('base64'),
});

async function post(path: string, body: unknown, origin = UI) {
  return fetch(server.url + path, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', 'x-namespace': 'default' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('codec server', () => {
  it('answers the CORS preflight for the UI origins with x-namespace and content-type', async () => {
    for (const origin of ['http://localhost:8233', 'http://127.0.0.1:8233']) {
      const r = await fetch(server.url + '/decode', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-namespace, content-type',
        },
      });
      expect(r.status).toBe(204);
      expect(r.headers.get('access-control-allow-origin')).toBe(origin);
      expect(r.headers.get('access-control-allow-headers')).toBe('x-namespace, content-type');
      expect(r.headers.get('access-control-allow-methods')).toContain('POST');
    }
    const other = await fetch(server.url + '/decode', {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example' },
    });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('decodes what the workers encrypted and encodes what the UI sends', async () => {
    const [enc] = await codec.encode([defaultPayloadConverter.toPayload({ text: 'Forgets recent events.' })]);
    const r = await post('/decode', { payloads: [toJson(enc!)] });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe(UI);
    const body = (await r.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(body.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString())).toEqual({
      text: 'Forgets recent events.',
    });

    const e = await post('/encode', body);
    const encoded = (await e.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded.payloads[0]!.data, 'base64').toString()).not.toContain('Forgets');
    const back = await codec.decode([
      {
        metadata: Object.fromEntries(
          Object.entries(encoded.payloads[0]!.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
        ),
        data: new Uint8Array(Buffer.from(encoded.payloads[0]!.data, 'base64')),
      },
    ]);
    expect(defaultPayloadConverter.fromPayload(back[0]!)).toEqual({ text: 'Forgets recent events.' });
  });

  it('refuses bad bodies, other paths and origins, and payloads of another key, without plaintext', async () => {
    expect((await post('/decode', 'not json')).status).toBe(400);
    expect((await post('/decode', { payloads: [{ data: '***' }] })).status).toBe(400);
    expect((await post('/other', { payloads: [] })).status).toBe(404);
    expect((await post('/decode', { payloads: [] }, 'http://evil.example')).status).toBe(403);
    const stranger = new AesGcmCodec(parseKeys([randomBytes(32).toString('base64')], 'test'));
    const [enc] = await stranger.encode([defaultPayloadConverter.toPayload('secret sentence')]);
    const r = await post('/decode', { payloads: [toJson(enc!)] });
    expect(r.status).toBe(400);
    const text = await r.text();
    expect(text).toMatch(/does not have/);
    expect(text).not.toContain('secret sentence');
  });

  it("runs as `clinsynth codec-server --port N` with the environment's key, warns of a refused UI origin, and refuses to start without one", async () => {
    const key = randomBytes(32).toString('base64');
    const port = await freePort();
    const { child, result } = startCli(['codec-server', '--port', String(port)], {
      CLINSYNTH_ENCRYPTION_KEY: key,
      CLINSYNTH_ENCRYPTION_KEY_FILE: undefined,
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    for (let i = 0; i < 100 && !stderr.includes('codec server on'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain(`http://127.0.0.1:${port}`);
    expect(stderr).toContain(`--ui-codec-endpoint http://127.0.0.1:${port}`);
    expect(stderr).toContain(`CLINSYNTH_CODEC_ENDPOINT=http://127.0.0.1:${port}`);
    const mine = new AesGcmCodec(parseKeys([key], 'test'));
    const [enc] = await mine.encode([defaultPayloadConverter.toPayload('hello')]);
    const r = await fetch(`http://127.0.0.1:${port}/decode`, {
      method: 'POST',
      headers: { origin: UI, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [toJson(enc!)] }),
    });
    expect(r.status).toBe(200);
    // A UI on an origin it does not allow (another port) is refused, and the server says how to allow it, once.
    for (let i = 0; i < 2; i++) {
      const refused = await fetch(`http://127.0.0.1:${port}/decode`, {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:9233', 'access-control-request-method': 'POST' },
      });
      expect(refused.status).toBe(403);
    }
    for (let i = 0; i < 100 && !stderr.includes('refused'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain(
      'refused OPTIONS /decode from the browser origin http://localhost:9233: set CLINSYNTH_UI_URL=http://localhost:9233 to allow it',
    );
    expect(stderr.match(/refused/g)).toHaveLength(1);
    child.kill('SIGINT');
    expect((await result).code).toBe(0);
    const none = await runCli(['codec-server'], {
      CLINSYNTH_ENCRYPTION_KEY: undefined,
      CLINSYNTH_ENCRYPTION_KEY_FILE: undefined,
    });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no key to decode with: set CLINSYNTH_ENCRYPTION_KEY/);
  });
});
