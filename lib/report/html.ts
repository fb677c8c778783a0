// Small HTML helpers shared by the report's section modules (escaping, number formats).

export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
export const f3 = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(3) : '—');
export const int = (x: unknown) => Math.round(num(x)).toLocaleString('en-US');
export const share = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—');
