// The product editor's text fields, read into what the API takes: prices typed in major
// units become minor units exactly (no floating point), `name=value` pairs become
// attributes, a comma list becomes tags.
import { minorPerMajor } from '../../lib/money';

/** `12.5` / `12.50` / `12` in `currency` → minor units, or null when it is not a price. */
export function parsePrice(raw: string, currency: string): number | null {
  const digits = Math.round(Math.log10(minorPerMajor(currency)));
  const match = /^(\d{1,9})(?:[.,](\d+))?$/.exec(raw.trim());
  if (match === null) return null;
  const [, whole = '0', fraction = ''] = match;
  if (fraction.length > digits) return null;
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

/** Minor units as the editor shows them (`1250` EUR → `12.50`). */
export function showPrice(amount: number, currency: string): string {
  const digits = Math.round(Math.log10(minorPerMajor(currency)));
  if (digits === 0) return String(amount);
  const whole = Math.floor(amount / 10 ** digits);
  return `${whole}.${String(amount % 10 ** digits).padStart(digits, '0')}`;
}

/** `size=M, colour=red` → `{size: 'M', colour: 'red'}`; null when a pair is malformed. */
export function parsePairs(raw: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const part of raw.split(/[,\n]/).map((p) => p.trim()).filter(Boolean)) {
    const at = part.indexOf('=');
    if (at <= 0 || at === part.length - 1) return null;
    out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}

export function showPairs(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** `a, b,, c ` → `['a', 'b', 'c']` (each once). */
export function parseTags(raw: string): string[] {
  return [...new Set(raw.split(',').map((t) => t.trim()).filter(Boolean))];
}
