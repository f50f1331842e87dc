/**
 * One device, one poll: a GET of exact OIDs or a lock-step walk (walker.ts), within
 * the device's deadline, on a pooled session. Results are decoded by the codec;
 * failures classified, and a bare timeout explained by what was seen on the wire.
 */
import { classifyError, PollError } from '../common/errors';
import { decodeVarbind, TypeTag, type RawVarbind } from '../common/codec';
import type { Device, MibLookup, OidInfo, PollFailure, SnmpProfile, Varbind } from '../common/types';
import type { PooledSession, SessionPool } from '../snmp/session-pool';
import { cancelInFlight, ERROR_STATUS_NO_SUCH_NAME, ERROR_STATUS_TOO_BIG, errorStatusOf, isRaw, oidOfStatusError, snmpGet, snmpGetCb, type Counter } from './requests';
import { deadlineQueue } from '../common/deadlines';
import { walkAll, type WalkOptions, type WalkResult } from './walker';

export type { WalkOptions } from './walker';

/** Most OIDs in one GET request; a tooBig answer halves it. */
const GET_CHUNK = 60;

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
  /** Why a walk stopped early, when the node keeps what was collected (keepPartial). */
  incomplete?: PollFailure;
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


function matches(res: unknown, batch: string[]): res is RawVarbind[] {
  return Array.isArray(res) && res.length === batch.length && res.every(isRaw);
}

const MISMATCH = 'response varbinds do not match the request';

/**
 * GET of exact-instance OIDs. The usual case, a list that fits one request and is
 * answered whole, is one request and its callback; anything else continues in getChunked.
 */
function getAll(ctx: PollContext, ps: PooledSession, oids: string[], c: Counter, expired: () => boolean, finish: Finish): void {
  if (oids.length === 0 || oids.length > GET_CHUNK) {
    getChunked(ctx, ps, oids, c, expired).then((raws) => finish(null, raws), finish);
    return;
  }
  if (expired()) {
    finish(new PollError('timeout', 'device deadline exceeded'));
    return;
  }
  snmpGetCb(ps, c, oids, (err, res) => {
    if (!err) {
      if (matches(res, oids)) finish(null, res);
      else finish(new PollError('bad-response', MISMATCH));
      return;
    }
    const status = errorStatusOf(err);
    if (status === ERROR_STATUS_TOO_BIG || status === ERROR_STATUS_NO_SUCH_NAME) {
      getChunked(ctx, ps, oids, c, expired, err).then((raws) => finish(null, raws), finish);
      return;
    }
    finish(err);
  });
}

/**
 * GET of exact-instance OIDs, chunked; v1's noSuchName marks that OID and retries the rest.
 * `firstError` is the answer to the whole list already asked for (see getAll).
 */
async function getChunked(ctx: PollContext, ps: PooledSession, oids: string[], c: Counter, expired: () => boolean, firstError?: unknown): Promise<RawVarbind[]> {
  // made only when the list takes more than one request
  let out: Map<string, RawVarbind> | undefined;
  let chunk = GET_CHUNK;
  let pending = oids;
  let asked = firstError !== undefined;
  while (pending.length > 0) {
    if (!asked && expired()) throw new PollError('timeout', 'device deadline exceeded');
    const batch = pending.length <= chunk ? pending : pending.slice(0, chunk);
    try {
      if (asked) {
        asked = false;
        throw firstError;
      }
      const res = await snmpGet(ps, c, batch);
      if (!matches(res, batch)) throw new PollError('bad-response', MISMATCH);
      // the whole list in one answer
      if (batch === oids) return res;
      out ??= new Map();
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
        (out ??= new Map()).set(missing!, { oid: missing!, type: TypeTag.NoSuchObject, value: null });
        pending = pending.filter((o) => o !== missing);
        continue;
      }
      throw err;
    }
  }
  return oids.map((o) => out!.get(o)!);
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
      const oid = String(raws[i].oid);
      throw new PollError('bad-response', `bad value for ${oid.length > 128 ? `${oid.slice(0, 125)}...` : oid}: ${(err as Error).message}`);
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

/** How a poll's work reports: an error, or what it collected. */
type Finish = (err: unknown, done?: WalkResult | RawVarbind[]) => void;

/**
 * One device's poll: its session, `work` on it within the profile's deadline, the result
 * to `report`. Callbacks, not a promise or an async function per step: this runs for
 * every device of every cycle.
 */
