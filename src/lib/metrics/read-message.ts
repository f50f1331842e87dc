/**
 * What a message says in numbers: the samples of a poll message (snmp-get's object,
 * snmp-bulkwalk's rows), of a counter-rate message, or the alert of a threshold-alert
 * message, each with the labels that name its series. Types come from the message
 * (`msg.types`, the varbinds): Counter32 and Counter64 are counters holding the raw
 * value, exact beyond 2^53 from the varbind's `exact`; everything else numeric is a
 * gauge. Nothing here keeps state.
 */
import { hostLabel } from '../common/health';
import { labelName, renderLabels } from './names';

export type SampleKind = 'counter' | 'gauge';
/** raw: the value as polled; rate/delta: what counter-rate made of a counter. */
export type SampleVariant = 'raw' | 'rate' | 'delta';

/** Why a value or a message was left out; counted per reason. */
export type DropReason =
  | 'no-values' | 'not-finite' | 'negative-counter' | 'bad-name' | 'type-conflict' | 'cap' | 'labels-capped' | 'bad-payload';

export const DROP_REASONS: readonly DropReason[] = [
  'no-values', 'not-finite', 'negative-counter', 'bad-name', 'type-conflict', 'cap', 'labels-capped', 'bad-payload',
];

/** Where the reader puts what it finds. */
export interface SampleSink {
  /**
   * One value. `field` is the MIB column or payload field (`ifHCInOctets`), `smiType`
   * its SNMP type when known, `labels` the rendered label set of its series.
   */
  sample(field: string, kind: SampleKind, variant: SampleVariant, smiType: string | undefined, labels: string, value: number | string): void;
  drop(reason: DropReason, detail?: string): void;
  /** A label value was cut to its maximum length. */
  cut(): void;
}

export interface ReadOptions {
  /** Text columns of a row (or instance) that become labels of its series: ifName, ifDescr... */
  labelColumns: readonly string[];
}

/** What kind of message it was. */
export type ReadOutcome = 'values' | 'no-values' | 'failure' | 'not-an-object';

/** Most inventory labels taken from one device; more would make every series of it heavy. */
export const MAX_DEVICE_LABELS = 32;

const COUNTER_TYPES = new Set(['Counter32', 'Counter64']);
/** Types that are never a sample even when the value happens to be a number. */
const NOT_NUMERIC_TYPES = new Set(['OctetString', 'IpAddress', 'OID', 'Null', 'NoSuchObject', 'NoSuchInstance', 'EndOfMibView', 'Boolean', 'Opaque']);
/** Labels the reader sets itself; an inventory label of the same name is exported_<name>. */
const OWN_LABELS = new Set(['device', 'host', 'index', 'alertname', 'severity', 'instance', 'job']);

type Msg = Record<string, any>;

/**
 * Reads the values of one poll or rate message into `sink`. Returns what kind of
 * message it was: `failure` for a poll node's failure output (payload null with
 * msg.error), `not-an-object` for a payload that is neither rows nor an object.
 */
export function readMessage(msg: Msg, opts: ReadOptions, sink: SampleSink): ReadOutcome {
  const payload = msg.payload;
  if ((payload === null || payload === undefined) && msg.error && typeof msg.error === 'object') return 'failure';
  if (typeof payload !== 'object' || payload === null) return 'not-an-object';
  const base = deviceLabels(msg, opts.labelColumns, sink);
  const rate = rateVariant(msg.counterRate);
  const vb = lazyVarbindIndex(msg.varbinds);
  const n = Array.isArray(payload)
    ? readRows(payload, msg.types, vb, base, rate, opts, sink)
    : readObject(payload, msg.types, vb, base, rate, opts, sink);
  return n > 0 ? 'values' : 'no-values';
}

/** counter-rate marks its output with `msg.counterRate = { mode }`: its counters are rates now. */
function rateVariant(marker: unknown): SampleVariant | undefined {
  if (!marker || typeof marker !== 'object') return undefined;
  return (marker as { mode?: unknown }).mode === 'delta' ? 'delta' : 'rate';
}

/** device, host and the inventory labels, as [name, value] pairs in a stable order. */
export function deviceLabels(msg: Msg, taken: readonly string[], sink: Pick<SampleSink, 'drop'>): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const device = msg.device && typeof msg.device === 'object' ? msg.device : undefined;
  const name = typeof msg.topic === 'string' && msg.topic !== '' ? msg.topic
    : typeof msg.topic === 'number' ? String(msg.topic)
      : device && typeof device.name === 'string' ? device.name : '';
  if (name) pairs.push(['device', name]);
  if (device && typeof device.host === 'string' && device.host !== '') pairs.push(['host', hostLabel(device.host, device.port)]);
  const labels = device && device.labels && typeof device.labels === 'object' ? device.labels as Record<string, unknown> : undefined;
  if (labels) {
    const keys = Object.keys(labels).sort();
    const used = new Set<string>(['device', 'host']);
    let kept = 0;
    for (const key of keys) {
      const v = labels[key];
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
      let ln = labelName(key);
      if (!ln) continue;
      if (OWN_LABELS.has(ln) || taken.includes(ln)) ln = `exported_${ln}`;
      if (used.has(ln)) continue;
      if (kept >= MAX_DEVICE_LABELS) {
        sink.drop('labels-capped');
        break;
      }
      used.add(ln);
      pairs.push([ln, String(v)]);
      kept++;
    }
  }
  return pairs;
}

