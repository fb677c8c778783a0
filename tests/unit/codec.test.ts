// The AES-256-GCM payload codec: round trip, tamper detection, key rotation, wrong or missing key, bad key material.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmCodec,
  codecFromEnv,
  ENCRYPTED_ENCODING,
  keyId,
  keysFromEnv,
  NoKeyCodec,
  parseKeys,
} from '../../lib/run/codec.js';

const b64 = () => randomBytes(32).toString('base64');
const plain = (v: unknown): Payload => defaultPayloadConverter.toPayload(v);
const text = (p: Payload) =>
  Buffer.from(JSON.stringify({ m: p.metadata, d: Buffer.from(p.data ?? []).toString('latin1') })).toString('latin1');
const SECRET = { sentence: 'Patient repeats questions and forgets recent events.', path: '/data/mimic/NOTEEVENTS.csv' };

describe('AesGcmCodec', () => {
  it('round-trips payloads and leaves no plaintext in the encoded form', async () => {
    const codec = new AesGcmCodec(parseKeys([b64()], 'test'));
    const [enc] = await codec.encode([plain(SECRET)]);
    expect(Buffer.from(enc!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(enc!.metadata!['encryption-key-id']!).toString()).toBe(codec.encryptKeyId);
    expect(text(enc!)).not.toContain('forgets');
    expect(text(enc!)).not.toContain('mimic');
    const [dec] = await codec.decode([enc!]);
    expect(defaultPayloadConverter.fromPayload(dec!)).toEqual(SECRET);
    // Plain payloads pass through decode (history written before encryption was turned on).
    const [same] = await codec.decode([plain('x')]);
    expect(defaultPayloadConverter.fromPayload(same!)).toBe('x');
  });

  it('detects tampering', async () => {
    const codec = new AesGcmCodec(parseKeys([b64()], 'test'));
    const [enc] = await codec.encode([plain(SECRET)]);
    const data = Buffer.from(enc!.data!);
    data[20] = data[20]! ^ 1;
    await expect(codec.decode([{ ...enc!, data: new Uint8Array(data) }])).rejects.toThrow(/failed authentication/);
  });

  it('decrypts with older keys after rotation and encrypts with the first', async () => {
    const [oldKey, newKey] = [b64(), b64()];
    const before = new AesGcmCodec(parseKeys([oldKey], 'test'));
    const [old] = await before.encode([plain('old')]);
    const after = new AesGcmCodec(parseKeys([newKey, oldKey], 'test'));
    expect(after.encryptKeyId).toBe(keyId(Buffer.from(newKey, 'base64')));
    expect(defaultPayloadConverter.fromPayload((await after.decode([old!]))[0]!)).toBe('old');
    const [fresh] = await after.encode([plain('new')]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe(after.encryptKeyId);
  });

  it('fails clearly with the wrong key or no key, never returning plaintext', async () => {
    const [enc] = await new AesGcmCodec(parseKeys([b64()], 'test')).encode([plain(SECRET)]);
    await expect(new AesGcmCodec(parseKeys([b64()], 'test')).decode([enc!])).rejects.toThrow(
      /encrypted with key [0-9a-f]{16}, which this process does not have/,
    );
    await expect(new NoKeyCodec().decode([enc!])).rejects.toThrow(/CLINSYNTH_ENCRYPTION_KEY/);
    // Forged key id: authentication still fails.
    const k = b64();
    const forged = {
      ...enc!,
      metadata: { ...enc!.metadata, 'encryption-key-id': new TextEncoder().encode(keyId(Buffer.from(k, 'base64'))) },
    };
    await expect(new AesGcmCodec(parseKeys([k], 'test')).decode([forged])).rejects.toThrow(/failed authentication/);
  });
});

describe('keys from the environment', () => {
  it('reads CLINSYNTH_ENCRYPTION_KEY and CLINSYNTH_ENCRYPTION_KEY_FILE (first key encrypts)', () => {
    const [a, b] = [b64(), b64()];
    expect(keysFromEnv({})).toBeUndefined();
    expect(codecFromEnv({})).toBeInstanceOf(NoKeyCodec);
    expect(keysFromEnv({ CLINSYNTH_ENCRYPTION_KEY: a })!.map((k) => k.id)).toEqual([keyId(Buffer.from(a, 'base64'))]);
    const file = join(mkdtempSync(join(tmpdir(), 'clinsynth-keys-')), 'keys');
    writeFileSync(file, `# current first\n${b}\n\n${a}\n`);
    expect(keysFromEnv({ CLINSYNTH_ENCRYPTION_KEY_FILE: file })!.map((k) => k.id)).toEqual(
      [b, a].map((k) => keyId(Buffer.from(k, 'base64'))),
    );
  });

  it('names the variable (and never the key) for bad key material', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => keysFromEnv({ CLINSYNTH_ENCRYPTION_KEY: short })).toThrow(
      /^CLINSYNTH_ENCRYPTION_KEY: the encryption key must decode to 32 bytes/,
    );
    expect(() => keysFromEnv({ CLINSYNTH_ENCRYPTION_KEY: 'not base64!' })).toThrow(
      /CLINSYNTH_ENCRYPTION_KEY: the encryption key is not base64/,
    );
    expect(() => keysFromEnv({ CLINSYNTH_ENCRYPTION_KEY: '' })).toThrow(/CLINSYNTH_ENCRYPTION_KEY: is set but empty/);
    const file = join(mkdtempSync(join(tmpdir(), 'clinsynth-keys-')), 'keys');
    writeFileSync(file, `${b64()}\n${short}\n`);
    let message = '';
    try {
      keysFromEnv({ CLINSYNTH_ENCRYPTION_KEY_FILE: file });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^CLINSYNTH_ENCRYPTION_KEY_FILE \(.*\) line 2: the encryption key must decode to 32 bytes/);
    expect(message).not.toContain(short);
    expect(() => keysFromEnv({ CLINSYNTH_ENCRYPTION_KEY_FILE: join(tmpdir(), 'no-such-key-file') })).toThrow(
      /CLINSYNTH_ENCRYPTION_KEY_FILE: cannot read .*ENOENT/,
    );
  });
});
