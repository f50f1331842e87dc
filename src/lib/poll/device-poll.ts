/**
 * One device, one poll: GET of exact OIDs, or a lock-step GETBULK walk of several
 * columns/subtrees, with the guards of DESIGN.md (non-increasing OID, varbind cap,
 * deadline, tooBig back-off). Results are decoded by the codec; failures classified.
 */
import { classifyError, PollError } from '../common/errors';
import { decodeVarbind, isException, TypeTag, type RawVarbind } from '../common/codec';
import { compareOids } from '../common/oid';
import { withDeadline } from './scheduler';
import type { PooledSession, SessionPool } from '../snmp/session-pool';
import type { Device, MibLookup, OidInfo, PollFailure, SnmpProfile, Varbind } from '../common/types';

/** A device's successful poll. */
export interface PollSuccess {
  ok: true;
  device: Device;
  varbinds: Varbind[];
  /** MIB description per varbind (same order), for rows and payload keys. */
  infos: Array<OidInfo | undefined>;
  /** How many leading varbinds came from non-repeaters (walks only). */
  nonRepeaterCount: number;
  time: number;
  elapsedMs: number;
  requests: number;
}

export interface PollFailureResult {
  ok: false;
  device: Device;
  failure: PollFailure;
  time: number;
  elapsedMs: number;
  requests: number;
}

export type PollResult = PollSuccess | PollFailureResult;

export interface PollContext {
  pool: SessionPool;
  profile: SnmpProfile;
  mib?: MibLookup;
  now?: () => number;
}

export interface WalkOptions {
  nonRepeaters: number;
  maxRepetitions: number;
  /** Stop with an error past this many varbinds. */
  maxVarbinds: number;
}

/** Most OIDs in one GET request; a tooBig answer halves it. */
const GET_CHUNK = 60;
const ERROR_STATUS_TOO_BIG = 1;
const ERROR_STATUS_NO_SUCH_NAME = 2;

interface Counter {
  requests: number;
  /** When the first answer of the poll arrived (the clock of msg.snmp.time). */
  firstAnswerAt?: number;
  now: () => number;
}

function once<T extends unknown[]>(fn: (...a: T) => void): (...a: T) => void {
  let called = false;
  return (...a: T) => {
    if (called) return;
    called = true;
    fn(...a);
  };
}

function sessionCall<T>(ps: PooledSession, counter: Counter, call: (cb: (err: unknown, res: T) => void) => void): Promise<T> {
  counter.requests++;
  return new Promise<T>((resolve, reject) => {
    const cb = once((err: unknown, res: T) => {
      if (err) return reject(err);
      if (counter.firstAnswerAt === undefined) counter.firstAnswerAt = counter.now();
      resolve(res);
    });
    try {
      call(cb);
    } catch (err) {
      cb(err, undefined as unknown as T);
    }
  });
}

function snmpGet(ps: PooledSession, c: Counter, oids: string[]): Promise<RawVarbind[]> {
  return sessionCall(ps, c, (cb) => ps.session.get(oids, cb));
}

function snmpGetNext(ps: PooledSession, c: Counter, oids: string[]): Promise<RawVarbind[]> {
  return sessionCall(ps, c, (cb) => ps.session.getNext(oids, cb));
}

/** net-snmp groups a GETBULK answer: non-repeaters as varbinds, then one array per repeater. */
function snmpGetBulk(ps: PooledSession, c: Counter, oids: string[], nonRepeaters: number, maxRepetitions: number): Promise<Array<RawVarbind | RawVarbind[]>> {
  return sessionCall(ps, c, (cb) => ps.session.getBulk(oids, nonRepeaters, maxRepetitions, cb));
}

function errorStatusOf(err: unknown): number | undefined {
  const e = err as { name?: string; status?: unknown };
  return e && e.name === 'RequestFailedError' && typeof e.status === 'number' ? e.status : undefined;
}

function oidOfStatusError(err: unknown): string | undefined {
  const m = (err as Error)?.message ?? '';
  const at = m.indexOf(': ');
  return at >= 0 ? m.slice(at + 2).trim() : undefined;
}

function isRaw(v: unknown): v is RawVarbind {
  return !!v && typeof v === 'object' && typeof (v as RawVarbind).oid === 'string' && typeof (v as RawVarbind).type === 'number';
}