interface VarbindInfo {
  type?: string;
  exact?: string;
}

/** Varbinds by the payload's names: `ifHCInOctets.3` (object payloads) and `ifHCInOctets\t3` (rows). */
interface VarbindIndex {
  byKey: Map<string, VarbindInfo>;
  byCell: Map<string, VarbindInfo>;
  columnTypes: Map<string, string>;
}

/**
 * The index, built on first use: a walk message with msg.types needs the varbinds only
 * for the rare Counter64 beyond 2^53, and indexing 2,000 varbinds per device for nothing
 * would cost more than serving the values.
 */
function lazyVarbindIndex(varbinds: unknown): (() => VarbindIndex) | undefined {
  if (!Array.isArray(varbinds) || varbinds.length === 0) return undefined;
  let index: VarbindIndex | undefined;
  return () => (index ??= varbindIndex(varbinds));
}

function varbindIndex(varbinds: any[]): VarbindIndex {
  const index: VarbindIndex = { byKey: new Map(), byCell: new Map(), columnTypes: new Map() };
  for (const vb of varbinds) {
    if (!vb || typeof vb !== 'object') continue;
    const name = typeof vb.name === 'string' ? vb.name : typeof vb.oid === 'string' ? vb.oid : undefined;
    if (!name) continue;
    const info: VarbindInfo = { type: typeof vb.type === 'string' ? vb.type : undefined, exact: typeof vb.exact === 'string' ? vb.exact : undefined };
    const sep = name.indexOf('::');
    const key = sep >= 0 ? name.slice(sep + 2) : name;
    index.byKey.set(key, info);
    // the row layout of messages.ts: MIB name and instance, else the OID cut at its last arc
    let column: string;
    let cell: string;
    if (sep >= 0) {
      const dot = key.indexOf('.');
      column = dot >= 0 ? key.slice(0, dot) : key;
      cell = dot >= 0 ? key.slice(dot + 1) : '';
    } else {
      const dot = key.lastIndexOf('.');
      column = key.slice(0, dot);
      cell = key.slice(dot + 1);
    }
    index.byCell.set(`${column}\t${cell}`, info);
    if (info.type && !index.columnTypes.has(column)) index.columnTypes.set(column, info.type);
  }
  return index;
}

function typesObject(types: unknown): Record<string, unknown> | undefined {
  return types && typeof types === 'object' && !Array.isArray(types) ? types as Record<string, unknown> : undefined;
}

/**
 * One numeric value: its kind from the SNMP type, counters checked, exact Counter64
 * beyond 2^53 from the varbind. Returns 1 when it became a sample (drops included:
 * the message did hold a number), else 0.
 */
function emit(
  field: string, value: unknown, smiType: string | undefined, exact: () => string | undefined,
  rate: SampleVariant | undefined, labels: string, sink: SampleSink,
): number {
  if (typeof value !== 'number') return 0;
  if (smiType !== undefined && NOT_NUMERIC_TYPES.has(smiType)) return 0;
  if (!Number.isFinite(value)) {
    sink.drop('not-finite', field);
    return 1;
  }
  const counter = smiType !== undefined && COUNTER_TYPES.has(smiType);
  if (counter && rate) {
    sink.sample(field, 'gauge', rate, smiType, labels, value);
    return 1;
  }
  if (counter) {
    if (value < 0) {
      sink.drop('negative-counter', field);
      return 1;
    }
    const precise = Number.isSafeInteger(value) ? undefined : exact();
    sink.sample(field, 'counter', 'raw', smiType, labels, precise !== undefined && /^\d+$/.test(precise) ? precise : value);
    return 1;
  }
  sink.sample(field, 'gauge', 'raw', smiType, labels, value);
  return 1;
}

