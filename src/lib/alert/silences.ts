/**
 * Silences, as Alertmanager has them: matchers on an alert's labels (device, alertname,
 * instance, severity and the device's inventory labels), an end time, a comment and who
 * set it. `msg.silence` adds, lists and expires them; this file checks those commands
 * and matches silences against alerts. A silence keeps matching alerts quiet until it
 * expires; the engine keeps them in its stored state.
 */
import { randomBytes } from 'crypto';
import { parseDuration } from '../common/duration';
import { MAX_DATE_MS } from '../common/state-store';

const MAX_SILENCE_TEXT = 256;
const MAX_MATCHERS = 20;
/** Silences changed by one message at most. */
export const MAX_SILENCES_PER_MESSAGE = 100;

/** A silence as stored and listed. */
export interface Silence {
  /** Stable id, to expire it by. */
  id: string;
  /** Label name → exact value; every one must match. Empty = every alert. */
  match: Record<string, string>;
  /** ms epoch. */
  until: number;
  /** ms epoch. */
  createdAt: number;
  comment?: string;
  by?: string;
}

/** What one `msg.silence` entry asks for. */
export type SilenceCommand =
  | { op: 'add'; silence: Silence }
  | { op: 'expire'; id?: string; match?: Record<string, string> }
  | { op: 'list' };

/** A fresh silence id (12 hex digits): unique enough within one node's silences. */
export function newSilenceId(): string {
  return randomBytes(6).toString('hex');
}

function text(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${where} must be text`);
  return String(v).slice(0, MAX_SILENCE_TEXT);
}

function matchersOf(o: Record<string, unknown>, where: string): Record<string, string> {
  const match: Record<string, string> = {};
  if (o.match !== undefined && o.match !== null) {
    if (typeof o.match !== 'object' || Array.isArray(o.match)) throw new Error(`${where}.match must be an object of label: value`);
    const entries = Object.entries(o.match as Record<string, unknown>);
    if (entries.length > MAX_MATCHERS) throw new Error(`${where}.match has more than ${MAX_MATCHERS} labels`);
    for (const [k, v] of entries) {
      if (!/^[A-Za-z_][\w.:-]{0,99}$/.test(k)) throw new Error(`${where}.match: "${k.slice(0, 40)}" is not a label name`);
      const value = text(v, `${where}.match.${k}`);
      if (value !== undefined) match[k] = value;
    }
  }
  // Alertmanager's form: [{ name, value, isRegex, isEqual }], equality only
  if (o.matchers !== undefined && o.matchers !== null) {
    if (!Array.isArray(o.matchers) || o.matchers.length > MAX_MATCHERS) throw new Error(`${where}.matchers must be an array of at most ${MAX_MATCHERS} { name, value }`);
    o.matchers.forEach((m: unknown, i: number) => {
      const at = `${where}.matchers[${i}]`;
      if (typeof m !== 'object' || m === null) throw new Error(`${at} must be { name, value }`);
      const { name, value, isRegex, isEqual } = m as Record<string, unknown>;
      if (isRegex === true) throw new Error(`${at}: regular-expression matchers are not supported; match the label's value exactly`);
      if (isEqual === false) throw new Error(`${at}: negative matchers are not supported; match the label's value exactly`);
      if (typeof name !== 'string' || !/^[A-Za-z_][\w.:-]{0,99}$/.test(name)) throw new Error(`${at}.name must be a label name`);
      const v = text(value, `${at}.value`);
      if (v === undefined) throw new Error(`${at}.value must be the label's value`);
      match[name] = v;
    });
  }
  // The form of release 0.1: matchers beside the times.
  for (const k of ['device', 'alertname', 'instance'] as const) {
    const value = text(o[k], `${where}.${k}`);
    if (value !== undefined) match[k] = value;
  }
  return match;
}

