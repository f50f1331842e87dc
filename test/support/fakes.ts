/**
 * The shared stand-ins of the unit tests of src/lib/red: a node facade that records
 * what the node showed, logged and sent, and context stores that answer as Node-RED's
 * stores do (a memory store at once, a file store without cache on a later turn).
 */
import { partName, type ContextLike, type StateLayout } from '../../src/lib/common/state-store';
import type { Msg, NodeFacade, StatusObject } from '../../src/lib/red/node-facade';

export interface FakeNode extends NodeFacade {
  statuses: StatusObject[];
  warnings: string[];
  errors: string[];
  logs: string[];
  /** Every send() call's argument, as given. */
  sends: unknown[];
  /** The messages sent on output 1, flattened. */
  sent: Msg[];
}

/** Locale text as `key {vars}`, so tests can assert both. */
export function fakeT(key: string, vars?: Record<string, unknown>): string {
  return `${key}${vars ? ' ' + JSON.stringify(vars) : ''}`;
}

/** A node facade over `context`; `over` replaces any member. */
export function fakeNode(context: ContextLike = memoryContext(), over: Partial<NodeFacade> = {}): FakeNode {
  const f: FakeNode = {
    id: 'n1',
    type: 'test-node',
    statuses: [],
    warnings: [],
    errors: [],
    logs: [],
    sends: [],
    sent: [],
    status: (s) => f.statuses.push(s),
    error: (t) => f.errors.push(t),
    warn: (t) => f.warnings.push(t),
    log: (t) => f.logs.push(t),
    t: fakeT,
    send: (msgs) => {
      f.sends.push(msgs);
      const first = Array.isArray(msgs) ? msgs[0] : msgs;
      if (Array.isArray(first)) f.sent.push(...(first as Msg[]));
      else if (first) f.sent.push(first as Msg);
    },
    cloneMessage: (m) => structuredClone(m),
    context,
    ...over,
  };
  return f;
}

export type RecordingContext = ContextLike & {
  data: Map<string, unknown>;
  /** One entry per set call: the JSON of its value (of its array of values for several keys). */
  writes: string[];
  /** The keys each set call wrote. */
  writtenKeys: string[][];
};

/** Reads one key or several, as a Node-RED store answers them. */
function answer(data: Map<string, unknown>, key: string | string[], cb: (err: Error | undefined, ...values: unknown[]) => void): void {
  if (Array.isArray(key)) cb(undefined, ...key.map((k) => data.get(k)));
  else cb(undefined, data.get(key));
}

/** Writes one key or several (`undefined` deletes), as a Node-RED store does. */
function store(data: Map<string, unknown>, key: string | string[], value: unknown): void {
  const keys = Array.isArray(key) ? key : [key];
  const values = Array.isArray(key) ? (Array.isArray(value) ? value : [value]) : [value];
  keys.forEach((k, i) => {
    const v = i < values.length ? values[i] : null;
    if (v === undefined) data.delete(k);
    else data.set(k, v);
  });
}

/**
 * A context answering on the next turn, as a file store without cache does, and
 * keeping what each set wrote as JSON (such a store rewrites the whole value per set).
 */
export function asyncContext(initial: Record<string, unknown> | Map<string, unknown> = {}): RecordingContext {
  const data = initial instanceof Map ? initial : new Map<string, unknown>(Object.entries(initial));
  const writes: string[] = [];
  const writtenKeys: string[][] = [];
  return {
    data,
    writes,
    writtenKeys,
    get: (key, _store, cb) => setImmediate(() => answer(data, key, cb)),
    set: (key, value, _store, cb) => {
      store(data, key, structuredClone(value));
      writes.push(JSON.stringify(value));
      writtenKeys.push(Array.isArray(key) ? key : [key]);
      setImmediate(() => cb(undefined));
    },
    keys: (_store, cb) => setImmediate(() => cb(undefined, [...data.keys()])),
  };
}

/** A context answering at once and keeping values by reference, as the memory store does. */
export function memoryContext(initial: Record<string, unknown> = {}): RecordingContext {
  const data = new Map<string, unknown>(Object.entries(initial));
  const writes: string[] = [];
  const writtenKeys: string[][] = [];
  return {
    data,
    writes,
    writtenKeys,
    get: (key, _store, cb) => answer(data, key, cb),
    set: (key, value, _store, cb) => {
      store(data, key, value);
      writes.push(JSON.stringify(value));
      writtenKeys.push(Array.isArray(key) ? key : [key]);
      cb(undefined);
    },
    keys: (_store, cb) => cb(undefined, [...data.keys()]),
  };
}

/** A clock whose time moves only when told; timers fire in due order as it passes them. */
export interface FakeClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Moves time forward by `ms`, firing every timer due on the way at its own time. */
  advance(ms: number): void;
  /** Timers set and not yet fired or cleared. */
  pending(): number;
}

export function fakeClock(start = 1_700_000_000_000): FakeClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const t of timers) if (t[1].at <= end && (!next || t[1].at < next[1].at || (t[1].at === next[1].at && t[0] < next[0]))) next = t;
        if (!next) break;
        timers.delete(next[0]);
        now = Math.max(now, next[1].at);
        next[1].fn();
      }
      now = end;
    },
    pending: () => timers.size,
  };
}

/**
 * The state a node keeps under `key` as one object again: its head with the parts of
 * the layout joined in (what the node would restore from this context).
 */
export function storedState(ctx: RecordingContext, key: string, layout: StateLayout<any>): any {
  return joinStored(Object.fromEntries(ctx.data), key, layout);
}

/** As {@link storedState}, from the keys and values of a scope (a file store's JSON file). */
export function joinStored(scope: Record<string, unknown>, key: string, layout: StateLayout<any>): any {
  const parts = new Map<string, unknown>();
  for (const [k, v] of Object.entries(scope)) {
    const name = partName(key, k);
    if (name !== undefined) parts.set(name, v);
  }
  return layout.join(scope[key], parts);
}
