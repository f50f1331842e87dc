/**
 * The JSON form of a poll result, for results that travel between processes (a
 * scaled-out worker publishes it over MQTT, the aggregator reads it back): what
 * counter-rate and threshold-alert need of an snmp-get / snmp-bulkwalk message, in
 * plain JSON, exact for Counter64. README "Scaling out" documents it for users.
 *
 *     { "snmpResult": 1, "topic", "device": {host, port, name, labels, profile?},
 *       "snmp": {time, elapsedMs, version, requests},
 *       rows (snmp-bulkwalk, rows output):
 *         "payload": [rows], Counter64 cells as decimal strings,
 *         "types": {column: SMI type}, "columns": {Counter64 column: OID},
 *         "scalars": [the walk's non-repeater varbinds]
 *       object (snmp-get, varbinds output):
 *         "payload": {...}, "varbinds": [...] as the message has them
 *       failure: "payload": null, "error": {code, message, source}
 *         (a bad-target entry: "target" as it was, and "device" only when its host parsed) }
 *
 * The encoder lives with the poll engine (poll/messages.ts); the decoder is here so the
 * nodes that read results (counter-rate, threshold-alert) share it.
 */
import type { Device, SmiType, SnmpMeta, Varbind } from './types';

/** The version marker of the form (`"snmpResult": 1`). */
export const RESULT_FORM_VERSION = 1;

export interface ResultForm {
  snmpResult: typeof RESULT_FORM_VERSION;
  topic: string;
  /** Absent only in a `bad-target` failure whose entry named no usable device. */
  device?: Device;
  snmp: SnmpMeta;
  payload: Array<Record<string, unknown>> | Record<string, unknown> | null;
  /** Rows: the SMI type of each column. */
  types?: Record<string, SmiType>;
  /** Rows: the OID of each Counter64 column (without the row index). */
  columns?: Record<string, string>;
  /** Rows: the walk's non-repeaters (sysUpTime.0 for reboot detection), as msg.varbinds holds them. */
  scalars?: Varbind[];
  /** Object payloads: msg.varbinds as it is. */
  varbinds?: Varbind[];
  /** A `bad-target` failure: the inventory entry as it was; `device` then only when it parsed. */
  target?: unknown;
  error?: { code: string; message: string; source?: { id: string; type: string; name?: string } };
}

/** The message fields a form turns back into. */
export interface DecodedResult {
  topic: string;
  /** Absent only for a `bad-target` failure whose entry named no usable device. */
  device?: Device;
  /** A `bad-target` failure: the inventory entry as it was (msg.target). */
  target?: unknown;
  snmp: SnmpMeta;
  payload: Array<Record<string, unknown>> | Record<string, unknown> | null;
  types?: Record<string, SmiType>;
  varbinds?: Varbind[];
  error?: ResultForm['error'];
}

/** True for a value that says it is a result form (its shape is checked by {@link decodeResultForm}). */
export function isResultForm(v: unknown): v is ResultForm {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'snmpResult' in v;
}

/** A form that cannot be read; the message names what is wrong. */
export class ResultFormError extends Error {
  constructor(message: string) {
    super(`not a poll result in the snmp-fleet JSON form: ${message}`);
    this.name = 'ResultFormError';
  }
}

const DECIMAL = /^\d{1,20}$/;
/** Rows and keys a form may hold: beyond any real table, short of a memory blow-up. */
const MAX_ROWS = 100000;
const MAX_VARBINDS = 200000;

function isRecord(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkDevice(d: unknown): Device {
  if (!isRecord(d) || typeof d.host !== 'string' || !Number.isInteger(d.port) || typeof d.name !== 'string') {
    throw new ResultFormError('device must be {host, port, name, labels}');
  }
  const labels: Record<string, string> = {};
  if (d.labels !== undefined) {
    if (!isRecord(d.labels)) throw new ResultFormError('device.labels must be an object of texts');
    for (const [k, v] of Object.entries(d.labels)) {
      if (typeof v !== 'string') throw new ResultFormError('device.labels must be an object of texts');
      labels[k] = v;
    }
  }
  const out: Device = { host: d.host, port: d.port, name: d.name, labels };
  if (typeof d.profile === 'string') out.profile = d.profile;
  return out;
}

function checkVarbinds(v: unknown, what: string): Varbind[] {
  if (!Array.isArray(v) || v.length > MAX_VARBINDS || !v.every((vb) => isRecord(vb) && typeof vb.oid === 'string' && typeof vb.name === 'string' && typeof vb.type === 'string')) {
    throw new ResultFormError(`${what} must be an array of varbinds {oid, name, type, value}`);
  }
  return v as Varbind[];
}

/** A Counter64 cell of the form: its decimal text as the number and the exact text. */
function counter64(v: unknown, where: string): { value: number; exact: string } | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return { value: v, exact: String(v) };
  if (typeof v === 'string' && DECIMAL.test(v) && BigInt(v) < 2n ** 64n) return { value: Number(v), exact: v };
  throw new ResultFormError(`${where} is a Counter64 and must be a decimal text`);
}