/** GET of exact-instance OIDs, chunked; v1's noSuchName marks that OID and retries the rest. */
async function getAll(ctx: PollContext, ps: PooledSession, oids: string[], c: Counter, expired: () => boolean): Promise<RawVarbind[]> {
  const out = new Map<string, RawVarbind>();
  let chunk = GET_CHUNK;
  let pending = [...oids];
  while (pending.length > 0) {
    if (expired()) throw new PollError('timeout', 'device deadline exceeded');
    const batch = pending.slice(0, chunk);
    try {
      const res = await snmpGet(ps, c, batch);
      if (!Array.isArray(res) || res.length !== batch.length || !res.every(isRaw)) {
        throw new PollError('bad-response', 'response varbinds do not match the request');
      }
      for (let i = 0; i < res.length; i++) out.set(batch[i], res[i]);
      pending = pending.slice(batch.length);
    } catch (err) {
      const status = errorStatusOf(err);
      if (status === ERROR_STATUS_TOO_BIG && chunk > 1) {
        chunk = Math.max(1, Math.floor(Math.min(chunk, batch.length) / 2));
        continue;
      }
      if (status === ERROR_STATUS_NO_SUCH_NAME && ctx.profile.version === '1') {
        // SNMPv1 fails the whole PDU for one missing OID (RFC 1157 §4.1.2): report that
        // OID as noSuchObject, as v2c would, and ask again for the others.
        const missing = oidOfStatusError(err);
        const at = missing ? batch.indexOf(missing) : -1;
        if (at < 0) throw err;
        out.set(missing!, { oid: missing!, type: TypeTag.NoSuchObject, value: null });
        pending = pending.filter((o) => o !== missing);
        continue;
      }
      throw err;
    }
  }
  return oids.map((o) => out.get(o)!);
}

interface Column {
  root: string;
  cursor: string;
  done: boolean;
  /** What this column returned so far, in walk order. */
  out: RawVarbind[];
}

/** Where a walked OID lies relative to its column (see `placeInColumn`). */
const OUTSIDE = 0;
const NOT_INCREASING = 1;
const NEXT = 2;

/**
 * Whether `oid` is the next OID of the column walked from `root` whose last OID was
 * `cursor` (the root itself, or an OID under it): OUTSIDE the subtree, NOT_INCREASING
 * (`oid` <= `cursor`, RFC 3416 ordering) or NEXT. One pass over the characters both
 * share instead of a prefix test plus a full arc-by-arc comparison: this runs once per
 * walked varbind, 2,000 times per device for ifTable + ifXTable, and consecutive OIDs of
 * a column differ only in their last arcs.
 */
function placeInColumn(oid: string, cursor: string, rootLength: number): number {
  const lo = oid.length;
  const lc = cursor.length;
  const n = lo < lc ? lo : lc;
  let i = 0;
  while (i < n && oid.charCodeAt(i) === cursor.charCodeAt(i)) i++;
  // cursor starts with the root: sharing fewer characters means another subtree
  if (i < rootLength || lo <= rootLength || oid.charCodeAt(rootLength) !== 46) return OUTSIDE;
  // one is a character prefix of the other ("1.3.6.1.2" and "1.3.6.1.23" or "1.3.6.1.2.5"):
  // the longer one sorts after, whatever its extra characters are
  if (i === lo) return NOT_INCREASING;
  if (i === lc) return NEXT;
  let start = i;
  while (start > 0 && oid.charCodeAt(start - 1) !== 46) start--;
  let arcOid = 0;
  for (let k = start; k < lo; k++) {
    const c = oid.charCodeAt(k);
    if (c === 46) break;
    arcOid = arcOid * 10 + (c - 48);
  }
  let arcCursor = 0;
  for (let k = start; k < lc; k++) {
    const c = cursor.charCodeAt(k);
    if (c === 46) break;
    arcCursor = arcCursor * 10 + (c - 48);
  }
  // equal arcs spelled differently ("01"): let the general comparison decide
  const after = arcOid !== arcCursor ? arcOid > arcCursor : compareOids(oid, cursor) > 0;
  return after ? NEXT : NOT_INCREASING;
}

/**
 * Walks several subtrees in lock-step: each GETBULK asks for every unfinished column,
 * so a table of k columns and n rows takes about n / maxRepetitions round trips instead
 * of k × n / maxRepetitions. SNMPv1 uses GETNEXT the same way.
 */