function pollDevice(
  ctx: PollContext,
  device: Device,
  work: (ps: PooledSession, c: Counter, expired: () => boolean, finish: Finish) => void,
  report: (result: PollResult) => void,
): void {
  const now = ctx.now ?? Date.now;
  const started = now();
  const counter: Counter = { requests: 0, now };
  const deadlineMs = ctx.profile.deadline;
  const deadlines = deadlineQueue(deadlineMs);
  let ps: PooledSession | undefined;
  let expired = false;
  let settled = false;
  const isExpired = () => expired;
  const fail = (err: unknown) => {
    if (settled) return;
    settled = true;
    // past the deadline the work may still have a request out, retrying or re-sent on
    // Reports: end it now, so nothing of this poll outlives its deadline
    cancelInFlight(counter);
    let failure = classifyError(err, { timeout: ctx.profile.timeout, retries: ctx.profile.retries });
    if (failure.code === 'timeout') failure = explainTimeout(failure, ctx.profile, ps);
    const time = now();
    if (ps) ctx.pool.release(ps);
    report({ ok: false, device, failure, time, elapsedMs: time - started, requests: counter.requests });
  };
  const deadline = deadlines.add(() => {
    expired = true;
    fail(new PollError('timeout', `device deadline of ${deadlineMs} ms exceeded`));
  });
  const succeed = (done: WalkResult | RawVarbind[]) => {
    if (settled) return;
    deadlines.finish(deadline);
    const raws = Array.isArray(done) ? done : done.raws;
    let decoded: ReturnType<typeof decodeAll>;
    try {
      decoded = decodeAll(raws, ctx.mib);
    } catch (err) {
      fail(err);
      return;
    }
    settled = true;
    const end = now();
    // Rates divide by the time between two polls, so stamp each poll at the same phase:
    // the first answer, which holds most of a walk's rows. The end of a walk moves with
    // the later round trips and the fleet's queueing (1-2 % of a 2-s interval).
    const time = counter.firstAnswerAt ?? end;
    const success: PollSuccess = {
      ok: true, device, varbinds: decoded.varbinds, infos: decoded.infos, nonRepeaterCount: Array.isArray(done) ? 0 : done.nonRepeaterCount,
      time, elapsedMs: end - started, requests: counter.requests,
    };
    if (!Array.isArray(done) && done.incomplete) success.incomplete = done.incomplete;
    if (ps) ctx.pool.release(ps);
    report(success);
  };
  const failEarly = (err: unknown) => {
    deadlines.finish(deadline);
    fail(err);
  };
  const finish: Finish = (err, done) => {
    if (err || done === undefined) failEarly(err ?? new PollError('bad-response', 'no answer'));
    else succeed(done);
  };
  const run = (session: PooledSession) => {
    if (expired) {
      ctx.pool.release(session);
      return;
    }
    ps = session;
    try {
      work(session, counter, isExpired, finish);
    } catch (err) {
      failEarly(err);
    }
  };
  const existing = ctx.pool.acquireExisting(device);
  if (existing) run(existing);
  else ctx.pool.acquire(device).then(run, failEarly);
}

/** GETs `oids` (numeric, exact instances) from one device; `report` gets the result. */
export function pollGetCb(ctx: PollContext, device: Device, oids: string[], report: (result: PollResult) => void): void {
  pollDevice(ctx, device, (ps, c, expired, finish) => getAll(ctx, ps, oids, c, expired, finish), report);
}

/**
 * Walks `roots` (numeric) on one device; the first `opts.nonRepeaters` roots are
 * fetched once (GETNEXT semantics), the rest walked to the end of their subtree.
 */
export function pollWalkCb(ctx: PollContext, device: Device, roots: string[], opts: WalkOptions, report: (result: PollResult) => void): void {
  pollDevice(ctx, device, (ps, c, expired, finish) => {
    walkAll(ctx, ps, roots, opts, c, expired).then((r) => finish(null, r), finish);
  }, report);
}

/** pollGetCb as a promise. */
export function pollGet(ctx: PollContext, device: Device, oids: string[]): Promise<PollResult> {
  return new Promise((resolve) => pollGetCb(ctx, device, oids, resolve));
}

/** pollWalkCb as a promise. */
export function pollWalk(ctx: PollContext, device: Device, roots: string[], opts: WalkOptions): Promise<PollResult> {
  return new Promise((resolve) => pollWalkCb(ctx, device, roots, opts, resolve));
}
