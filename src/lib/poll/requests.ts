/**
 * The SNMP requests a poll makes, over a pooled net-snmp session, as callbacks or promises: each
 * counts itself and notes when the poll's first answer arrived (the time of
 * msg.snmp.time); net-snmp's error-status errors are read back into numbers.
 */
import type { RawVarbind } from '../common/codec';
import type { PooledSession } from '../snmp/session-pool';

export const ERROR_STATUS_TOO_BIG = 1;
export const ERROR_STATUS_NO_SUCH_NAME = 2;

export interface Counter {
  requests: number;
  /** When the first answer of the poll arrived (the clock of msg.snmp.time). */
  firstAnswerAt?: number;
  now: () => number;
  /** The request not yet answered (a poll asks one at a time), by its net-snmp callback. */
  pendingCb?: object;
  pendingPs?: PooledSession;
  /** Any further unanswered requests (see cancelInFlight). */
  inFlight?: Map<object, PooledSession>;
}

/** Ends the poll's unanswered requests (its deadline passed): no retry or re-send after it. */
export function cancelInFlight(counter: Counter): void {
  if (counter.pendingCb) {
    counter.pendingPs!.cancel(counter.pendingCb);
    counter.pendingCb = counter.pendingPs = undefined;
  }
  if (!counter.inFlight) return;
  for (const [cb, ps] of counter.inFlight) ps.cancel(cb);
  counter.inFlight.clear();
}

function forget(counter: Counter, cb: object): void {
  if (counter.pendingCb === cb) counter.pendingCb = counter.pendingPs = undefined;
  else counter.inFlight?.delete(cb);
}

/**
 * One request of a poll: counted, noted as in flight until answered (so the poll's
 * deadline can cancel it), and its first answer's time kept. `done` is called once.
 */
export function requestCall<T>(ps: PooledSession, counter: Counter, call: (cb: (err: unknown, res: T) => void) => void, done: (err: unknown, res?: T) => void): void {
  counter.requests++;
  let called = false;
  const cb = (err: unknown, res: T) => {
    if (called) return;
    called = true;
    forget(counter, cb);
    if (err) {
      done(err);
      return;
    }
    if (counter.firstAnswerAt === undefined) counter.firstAnswerAt = counter.now();
    done(null, res);
  };
  if (counter.pendingCb === undefined) {
    counter.pendingCb = cb;
    counter.pendingPs = ps;
  } else {
    (counter.inFlight ??= new Map()).set(cb, ps);
  }
  try {
    call(cb);
  } catch (err) {
    cb(err, undefined as unknown as T);
  }
}

export function sessionCall<T>(ps: PooledSession, counter: Counter, call: (cb: (err: unknown, res: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    requestCall<T>(ps, counter, call, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
}

/** A GET as requestCall: `done(err, varbinds)`. */
export function snmpGetCb(ps: PooledSession, c: Counter, oids: string[], done: (err: unknown, res?: RawVarbind[]) => void): void {
  requestCall<RawVarbind[]>(ps, c, (cb) => ps.get(oids, cb as (err: unknown, varbinds?: unknown[]) => void), done);
}

export function snmpGet(ps: PooledSession, c: Counter, oids: string[]): Promise<RawVarbind[]> {
  return new Promise((resolve, reject) => snmpGetCb(ps, c, oids, (err, res) => (err ? reject(err) : resolve(res!))));
}

export function snmpGetNext(ps: PooledSession, c: Counter, oids: string[]): Promise<RawVarbind[]> {
  return sessionCall(ps, c, (cb) => ps.session.getNext(oids, cb));
}

/**
 * A GETBULK's answer as the PDU's flat varbind list: the non-repeaters, then the
 * repeaters row by row (see PooledSession.getBulk).
 */
export function snmpGetBulk(ps: PooledSession, c: Counter, oids: string[], nonRepeaters: number, maxRepetitions: number): Promise<unknown[]> {
  return sessionCall<unknown[]>(ps, c, (cb) => ps.getBulk(oids, nonRepeaters, maxRepetitions, cb as (err: unknown, varbinds?: unknown[]) => void));
}

export function errorStatusOf(err: unknown): number | undefined {
  const e = err as { name?: string; status?: unknown };
  return e && e.name === 'RequestFailedError' && typeof e.status === 'number' ? e.status : undefined;
}

export function oidOfStatusError(err: unknown): string | undefined {
  const m = (err as Error)?.message ?? '';
  const at = m.indexOf(': ');
  return at >= 0 ? m.slice(at + 2).trim() : undefined;
}

export function isRaw(v: unknown): v is RawVarbind {
  return !!v && typeof v === 'object' && typeof (v as RawVarbind).oid === 'string' && typeof (v as RawVarbind).type === 'number';
}