async function walkAll(ctx: PollContext, ps: PooledSession, roots: string[], opts: WalkOptions, c: Counter, expired: () => boolean): Promise<{ raws: RawVarbind[]; nonRepeaterCount: number }> {
  const nonRepRoots = roots.slice(0, opts.nonRepeaters);
  const columns: Column[] = roots.slice(opts.nonRepeaters).map((root) => ({ root, cursor: root, done: false, out: [] }));
  const nonRepOut: RawVarbind[] = [];
  const v1 = ctx.profile.version === '1';
  let maxRepetitions = Math.max(1, opts.maxRepetitions);
  // Columns asked per request. A tooBig that fewer repetitions cannot cure (GETNEXT on
  // v1, or GETBULK already at one repetition) halves it: the columns are then walked in
  // groups, one after the other, instead of failing the walk.
  let width = Number.POSITIVE_INFINITY;
  let total = 0;
  let first = true;

  while (first || columns.some((col) => !col.done)) {
    if (expired()) throw new PollError('timeout', 'device deadline exceeded');
    const active = columns.filter((col) => !col.done).slice(0, width);
    const nr = first ? nonRepRoots.length : 0;
    const reqOids = [...(first ? nonRepRoots : []), ...active.map((col) => col.cursor)];
    if (reqOids.length === 0) break;
    let res: Array<RawVarbind | RawVarbind[]>;
    try {
      if (v1) {
        const flat = await snmpGetNext(ps, c, reqOids);
        res = flat.map((vb, i) => (i < nr ? vb : [vb]));
      } else {
        res = await snmpGetBulk(ps, c, reqOids, nr, maxRepetitions);
      }
    } catch (err) {
      const status = errorStatusOf(err);
      if (status === ERROR_STATUS_TOO_BIG && !v1 && maxRepetitions > 1) {
        maxRepetitions = Math.max(1, Math.floor(maxRepetitions / 2));
        continue;
      }
      if (status === ERROR_STATUS_TOO_BIG && active.length > 1) {
        width = Math.max(1, Math.floor(active.length / 2));
        continue;
      }
      if (v1 && status === ERROR_STATUS_NO_SUCH_NAME) {
        // SNMPv1 end of MIB view for one of the OIDs: that column (or scalar) is finished
        const oid = oidOfStatusError(err);
        const at = oid ? reqOids.indexOf(oid) : -1;
        if (at < 0) throw err;
        if (at < nr) {
          nonRepRoots.splice(at, 1);
          opts = { ...opts, nonRepeaters: opts.nonRepeaters - 1 };
        } else {
          active[at - nr].done = true;
        }
        continue;
      }
      throw err;
    }
    if (!Array.isArray(res)) throw new PollError('bad-response', 'response has no varbind list');
    for (let i = 0; i < nr && i < res.length; i++) {
      const vb = res[i];
      if (isRaw(vb)) nonRepOut.push(vb);
    }
    let got = 0;
    for (let j = 0; j < active.length; j++) {
      const col = active[j];
      const list = res[nr + j];
      if (!Array.isArray(list)) continue;
      for (const vb of list) {
        if (!isRaw(vb)) throw new PollError('bad-response', 'malformed varbind in response');
        got++;
        const place = isException(vb.type) ? OUTSIDE : placeInColumn(vb.oid, col.cursor, col.root.length);
        if (place === OUTSIDE) {
          col.done = true;
          break;
        }
        if (place === NOT_INCREASING) {
          throw new PollError('bad-response', `agent returned a non-increasing OID (${vb.oid} after ${col.cursor}): walk stopped to avoid a loop`);
        }
        col.out.push(vb);
        col.cursor = vb.oid;
        if (++total > opts.maxVarbinds) {
          throw new PollError('bad-response', `walk passed the cap of ${opts.maxVarbinds} varbinds (maxVarbinds)`);
        }
      }
    }
    if (got === 0 && active.length > 0) {
      // an agent that cannot fit even one repetition answers with an empty list
      if (maxRepetitions > 1 && !v1) {
        maxRepetitions = Math.max(1, Math.floor(maxRepetitions / 2));
        first = false;
        continue;
      }
      throw new PollError('bad-response', 'agent returned no varbinds for the walked columns');
    }
    first = false;
  }
  const nonRepeaterCount = nonRepOut.length;
  const raws = nonRepOut;
  for (const col of columns) for (const vb of col.out) raws.push(vb);
  return { raws, nonRepeaterCount };
}

