// Reading a workflow history as text in tests: what a scan for leaked paths or sentences looks through.

/** Every string in the history and every byte field decoded as UTF-8 (payload data), joined. */
export function historyText(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const v of value) historyText(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) historyText(v, out);
  return out;
}