function readRows(
  rows: unknown[], types: unknown, vb: (() => VarbindIndex) | undefined, base: Array<[string, string]>,
  rate: SampleVariant | undefined, opts: ReadOptions, sink: SampleSink,
): number {
  const typeOf = typesObject(types);
  const typed = typeOf !== undefined || vb !== undefined;
  const cut = () => sink.cut();
  let n = 0;
  rows.forEach((row, position) => {
    if (!row || typeof row !== 'object' || Array.isArray(row)) return;
    const r = row as Record<string, unknown>;
    const index = r.index === undefined || r.index === null ? String(position) : String(r.index);
    const pairs: Array<[string, string]> = [...base, ['index', index]];
    for (const col of opts.labelColumns) {
      const v = r[col];
      if (typeof v === 'string' || typeof v === 'number') pairs.push([col, String(v)]);
    }
    const labels = renderLabels(pairs, cut);
    for (const field of Object.keys(r)) {
      if (field === 'index') continue;
      const value = r[field];
      if (typeof value !== 'number') continue;
      const t = typeOf?.[field];
      const smiType = typeof t === 'string' ? t : typeOf === undefined ? vb?.().columnTypes.get(field) : undefined;
      // the row's own index decoded from the MIB (ifIndex of ifTable rows, named *Index by
      // MIB convention) is already the index label
      if (typed && smiType === undefined && field.endsWith('Index') && String(value) === index) continue;
      n += emit(field, value, smiType, () => vb?.().byCell.get(`${field}\t${index}`)?.exact, rate, labels, sink);
    }
  });
  return n;
}

function readObject(
  payload: Record<string, unknown>, types: unknown, vb: (() => VarbindIndex) | undefined, base: Array<[string, string]>,
  rate: SampleVariant | undefined, opts: ReadOptions, sink: SampleSink,
): number {
  const typeOf = typesObject(types);
  const keys = Object.keys(payload);
  let n = 0;
  // text columns of the same instance label its values: {"ifName.3": "eth0", "ifHCInOctets.3": ...}
  const textOf = new Map<string, Array<[string, string]>>();
  if (opts.labelColumns.length > 0) {
    for (const key of keys) {
      const [column, instance] = splitKey(key);
      if (!opts.labelColumns.includes(column)) continue;
      const v = payload[key];
      if (typeof v !== 'string' && typeof v !== 'number') continue;
      let list = textOf.get(instance);
      if (!list) textOf.set(instance, (list = []));
      list.push([column, String(v)]);
    }
  }
  const rendered = new Map<string, string>();
  const cut = () => sink.cut();
  for (const key of keys) {
    const value = payload[key];
    if (typeof value !== 'number') continue;
    const [column, instance] = splitKey(key);
    let labels = rendered.get(instance);
    if (labels === undefined) {
      const pairs: Array<[string, string]> = [...base];
      // a scalar (`.0`) is the device's own value, not a row
      if (instance !== '' && instance !== '0') pairs.push(['index', instance]);
      const text = textOf.get(instance);
      if (text) for (const col of opts.labelColumns) for (const [c, v] of text) if (c === col) pairs.push([c, v]);
      labels = renderLabels(pairs, cut);
      rendered.set(instance, labels);
    }
    const t = typeOf?.[key] ?? typeOf?.[column];
    const info = vb?.().byKey.get(key);
    const smiType = typeof t === 'string' ? t : info?.type;
    n += emit(column, value, smiType, () => info?.exact, rate, labels, sink);
  }
  return n;
}

/**
 * `ifHCInOctets.3` → [`ifHCInOctets`, `3`]; a name without instance → [name, ''];
 * a numeric OID (no MIB name) stays whole: where its instance starts is unknown.
 */
export function splitKey(key: string): [string, string] {
  if (/^[0-9.]+$/.test(key)) return [key, ''];
  const dot = key.indexOf('.');
  return dot > 0 ? [key.slice(0, dot), key.slice(dot + 1)] : [key, ''];
}

/** An alert of threshold-alert (msg.alert, whatever the output format): firing or resolved, and its series. */
export interface AlertSample {
  firing: boolean;
  labels: string;
}

/**
 * The alerts a message carries: `msg.alert` (an object, or an array for grouped
 * notifications), else a generic alert in `msg.payload`. Empty for anything else.
 */
export function readAlerts(msg: Msg, sink: Pick<SampleSink, 'cut' | 'drop'>): AlertSample[] {
  const source = msg.alert ?? msg.payload;
  const given = Array.isArray(source) ? source : [source];
  // A group (threshold-alert's default grouping) carries its alerts, each with its
  // instance: the series are theirs. The group's own status says only whether any of
  // them fires, so it dropped an interface still down when another came back.
  const list = given.flatMap((a) => (a && typeof a === 'object' && Array.isArray(a.alerts) ? a.alerts : [a]));
  const out: AlertSample[] = [];
  for (const a of list) {
    if (!a || typeof a !== 'object') continue;
    if ((a.status !== 'firing' && a.status !== 'resolved') || typeof a.alertname !== 'string' || a.alertname === '') continue;
    const pairs: Array<[string, string]> = [['alertname', a.alertname]];
    if (typeof a.severity === 'string' && a.severity !== '') pairs.push(['severity', a.severity]);
    if (typeof a.device === 'string' && a.device !== '') pairs.push(['device', a.device]);
    if (typeof a.instance === 'string' && a.instance !== '') pairs.push(['instance', a.instance]);
    const labels = deviceLabels({ device: { labels: a.labels } }, [], sink).filter(([k]) => !pairs.some(([p]) => p === k));
    out.push({ firing: a.status === 'firing', labels: renderLabels([...pairs, ...labels], () => sink.cut()) });
  }
  return out;
}
