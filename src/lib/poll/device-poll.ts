/**
 * One device, one poll: a GET of exact OIDs or a lock-step walk (walker.ts), within
 * the device's deadline, on a pooled session. Results are decoded by the codec;
 * failures classified, and a bare timeout explained by what was seen on the wire.
 */
import { classifyError, PollError } from '../common/errors';
import { decodeVarbind, TypeTag, type RawVarbind } from '../common/codec';
import type { Device, MibLookup, OidInfo, PollFailure, SnmpProfile, Varbind } from '../common/types';
import type { PooledSession, SessionPool } from '../snmp/session-pool';
import { cancelInFlight, ERROR_STATUS_NO_SUCH_NAME, ERROR_STATUS_TOO_BIG, errorStatusOf, isRaw, oidOfStatusError, snmpGet, type Counter } from './requests';
import { withDeadline } from './scheduler';
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

async function pollDevice(
  ctx: PollContext,
  device: Device,
  work: (ps: PooledSession, c: Counter, expired: () => boolean) => Promise<WalkResult>,
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
    const success: PollSuccess = { ok: true, device, varbinds, infos, nonRepeaterCount: result.nonRepeaterCount, time, elapsedMs: end - started, requests: counter.requests };
    if (result.incomplete) success.incomplete = result.incomplete;
    return success;
  } catch (err) {
    // past the deadline the work may still have a request out, retrying or re-sent on
    // Reports: end it now, so nothing of this poll outlives its deadline
    cancelInFlight(counter);
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