/**
 * The message fields of a result form: the payload as the poll node sends it (Counter64
 * cells as numbers), `msg.types` for rows, `msg.varbinds` with the exact Counter64
 * values (and the walk's non-repeaters) so counter-rate rates them exactly.
 * Throws a {@link ResultFormError} naming what is wrong.
 */
export function decodeResultForm(form: unknown): DecodedResult {
  if (!isRecord(form)) throw new ResultFormError('expected an object');
  if (form.snmpResult !== RESULT_FORM_VERSION) throw new ResultFormError(`unknown version ${JSON.stringify(form.snmpResult)?.slice(0, 20)} (this release reads ${RESULT_FORM_VERSION})`);
  if (typeof form.topic !== 'string' || form.topic === '') throw new ResultFormError('topic must be a non-empty text');
  const failure = form.payload === null || form.payload === undefined;
  // an inventory entry that could not be polled (bad-target) names a device only when it
  // could be read (a duplicate); a host that did not parse names none
  const badTarget = failure && isRecord(form.error) && form.error.code === 'bad-target';
  const device = badTarget && form.device === undefined ? undefined : checkDevice(form.device);
  const snmp = form.snmp;
  if (!isRecord(snmp) || typeof snmp.time !== 'number' || !Number.isFinite(snmp.time)) throw new ResultFormError('snmp.time must be a time in ms');
  const out: DecodedResult = { topic: form.topic, snmp: snmp as SnmpMeta, payload: null };
  if (device) out.device = device;
  if (failure) {
    if (!isRecord(form.error) || typeof form.error.code !== 'string' || typeof form.error.message !== 'string') {
      throw new ResultFormError('a result without payload must carry error {code, message}');
    }
    out.error = form.error as ResultForm['error'];
    if (badTarget && 'target' in form) out.target = form.target;
    return out;
  }
  if (Array.isArray(form.payload)) {
    if (form.payload.length > MAX_ROWS) throw new ResultFormError(`more than ${MAX_ROWS} rows`);
    const types = form.types;
    if (!isRecord(types) || !Object.values(types).every((t) => typeof t === 'string')) throw new ResultFormError('rows need types {column: SMI type}');
    const columns = form.columns === undefined ? {} : form.columns;
    if (!isRecord(columns) || !Object.values(columns).every((o) => typeof o === 'string')) throw new ResultFormError('columns must be {column: OID}');
    const varbinds: Varbind[] = form.scalars === undefined ? [] : [...checkVarbinds(form.scalars, 'scalars')];
    const counters = Object.keys(types).filter((c) => types[c] === 'Counter64');
    const rows = form.payload.map((row, i) => {
      if (!isRecord(row)) throw new ResultFormError(`row ${i} must be an object`);
      const copy: Record<string, unknown> = { ...row };
      for (const column of counters) {
        if (!(column in row)) continue;
        const c = counter64(row[column], `row ${i} ${column}`);
        if (!c) continue;
        copy[column] = c.value;
        const index = String(row.index ?? i);
        const oid = typeof columns[column] === 'string' ? `${columns[column]}.${index}` : '';
        varbinds.push({ oid, name: `${column}.${index}`, type: 'Counter64', value: c.value, exact: c.exact });
      }
      return copy;
    });
    out.payload = rows;
    out.types = types as Record<string, SmiType>;
    out.varbinds = varbinds;
    return out;
  }
  if (!isRecord(form.payload)) throw new ResultFormError('payload must be rows, an object or null');
  out.payload = form.payload;
  if (form.varbinds !== undefined) out.varbinds = checkVarbinds(form.varbinds, 'varbinds');
  return out;
}