/**
 * `msg.silence`: one command or an array of them.
 * - add: `{ match: { device: "core-1" }, for: "2h" | until, comment, by }`; the form of
 *   release 0.1, `{ device, alertname, instance, duration | until, comment }`, is read too.
 * - expire: `{ expire: "<id>" }`, `{ match, expire: true }`, or an add whose end is
 *   already past (`for: 0`, `duration: 0`, an `until` in the past).
 * - list: `"list"` or `{ list: true }`.
 * Throws an Error naming the entry and the problem.
 */
export function parseSilenceCommands(v: unknown, now: number, newId: () => string = newSilenceId): SilenceCommand[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || list.length > MAX_SILENCES_PER_MESSAGE) throw new Error(`msg.silence must be a silence object or an array of 1 to ${MAX_SILENCES_PER_MESSAGE}`);
  return list.map((s, i): SilenceCommand => {
    const where = list.length > 1 ? `silence ${i + 1}` : 'msg.silence';
    if (s === 'list') return { op: 'list' };
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new Error(`${where} must be an object`);
    const o = s as Record<string, unknown>;
    if (o.list === true) return { op: 'list' };
    if (typeof o.expire === 'string' && o.expire !== '') return { op: 'expire', id: o.expire.slice(0, 64) };
    const match = matchersOf(o, where);
    if (o.expire === true) return { op: 'expire', match };
    let until: number;
    if (o.until !== undefined && o.until !== null && o.until !== '') {
      until = typeof o.until === 'number' ? o.until : Date.parse(String(o.until));
      if (!Number.isFinite(until) || Math.abs(until) > MAX_DATE_MS) throw new Error(`${where}.until must be a time (ms since 1970 or ISO 8601)`);
    } else {
      const length = o.for ?? o.duration;
      if (length === undefined || length === null || length === '') throw new Error(`${where} needs for (or until)`);
      let seconds: number;
      try {
        seconds = parseDuration(length);
      } catch (err) {
        throw new Error(`${where}.for: ${(err as Error).message}`);
      }
      until = seconds > 0 ? now + seconds * 1000 : 0;
    }
    if (until <= now) return { op: 'expire', match };
    // As Alertmanager: a silence names what it silences. One without a matcher (a form sent
    // with no device chosen, a misspelt key) silenced every alert of the node unseen.
    if (Object.keys(match).length === 0 && o.all !== true) {
      throw new Error(`${where} has no matcher (match, matchers, device, alertname or instance), so it would silence every alert: name what it silences, or set all: true`);
    }
    const silence: Silence = { id: newId(), match, until, createdAt: now };
    const comment = text(o.comment, `${where}.comment`);
    const by = text(o.by ?? o.createdBy, `${where}.by`);
    if (comment !== undefined) silence.comment = comment;
    if (by !== undefined) silence.by = by;
    return { op: 'add', silence };
  });
}

/** The labels an alert is matched on. */
export interface AlertLabels {
  alertname: string;
  device: string;
  /** Row index or key suffix. */
  index: string;
  /** The readable instance (ifName …), else the index. */
  instance: string;
  severity: string;
  labels: Record<string, string>;
}

/**
 * True when every matcher of the silence matches the alert. `instance` matches the
 * readable name or the index, so `{instance: "xe-0/0/3"}` and `{instance: "3"}` both work.
 */
export function silenceMatches(s: Pick<Silence, 'match'>, a: AlertLabels): boolean {
  for (const [k, v] of Object.entries(s.match)) {
    switch (k) {
      case 'alertname':
      case 'device':
      case 'severity':
      case 'index':
        if (a[k] !== v) return false;
        break;
      case 'instance':
        if (a.instance !== v && a.index !== v) return false;
        break;
      default:
        if (a.labels[k] !== v) return false;
    }
  }
  return true;
}

/** Two matcher sets are the same silence target. */
export function sameMatchers(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/** A silence as `msg.payload` lists it: times as ISO text. */
export function silenceView(s: Silence): Record<string, unknown> {
  return {
    id: s.id,
    match: { ...s.match },
    until: new Date(s.until).toISOString(),
    createdAt: new Date(s.createdAt).toISOString(),
    ...(s.comment !== undefined ? { comment: s.comment } : {}),
    ...(s.by !== undefined ? { by: s.by } : {}),
  };
}
