// Encrypted Temporal payloads: an AES-256-GCM PayloadCodec with key ids (rotation) and keys from the environment.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ENV = 'CLINSYNTH_ENCRYPTION_KEY';
export const KEY_FILE_ENV = 'CLINSYNTH_ENCRYPTION_KEY_FILE';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A payload or key problem: says what is wrong and which variable to set, never any plaintext. */
export class EncryptionError extends Error {
  override name = 'EncryptionError';
}

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** The key id written into each payload's metadata: the first 8 bytes of the key's SHA-256, in hex (not secret). */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

const base64Key = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'is not base64')
  .transform((s) => Buffer.from(s, 'base64'))
  .refine((b) => b.length === 32, 'must decode to 32 bytes (AES-256); make one with `openssl rand -base64 32`');

/** Parses base64 keys; the message names `source` (the variable or file) and the line, never the key. */
export function parseKeys(lines: string[], source: string): EncryptionKey[] {
  const keys: EncryptionKey[] = [];
  lines.forEach((line, i) => {
    const text = line.trim();
    if (!text || text.startsWith('#')) return;
    const r = base64Key.safeParse(text);
    if (!r.success)
      throw new EncryptionError(
        `${source}${lines.length > 1 ? ` line ${i + 1}` : ''}: the encryption key ${r.error.issues[0]?.message ?? 'is invalid'}`,
      );
    keys.push({ id: keyId(r.data), key: r.data });
  });
  return keys;
}

/**
 * The keys of this process: CLINSYNTH_ENCRYPTION_KEY_FILE (one base64 32-byte key a line; the first encrypts, all
 * decrypt) or CLINSYNTH_ENCRYPTION_KEY (one base64 key); undefined when neither is set (payloads stay plain).
 */
export function keysFromEnv(env: NodeJS.ProcessEnv = process.env): EncryptionKey[] | undefined {
  const file = env[KEY_FILE_ENV];
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new EncryptionError(
        `${KEY_FILE_ENV}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    const keys = parseKeys(text.split(/\r?\n/), `${KEY_FILE_ENV} (${file})`);
    if (!keys.length) throw new EncryptionError(`${KEY_FILE_ENV} (${file}): holds no key`);
    return keys;
  }
  const one = env[KEY_ENV];
  if (one !== undefined) {
    const keys = parseKeys([one], KEY_ENV);
    if (!keys.length) throw new EncryptionError(`${KEY_ENV}: is set but empty`);
    return keys;
  }
  return undefined;
}

/** AES-256-GCM over the whole serialised payload; metadata `encoding: binary/encrypted` and `encryption-key-id`. */
export class AesGcmCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: EncryptionKey;

  constructor(keys: EncryptionKey[]) {
    const first = keys[0];
    if (!first) throw new EncryptionError('an encryption codec needs at least one key');
    this.current = first;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  get encryptKeyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      const body = Buffer.concat([cipher.update(serialisePayload(p)), cipher.final()]);
      return {
        metadata: { encoding: utf8.encode(ENCRYPTED_ENCODING), 'encryption-key-id': utf8.encode(this.current.id) },
        data: new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()])),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (metaText(p, 'encoding') !== ENCRYPTED_ENCODING) return p;
      const id = metaText(p, 'encryption-key-id');
      if (!id) throw new EncryptionError('an encrypted payload carries no encryption-key-id');
      const key = this.byId.get(id);
      if (!key)
        throw new EncryptionError(
          `a payload was encrypted with key ${id}, which this process does not have (${KEY_FILE_ENV} lists the keys to decrypt with)`,
        );
      const data = Buffer.from(p.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES)
        throw new EncryptionError(`an encrypted payload (key ${id}) is truncated`);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new EncryptionError(
          `an encrypted payload (key ${id}) failed authentication: it was altered or the key is wrong`,
        );
      }
      return deserialisePayload(plain);
    });
  }
}

/**
 * Refuses encrypted payloads in a process that has no key, so it fails with a message naming the variables
 * (rather than Temporal's "Unknown encoding"); plain payloads pass.
 */
export class NoKeyCodec implements PayloadCodec {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads;
  }
  async decode(payloads: Payload[]): Promise<Payload[]> {
    for (const p of payloads) {
      if (metaText(p, 'encoding') === ENCRYPTED_ENCODING) {
        throw new EncryptionError(
          `this run's payloads are encrypted, and this process has no key: set ${KEY_ENV} or ${KEY_FILE_ENV}`,
        );
      }
    }
    return payloads;
  }
}

/** The codec of this process: AES-GCM with the environment's keys, else the no-key codec. */
export function codecFromEnv(env: NodeJS.ProcessEnv = process.env): PayloadCodec {
  const keys = keysFromEnv(env);
  return keys ? new AesGcmCodec(keys) : new NoKeyCodec();
}

/** The failure converter that encodes failure messages and stack traces (so the codec encrypts them). */
export const ENCODING_FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));

/**
 * `dataConverter` for Client and Worker.create: with a key, payloads are encrypted and so are failure messages (the
 * workflow bundle must then be built with the same failureConverterPath; see worker.ts).
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter {
  const codec = codecFromEnv(env);
  return codec instanceof AesGcmCodec
    ? { payloadCodecs: [codec], failureConverterPath: ENCODING_FAILURE_CONVERTER_PATH }
    : { payloadCodecs: [codec] };
}

function metaText(p: Payload, key: string): string | undefined {
  const v = p.metadata?.[key];
  return v ? fromUtf8.decode(v) : undefined;
}

// The inner payload, as JSON of its base64 parts (no protobuf dependency here): {"m":{key:b64},"d":b64}.
const innerPayload = z.object({ m: z.record(z.string(), z.string()), d: z.string() });

function serialisePayload(p: Payload): Buffer {
  const m: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) m[k] = Buffer.from(v).toString('base64');
  return Buffer.from(JSON.stringify({ m, d: Buffer.from(p.data ?? new Uint8Array()).toString('base64') }));
}

function deserialisePayload(b: Buffer): Payload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(b.toString('utf8'));
  } catch {
    throw new EncryptionError('a decrypted payload is not in the expected form');
  }
  const r = innerPayload.safeParse(parsed);
  if (!r.success) throw new EncryptionError('a decrypted payload is not in the expected form');
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(r.data.m)) metadata[k] = new Uint8Array(Buffer.from(v, 'base64'));
  return { metadata, data: new Uint8Array(Buffer.from(r.data.d, 'base64')) };
}
