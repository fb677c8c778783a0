// Key paths into the experiment file (`bronze.perLabel`): what overrides and a study's `vary` are keyed by, checked,
// and set in a plain object tree before the file is validated.
import { z } from 'zod';

export const KEY_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
export const KEY_PATH_MESSAGE = 'a key path of the experiment file, e.g. bronze.perLabel';
/** Record keys that must be key paths (zod's own record-key message does not say which key is wrong). */
export function keyPathRecord<T extends z.ZodType>(value: T) {
  return z.record(z.string(), value).superRefine((r, ctx) => {
    for (const k of Object.keys(r))
      if (!KEY_PATH.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: KEY_PATH_MESSAGE });
  });
}

/** Sets `keyPath` in a plain object tree (creating sections on the way); a problem message when it cannot. */
export function setKeyPath(root: Record<string, unknown>, keyPath: string, value: unknown): string | undefined {
  const keys = keyPath.split('.');
  let node = root;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!;
    const next = node[k];
    if (next === undefined || next === null) node[k] = {};
    else if (typeof next !== 'object' || Array.isArray(next))
      return `${keys.slice(0, i + 1).join('.')} is not a section, so it has no key ${keys[i + 1]}`;
    node = node[k] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
  return undefined;
}
