/**
 * Silences as a message sets them (`msg.silence`): checked and turned into the
 * engine's Silence records. A silence keeps matching alerts quiet until it expires.
 */
import { parseDuration } from '../common/duration';
import { MAX_DATE_MS } from '../common/state-store';
import type { Silence } from './engine';

const MAX_SILENCE_TEXT = 256;

/**
 * `msg.silence`: one silence or an array. Each is `{device?, alertname?, instance?,
 * until? (ms epoch or ISO text), duration? (s or "2h"), comment?}`; an `until` in the
 * past or a `duration` of 0 lifts the silences with the same matchers.
 */
export function parseSilences(v: unknown, now: number): Silence[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || list.length > 100) throw new Error('msg.silence must be a silence object or an array of 1 to 100');
  return list.map((s, i) => {
    const where = list.length > 1 ? `silence ${i + 1}` : 'msg.silence';
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new Error(`${where} must be an object`);
    const o = s as Record<string, unknown>;
    const out: Silence = { until: 0 };
    for (const k of ['device', 'alertname', 'instance', 'comment'] as const) {
      if (o[k] === undefined || o[k] === null || o[k] === '') continue;
      if (typeof o[k] !== 'string' && typeof o[k] !== 'number') throw new Error(`${where}.${k} must be text`);
      out[k] = String(o[k]).slice(0, MAX_SILENCE_TEXT);
    }
    if (o.until !== undefined && o.until !== null && o.until !== '') {
      const until = typeof o.until === 'number' ? o.until : Date.parse(String(o.until));
      if (!Number.isFinite(until) || Math.abs(until) > MAX_DATE_MS) throw new Error(`${where}.until must be a time (ms since 1970 or ISO 8601)`);
      out.until = until;
    } else if (o.duration !== undefined && o.duration !== null && o.duration !== '') {
      let seconds: number;
      try {
        seconds = parseDuration(o.duration);
      } catch (err) {
        throw new Error(`${where}.duration: ${(err as Error).message}`);
      }
      out.until = seconds > 0 ? now + seconds * 1000 : 0;
    } else {
      throw new Error(`${where} needs until or duration`);
    }
    return out;
  });
}
