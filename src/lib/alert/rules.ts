/**
 * threshold-alert rules: checking the editor's rule objects into typed rules, the
 * comparison operators with their hysteresis.
 */
import { parseDuration } from '../common/duration';

export type Op = '>' | '>=' | '<' | '<=' | '==' | '!=';
export const OPS: readonly Op[] = ['>', '>=', '<', '<=', '==', '!='];

export type RuleKind = 'threshold' | 'device-down';

export interface AlertRule {
  kind: RuleKind;
  /** The alertname: unique within a node. */
  name: string;
  /** threshold: payload key, row column, or `msg.<path>`; device-down: unused. */
  field: string;
  op: Op;
  /** A number, or a string for == / != (enum labels, text states). */
  threshold: number | string;
  /** Hysteresis: the alert holds until the value passes this (defaults to threshold). */
  clear: number | string;
  forMs: number;
  keepFiringForMs: number;
  severity: string;
  /** Summary template, `{{device}}`, `{{instance}}`, `{{value}}`, row fields... */
  summary: string;
  /**
   * Held back while the device's device-down alert fires (on unless the rule says
   * `inhibit: false`); device-down rules are the source and never held back.
   */
  inhibit: boolean;
}

export const DEFAULT_SUMMARY: Record<RuleKind, string> = {
  threshold: '{{field}} on {{device}} {{instance}} is {{value}} ({{op}} {{threshold}})',
  'device-down': '{{device}} does not answer: {{error}}',
};

/** Summary of the no-data alert the `nodata: alert` policy raises. */
export const NODATA_SUMMARY = 'no data from {{device}} {{instance}}';
export const NODATA_ALERTNAME = 'NoData';
/** Summary of the resolution sent for an alert whose rule was removed on redeploy. */
export const ORPHAN_SUMMARY = '{{alertname}} on {{device}} {{instance}}: rule removed';

function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

function numberOrText(v: unknown): number | string {
  if (typeof v === 'number') return v;
  const s = String(v).trim();
  const n = Number(s);
  return s !== '' && Number.isFinite(n) ? n : s;
}

/**
 * Checks the node's `rules` property. Returns typed rules or throws an Error whose
 * message names the rule (by position and name) and the problem.
 */
export function parseRules(raw: unknown): AlertRule[] {
  if (!Array.isArray(raw)) throw new Error('rules must be an array');
  const names = new Set<string>();
  return raw.map((r, i) => {
    const where = `rule ${i + 1}`;
    if (typeof r !== 'object' || r === null) throw new Error(`${where} is not an object`);
    const o = r as Record<string, unknown>;
    const kind: RuleKind = o.kind === 'device-down' ? 'device-down' : 'threshold';
    if (o.kind !== undefined && o.kind !== '' && o.kind !== 'threshold' && o.kind !== 'device-down') {
      throw new Error(`${where}: kind must be threshold or device-down`);
    }
    const name = typeof o.name === 'string' ? o.name.trim() : '';
    if (!/^[A-Za-z_][\w.:-]{0,99}$/.test(name)) throw new Error(`${where}: name must start with a letter and hold only letters, digits, _ . : -`);
    if (name === NODATA_ALERTNAME) throw new Error(`${where}: ${NODATA_ALERTNAME} is reserved for the no-data alert`);
    if (names.has(name)) throw new Error(`${where}: the name ${name} is used twice`);
    names.add(name);
    const at = `${where} (${name})`;
    let forS: number;
    let keepS: number;
    try {
      forS = parseDuration(o.for, 0);
      keepS = parseDuration(o.keepFiringFor, 0);
    } catch (err) {
      throw new Error(`${at}: ${(err as Error).message}`);
    }
    const severity = isBlank(o.severity) ? (kind === 'device-down' ? 'critical' : 'warning') : String(o.severity).trim().slice(0, 32);
    const summary = isBlank(o.summary) ? DEFAULT_SUMMARY[kind] : String(o.summary);
    // Rules saved before the option existed have none: inhibited, the default.
    const inhibit = kind !== 'device-down' && o.inhibit !== false && o.inhibit !== 'false';
    if (kind === 'device-down') {
      return { kind, name, field: '', op: '==', threshold: '', clear: '', forMs: forS * 1000, keepFiringForMs: keepS * 1000, severity, summary, inhibit };
    }
    const field = typeof o.field === 'string' ? o.field.trim() : '';
    if (field === '') throw new Error(`${at}: field is empty`);
    const op = (isBlank(o.op) ? '>' : String(o.op).trim()) as Op;
    if (!OPS.includes(op)) throw new Error(`${at}: operator must be one of ${OPS.join(' ')}`);
    if (isBlank(o.threshold)) throw new Error(`${at}: threshold is empty`);
    const threshold = numberOrText(o.threshold);
    if (typeof threshold === 'string' && op !== '==' && op !== '!=') throw new Error(`${at}: threshold must be a number for ${op}`);
    let clear: number | string = threshold;
    if (!isBlank(o.clear)) {
      if (op === '==' || op === '!=') throw new Error(`${at}: a clear threshold needs < <= > or >=`);
      const c = numberOrText(o.clear);
      if (typeof c !== 'number') throw new Error(`${at}: clear must be a number`);
      const t = threshold as number;
      if ((op === '>' || op === '>=') && c > t) throw new Error(`${at}: clear must not be above the threshold for ${op}`);
      if ((op === '<' || op === '<=') && c < t) throw new Error(`${at}: clear must not be below the threshold for ${op}`);
      clear = c;
    }
    return { kind, name, field, op, threshold, clear, forMs: forS * 1000, keepFiringForMs: keepS * 1000, severity, summary, inhibit };
  });
}

/** `value op against`, numbers compared as numbers; == and != compare text otherwise. */
export function compare(op: Op, value: number | string, against: number | string): boolean {
  if (typeof against === 'string' || typeof value === 'string') {
    const a = String(value);
    const b = String(against);
    if (op === '==') return a === b;
    if (op === '!=') return a !== b;
    return false;
  }
  switch (op) {
    case '>': return value > against;
    case '>=': return value >= against;
    case '<': return value < against;
    case '<=': return value <= against;
    case '==': return value === against;
    case '!=': return value !== against;
  }
}

/** The condition starts an alert: the value crosses the threshold. */
export function isActive(rule: AlertRule, value: number | string): boolean {
  return compare(rule.op, value, rule.threshold);
}

/**
 * The condition still holds once active: the value has not yet passed the clear
 * threshold (a Schmitt trigger: `> 90, clear 80` holds while above 80).
 */
export function isHeld(rule: AlertRule, value: number | string): boolean {
  return compare(rule.op, value, rule.clear);
}
