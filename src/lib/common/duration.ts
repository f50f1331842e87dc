/**
 * Durations as people write them in node properties and messages: a number of
 * seconds, or text such as `90`, `90s`, `5m`, `1.5h`, `2d`, `500ms`.
 */

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Seconds from a duration: a number of seconds, or text such as `90`, `90s`, `5m`,
 * `1.5h`, `2d`, `500ms`. Blank gives `def`. Throws on anything else or a negative value.
 */
export function parseDuration(v: unknown, def = 0): number {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return def;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new Error(`"${v}" is not a duration`);
    return v;
  }
  const m = DURATION.exec(String(v).trim());
  if (!m) throw new Error(`"${String(v)}" is not a duration (e.g. 90, 90s, 5m, 1h)`);
  return Number(m[1]) * UNIT_SECONDS[(m[2] ?? 's').toLowerCase()];
}
