// Loads the SQL files in sql/ and fills their {{placeholders}} with safely quoted literals.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../config/paths.js';

export type SqlValue = string | number | boolean | readonly string[];

export function sqlLiteral(value: SqlValue): string {
  if (Array.isArray(value)) return `[${value.map((v) => sqlLiteral(v)).join(', ')}]`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return `'${String(value).replaceAll("'", "''")}'`;
}

export function loadSql(name: string, vars: Record<string, SqlValue> = {}): string {
  const text = readFileSync(join(PROJECT_ROOT, 'sql', `${name}.sql`), 'utf8');
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`sql/${name}.sql needs a value for {{${key}}}`);
    return sqlLiteral(value);
  });
}
