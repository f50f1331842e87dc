/**
 * Poll results into the message fields of DESIGN.md: payload objects keyed by short
 * names, walk rows sorted by index with their column types, and the error object.
 */
import { shortName } from '../common/codec';
import { compareOids } from '../common/oid';
import { RESULT_FORM_VERSION, type ResultForm } from '../common/result-form';
import type { PollFailureResult, PollSuccess } from './device-poll';
import type { Device, MibLookup, OidInfo, PollFailure, SmiType, SnmpMeta, SnmpVersion, Varbind } from '../common/types';

export type Row = Record<string, string | number | boolean | null>;

/** `{ "sysUpTime.0": 8640000, "ifDescr.3": "eth0" }` from decoded varbinds. */
export function payloadObject(varbinds: Varbind[], infos: Array<OidInfo | undefined>, from = 0): Record<string, Varbind['value']> {
  const out: Record<string, Varbind['value']> = {};
  for (let i = from; i < varbinds.length; i++) out[shortName(varbinds[i].oid, infos[i])] = varbinds[i].value;
  return out;
}


/** Kinds of MIB object that hold others rather than values. */
const CONTAINERS = new Set(['table', 'row', 'node']);

/**
 * Rows of a walk, sorted by index: `[{ index: "3", ifDescr: "eth0", ... }]`, with
 * `types` per column. When the MIB knows the table's INDEX, each row also carries the
 * decoded index objects (never overwriting a walked column of the same name).
 */
export function buildRows(result: PollSuccess, mib?: MibLookup, counters?: Counter64Cells): { rows: Row[]; types: Record<string, SmiType> } {
  const byIndex = new Map<string, Row>();
  const types: Record<string, SmiType> = {};
  const columnOidOf = new Map<string, string>();
  for (let i = result.nonRepeaterCount; i < result.varbinds.length; i++) {
    const vb = result.varbinds[i];
    const info = result.infos[i];
    // column name and row index: from the MIB, else split at the last arc (inline: this
    // runs for every walked varbind, and a returned pair would be one more allocation)
    let column: string;
    let index: string;
    // a column the MIB knows; below a table, row or plain node it is one the MIBs do not
    // know (a vendor table, a column added to a known one): named by its OID then, not by
    // the enclosing name (every cell of an unknown table became a row "enterprises")
    const named = info !== undefined && info.instance !== '' && !CONTAINERS.has(info.kind as string);
    if (named) {
      column = info.name;
      index = info.instance;
    } else {
      const dot = vb.oid.lastIndexOf('.');
      column = vb.oid.slice(0, dot);
      index = vb.oid.slice(dot + 1);
    }
    let row = byIndex.get(index);
    if (!row) {
      row = { index };
      byIndex.set(index, row);
    }
    if (named && !columnOidOf.has(index)) columnOidOf.set(index, info.oid);
    row[column] = vb.value;
    if (counters && vb.type === 'Counter64') {
      counters.exact.set(`${column}\t${index}`, vb.exact ?? String(vb.value));
      if (!(column in counters.columns)) counters.columns[column] = named ? info.oid : vb.oid.slice(0, vb.oid.length - index.length - 1);
    }
    if (!(column in types)) types[column] = vb.type;
  }
  const rows = [...byIndex.values()].sort((a, b) => compareOids(a.index as string, b.index as string));
  if (mib?.decodeIndex) {
    for (const row of rows) {
      const columnOid = columnOidOf.get(row.index as string) ?? firstColumnOid(result);
      if (!columnOid) continue;
      const parts = mib.decodeIndex(columnOid, row.index as string);
      if (!parts) continue;
      for (const [k, v] of Object.entries(parts)) if (!(k in row)) row[k] = v;
    }
  }
  return { rows, types };
}

/** The Counter64 cells of a walk, collected by {@link buildRows} for the result form. */
export interface Counter64Cells {
  /** Exact decimal value by `column\tindex`. */
  exact: Map<string, string>;
  /** OID of each Counter64 column. */
  columns: Record<string, string>;
}

/** The JSON form of a walk's rows (common/result-form.ts): Counter64 cells as exact decimal text. */
export function rowsResultForm(base: { topic: string; device: Device; snmp: SnmpMeta }, result: PollSuccess, mib?: MibLookup): ResultForm {
  const counters: Counter64Cells = { exact: new Map(), columns: {} };
  const { rows, types } = buildRows(result, mib, counters);
  const payload = counters.exact.size === 0 ? rows : rows.map((row) => {
    const copy: Record<string, unknown> = { ...row };
    for (const column of Object.keys(counters.columns)) {
      const exact = counters.exact.get(`${column}\t${row.index}`);
      if (exact !== undefined) copy[column] = exact;
    }
    return copy;
  });
  const form: ResultForm = { snmpResult: RESULT_FORM_VERSION, topic: base.topic, device: base.device, snmp: base.snmp, payload, types, columns: counters.columns };
  if (result.nonRepeaterCount > 0) form.scalars = result.varbinds.slice(0, result.nonRepeaterCount);
  return form;
}

function firstColumnOid(result: PollSuccess): string | undefined {
  for (let i = result.nonRepeaterCount; i < result.infos.length; i++) {
    const info = result.infos[i];
    if (info) return info.oid;
  }
  return undefined;
}

/** `msg.snmp` of a result. */
export function snmpMeta(result: PollSuccess | PollFailureResult, version: SnmpVersion): SnmpMeta {
  const meta: SnmpMeta = { time: result.time, elapsedMs: result.elapsedMs, version, requests: result.requests };
  if (result.ok && result.incomplete) meta.incomplete = { code: result.incomplete.code, message: result.incomplete.message };
  return meta;
}

/** `msg.device`: a copy, so a downstream change cannot touch the inventory. */
export function deviceField(device: Device): Device {
  const out: Device = { host: device.host, port: device.port, name: device.name, labels: { ...device.labels } };
  if (device.profile !== undefined) out.profile = device.profile;
  return out;
}

export interface ErrorSource {
  id: string;
  type: string;
  name?: string;
}

/** `msg.error` of a failing device. */
export function errorField(failure: PollFailure, source: ErrorSource): PollFailure & { source: ErrorSource } {
  return { ...failure, source };
}