function decodeAll(raws: RawVarbind[], mib: MibLookup | undefined): { varbinds: Varbind[]; infos: Array<OidInfo | undefined> } {
  const varbinds: Varbind[] = new Array(raws.length);
  const infos: Array<OidInfo | undefined> = new Array(raws.length);
  for (let i = 0; i < raws.length; i++) {
    const info = mib?.describe(raws[i].oid);
    infos[i] = info;
    try {
      varbinds[i] = decodeVarbind(raws[i], info, mib);
    } catch (err) {
      throw new PollError('bad-response', `bad value for ${raws[i].oid}: ${(err as Error).message}`);
    }
  }
  return { varbinds, infos };
}

/**
 * A timeout says little: tell what was seen instead. Replies that could not be parsed
 * or matched no request make it a bad-response; otherwise name the silent causes.
 */
function explainTimeout(failure: PollFailure, profile: SnmpProfile, ps: PooledSession | undefined): PollFailure {
  const malformed = ps?.malformedSinceTake ?? 0;
  const stray = ps?.straySinceTake ?? 0;
  const deadline = /deadline/.test(failure.message);
  if (malformed + stray > 0) {
    const seen = [
      malformed ? `${malformed} malformed ${malformed === 1 ? 'reply' : 'replies'}` : '',
      stray ? `${stray} ${stray === 1 ? 'reply' : 'replies'} matching no request` : '',
    ].filter(Boolean).join(' and ');
    if (deadline) return { ...failure, message: `${failure.message} (${seen})` };
    return { code: 'bad-response', message: `${seen}, and no valid response` };
  }
  if (deadline) return failure;
  // agents drop wrong communities and undecryptable v3 messages without a word
  // (RFC 3584 §4.1, RFC 3414 §3.2 step 6): say so, as snmpget cannot
  const hint = profile.version !== '3' ? 'device down, or wrong community' : profile.user?.level === 'authPriv' ? 'device down, or wrong privacy key' : 'device down';
  return { ...failure, message: `${failure.message}: ${hint}` };
}

async function pollDevice(
  ctx: PollContext,
  device: Device,
  work: (ps: PooledSession, c: Counter, expired: () => boolean) => Promise<{ raws: RawVarbind[]; nonRepeaterCount: number }>,
): Promise<PollResult> {
  const now = ctx.now ?? Date.now;
  const started = now();
  const counter: Counter = { requests: 0, now };
  let ps: PooledSession | undefined;
  try {
    const result = await withDeadline(ctx.profile.deadline, async (expired) => {
      const session = ctx.pool.acquireExisting(device) ?? await ctx.pool.acquire(device);
      if (expired()) {
        ctx.pool.release(session);
        throw new PollError('timeout', 'device deadline exceeded');
      }
      ps = session;
      return work(session, counter, expired);
    });
    const { varbinds, infos } = decodeAll(result.raws, ctx.mib);
    const end = now();
    // Rates divide by the time between two polls, so stamp each poll at the same phase:
    // the first answer, which holds most of a walk's rows. The end of a walk moves with
    // the later round trips and the fleet's queueing (1-2 % of a 2-s interval).
    const time = counter.firstAnswerAt ?? end;
    return { ok: true, device, varbinds, infos, nonRepeaterCount: result.nonRepeaterCount, time, elapsedMs: end - started, requests: counter.requests };
  } catch (err) {
    let failure = classifyError(err, { timeout: ctx.profile.timeout, retries: ctx.profile.retries });
    if (failure.code === 'timeout') failure = explainTimeout(failure, ctx.profile, ps);
    const time = now();
    return { ok: false, device, failure, time, elapsedMs: time - started, requests: counter.requests };
  } finally {
    if (ps) ctx.pool.release(ps);
  }
}

/** GETs `oids` (numeric, exact instances) from one device. */
export function pollGet(ctx: PollContext, device: Device, oids: string[]): Promise<PollResult> {
  return pollDevice(ctx, device, async (ps, c, expired) => ({ raws: await getAll(ctx, ps, oids, c, expired), nonRepeaterCount: 0 }));
}

/**
 * Walks `roots` (numeric) on one device; the first `opts.nonRepeaters` roots are
 * fetched once (GETNEXT semantics), the rest walked to the end of their subtree.
 */
export function pollWalk(ctx: PollContext, device: Device, roots: string[], opts: WalkOptions): Promise<PollResult> {
  return pollDevice(ctx, device, (ps, c, expired) => walkAll(ctx, ps, roots, opts, c, expired));
}
