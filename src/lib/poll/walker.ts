/**
 * The lock-step walker: several columns or subtrees walked together, each GETBULK
 * (GETNEXT on SNMPv1) asking for every unfinished column, with the guards of DESIGN.md:
 * an OID that does not increase stops the walk, so do a varbind cap and the deadline;
 * tooBig backs off (fewer repetitions, then fewer columns per request).
 */
import { PollError } from '../common/errors';
import type { PollFailure } from '../common/types';
import { isException, type RawVarbind } from '../common/codec';
import { compareOids } from '../common/oid';
import type { PooledSession } from '../snmp/session-pool';
import type { SnmpProfile } from '../common/types';
import { ERROR_STATUS_NO_SUCH_NAME, ERROR_STATUS_TOO_BIG, errorStatusOf, isRaw, oidOfStatusError, snmpGetBulk, snmpGetNext, type Counter } from './requests';

export interface WalkOptions {
  nonRepeaters: number;
  maxRepetitions: number;
  /** Stop with an error past this many varbinds. */
  maxVarbinds: number;
  /**
   * When a guard stops the walk (an OID not increasing, the varbind cap), deliver what
   * was collected before it, marked incomplete, instead of failing the walk.
   */
  keepPartial?: boolean;
}

/** What a walk returns: the varbinds, and why it stopped early when it did (keepPartial). */
export interface WalkResult {
  raws: RawVarbind[];
  nonRepeaterCount: number;
  incomplete?: PollFailure;
}

interface Column {
  root: string;
  cursor: string;
  done: boolean;
  /**
   * Where this column's varbinds are, in walk order: per answer that gave it some, four
   * numbers (the answer's index in the walk's list of answers, the first varbind's
   * index, how many, the step between them). The answers' own arrays hold the varbinds
   * until the walk ends; a copy per column was two more arrays per column that grew
   * with every answer and lived as long as the walk.
   */
  parts: number[];
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
  // cursor starts with the root: sharing fewer characters means another subtree, which
  // ends the column when it lies after the cursor (RFC 3416 §4.2.2: the lexicographic
  // successor). An agent that jumps back out of the subtree would otherwise make a
  // truncated walk look complete.
  if (i < rootLength || lo <= rootLength || oid.charCodeAt(rootLength) !== 46) {
    return compareOids(oid, cursor) > 0 ? OUTSIDE : NOT_INCREASING;
  }
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
export async function walkAll(ctx: { profile: SnmpProfile }, ps: PooledSession, roots: string[], opts: WalkOptions, c: Counter, expired: () => boolean): Promise<WalkResult> {
  const nonRepRoots = roots.slice(0, opts.nonRepeaters);
  const columns: Column[] = roots.slice(opts.nonRepeaters).map((root) => ({ root, cursor: root, done: false, parts: [] }));
  const answers: unknown[][] = [];
  const nonRepOut: RawVarbind[] = [];
  const v1 = ctx.profile.version === '1';
  let maxRepetitions = Math.max(1, opts.maxRepetitions);
  // Columns asked per request. A tooBig that fewer repetitions cannot cure (GETNEXT on
  // v1, or GETBULK already at one repetition) halves it: the columns are then walked in
  // groups, one after the other, instead of failing the walk.
  let width = Number.POSITIVE_INFINITY;
  let total = 0;
  let first = true;
  let incomplete: PollFailure | undefined;

  walk: while (first || columns.some((col) => !col.done)) {
    if (expired()) throw new PollError('timeout', 'device deadline exceeded');
    const active = columns.filter((col) => !col.done).slice(0, width);
    const nr = first ? nonRepRoots.length : 0;
    const reqOids = [...(first ? nonRepRoots : []), ...active.map((col) => col.cursor)];
    if (reqOids.length === 0) break;
    // the answer's flat varbind list: the non-repeaters, then one varbind per active column, row by row
    let res: unknown[];
    try {
      if (v1) {
        res = await snmpGetNext(ps, c, reqOids);
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
    const nonRepBefore = nonRepOut.length;
    for (let i = 0; i < nr && i < res.length; i++) {
      const vb = res[i];
      if (isRaw(vb)) nonRepOut.push(vb);
    }
    const answer = answers.length;
    answers.push(res);
    const step = active.length;
    let got = 0;
    let stop: PollError | undefined;
    for (let j = 0; j < active.length && stop === undefined; j++) {
      const col = active[j];
      const first = nr + j;
      let taken = 0;
      for (let k = first; k < res.length; k += step) {
        const vb = res[k];
        if (!isRaw(vb)) throw new PollError('bad-response', 'malformed varbind in response');
        got++;
        const place = isException(vb.type) ? OUTSIDE : placeInColumn(vb.oid, col.cursor, col.root.length);
        if (place === OUTSIDE) {
          col.done = true;
          break;
        }
        if (place === NOT_INCREASING) {
          // snmpwalk's words: the agent answered an OID at or before the one asked
          stop = new PollError('bad-response', `OID not increasing: the agent returned ${clipOid(vb.oid)} after ${clipOid(col.cursor)}; walk stopped (it would loop)`);
          break;
        }
        if (total >= opts.maxVarbinds) {
          stop = new PollError('bad-response', `walk passed the cap of ${opts.maxVarbinds} varbinds (maxVarbinds)`);
          break;
        }
        col.cursor = vb.oid;
        total++;
        taken++;
      }
      if (taken > 0) col.parts.push(answer, first, taken, step);
    }
    if (stop !== undefined) {
      if (!opts.keepPartial) throw stop;
      incomplete = stop.toFailure();
      break walk;
    }
    if (got === 0 && active.length > 0) {
      // an agent that cannot fit even one repetition answers with an empty list
      if (maxRepetitions > 1 && !v1) {
        maxRepetitions = Math.max(1, Math.floor(maxRepetitions / 2));
        // an empty list did not answer the non-repeaters either: they are asked again
        if (res.length < nr) nonRepOut.length = nonRepBefore;
        else first = false;
        continue;
      }
      throw new PollError('bad-response', 'agent returned no varbinds for the walked columns');
    }
    // RFC 3416 §4.2.3: one varbind for each non-repeater, whatever else fits
    if (res.length < nr) throw new PollError('bad-response', `agent answered ${res.length} of ${nr} non-repeaters`);
    first = false;
  }
  const nonRepeaterCount = nonRepOut.length;
  const raws: RawVarbind[] = new Array(nonRepeaterCount + total);
  let n = 0;
  for (; n < nonRepeaterCount; n++) raws[n] = nonRepOut[n];
  for (const col of columns) {
    const parts = col.parts;
    for (let p = 0; p < parts.length; p += 4) {
      const list = answers[parts[p]];
      const step = parts[p + 3];
      for (let k = parts[p + 1], left = parts[p + 2]; left > 0; k += step, left--) raws[n++] = list[k] as RawVarbind;
    }
  }
  return incomplete ? { raws, nonRepeaterCount, incomplete } : { raws, nonRepeaterCount };
}

/** An OID quoted in an error: agents control it, so at most 128 characters of it. */
function clipOid(oid: string): string {
  return oid.length > 128 ? `${oid.slice(0, 125)}...` : oid;
}
