/**
 * Reading a node's properties: the editor stores them as strings (maybe blank, maybe
 * already substituted from `${ENV}`), older flows may hold numbers or booleans. Each
 * reader converts one property, applies its default when blank and throws a
 * {@link PropertyError} that names the property, so every node reports a bad
 * configuration the same way (red/bad-config.ts). Here rather than in red/ because
 * snmp-config's profile (snmp/profile.ts) is read by the same rules.
 */
import { parseDuration } from './duration';
import { ConfigError } from './inventory';

/** A property that cannot be used; `property` is its name in the flow file. */
export class PropertyError extends ConfigError {
  constructor(readonly property: string, message: string) {
    super(message);
    this.name = 'PropertyError';
  }
}

/** The property as trimmed text; '' when blank or absent. */
export function text(v: unknown): string {
  return v === undefined || v === null ? '' : String(v).trim();
}

/** True when the property is absent or blank. */
export function isBlank(v: unknown): boolean {
  return text(v) === '';
}

/** A whole number from `min` to `max`; `def` when blank. */
export function integer(name: string, v: unknown, def: number, min: number, max: number): number {
  const s = text(v);
  if (s === '') return def;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) throw new PropertyError(name, `${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** A finite number from `min` to `max`; `def` when blank. */
export function decimal(name: string, v: unknown, def: number, min: number, max: number): number {
  const s = text(v);
  if (s === '') return def;
  const n = Number(s);
  if (!Number.isFinite(n) || n < min || n > max) throw new PropertyError(name, `${name} must be a number from ${min} to ${max}`);
  return n;
}

/** A finite number above 0; `def` when blank. */
export function positive(name: string, v: unknown, def: number): number {
  const s = text(v);
  if (s === '') return def;
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new PropertyError(name, `${name} must be a number above 0 (got "${clip(s)}")`);
  return n;
}

/** One of `allowed`; `def` when blank. */
export function oneOf<T extends string>(name: string, v: unknown, allowed: readonly T[], def: T): T {
  const s = text(v);
  if (s === '') return def;
  if (!(allowed as readonly string[]).includes(s)) throw new PropertyError(name, `${name} must be one of ${allowed.join(', ')} (got "${clip(s)}")`);
  return s as T;
}

/** true/false (a checkbox, or text from an older flow); `def` when absent. */
export function bool(name: string, v: unknown, def: boolean): boolean {
  if (v === undefined || v === null || v === '') return def;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new PropertyError(name, `${name} must be true or false (got "${clip(String(v))}")`);
}

/** Seconds from a duration (`90`, `90s`, `5m`, `1h`); `def` when blank. */
export function duration(name: string, v: unknown, def: number): number {
  try {
    return parseDuration(v, def);
  } catch (err) {
    throw new PropertyError(name, `${name}: ${(err as Error).message}`);
  }
}

/** User text quoted in an error: short, without control characters. */
export function clip(s: string, max = 60): string {
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}
