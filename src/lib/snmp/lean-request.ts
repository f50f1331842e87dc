/**
 * A lean GET and GETBULK for SNMPv1/v2c sessions, the request side of lean-response.ts.
 *
 * net-snmp builds every request from scratch (a Pdu, a Message, a BER writer, a Req,
 * its own setTimeout and a random id), which costs more than the rest of a GET of two
 * scalars. Here a GET's bytes are built once per OID list and copied per request with
 * only the request id written in; every request of a pool shares one timer (a FIFO per
 * attempt: requests of one attempt number all wait the same time, so each FIFO is in
 * deadline order and only its head needs a timer).
 *
 * The request is otherwise a net-snmp request: it sits in the session's `reqs` under its
 * id, so a reply reaches it by the same roads (the lean decoder, or net-snmp's own reader
 * for anything odd), with net-snmp's checks of version and community, its error-status
 * handling (`onSimpleGetResponse`), and the session's cancel and close. Retries and
 * backoff are net-snmp's: attempt k waits `timeout × backoff^k`, the last one fails with
 * RequestTimedOutError("Request timed out"). An OID list it cannot encode (not a valid
 * numeric OID) goes to net-snmp's get, which fails it as it always did.
 *
 * A GETBULK's OIDs change with every round trip of a walk (each column's cursor), so its
 * bytes are assembled per request from the OIDs' encodings, kept per OID. Its answer is
 * handed over as the flat varbind list of the PDU, checked as net-snmp's getBulk checks
 * it: net-snmp's getBulk wraps every repeated varbind in an array of its own, two more
 * objects per walked varbind that lived as long as the walk did.
 */
import { randomFillSync } from 'crypto';
import { performance } from 'perf_hooks';
import * as snmp from 'net-snmp';
import { encodeInteger, encodeOctets, oidContentBytes, Tag, tlv } from '../common/ber';
import { Fifo } from '../common/fifo';

const GET_REQUEST = 0xa0;
const GET_BULK_REQUEST = 0xa5;
/** The request id's INTEGER with its four bytes zero, written in per request. */
const ZERO_ID = Buffer.from([0x02, 0x04, 0, 0, 0, 0]);
const NULL_VALUE = Buffer.from([0x05, 0x00]);
/**
 * Request ids from 2^23 to 2^31-1: their minimal BER INTEGER is exactly four bytes, so
 * a template's id field has one size. (net-snmp's own ids are below 10^8, and a session
 * never has two requests under one id: see `freeId`.)
 */
const ID_MIN = 0x00800000;
const ID_SPAN = 0x7fffffff - ID_MIN + 1;
/** How late a timeout may fire so that one wake-up serves the requests of several ms. */
const TIMER_SLACK_MS = 5;
/** OID lists whose template is kept per pool (a fleet GETs a handful of lists). */
const MAX_TEMPLATES = 256;
/** OIDs whose encoding is kept per pool for GETBULKs (a fleet's walks ask the same columns and rows). */
const MAX_ENCODED_OIDS = 8192;

/** The net-snmp Session fields this path reads and writes (untyped in net-snmp). */
export interface SessionLike {
  version: number;
  community: string;
  target: string;
  reportOidMismatchErrors?: boolean;
  backwardsGetNexts?: boolean;
  reqs: Record<number, unknown>;
  reqCount: number;
  dgram: { send(buf: Buffer, offset: number, length: number, port: number, address: string, cb?: (err: Error | null) => void): void; ref(): void };
  unregisterRequest(id: number): unknown;
  onSimpleGetResponse(req: unknown, message: unknown): void;
}

type ResponseCb = (err: unknown, varbinds?: unknown[]) => void;

/** What net-snmp's reply path reads of a request's message (version, community, the OIDs asked). */
interface RequestMessage {
  version: number;
  community: string;
  pdu: { varbinds: ReadonlyArray<{ oid: string }> };
}

interface Template {
  bytes: Buffer;
  idOffset: number;
  message: RequestMessage;
}

/** A varbind of a reply as the lean decoder or net-snmp's reader gives it. */
interface ReplyVarbind {
  oid: string;
  type: number;
}

/** The OIDs a GETBULK asked, as net-snmp's request message holds them (made only when read). */
class AskedPdu {
  constructor(private readonly oids: readonly string[]) {}

  get varbinds(): Array<{ oid: string }> {
    return this.oids.map((oid) => ({ oid }));
  }
}

/** A numeric OID's BER content, or undefined for anything net-snmp should judge. */
export function oidContent(oid: string): number[] | undefined {
  if (!/^\d+(\.\d+)+$/.test(oid)) return undefined;
  const arcs = oid.split('.').map(Number);
  if (arcs.some((a) => !Number.isSafeInteger(a) || a > 0xffffffff)) return undefined;
  if (arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40)) return undefined;
  return oidContentBytes(arcs);
}

/** A varbind asking for `oid` (SEQUENCE { OID, NULL }), or undefined for one net-snmp should judge. */
function askingVarbind(oid: string): Buffer | undefined {
  const content = oidContent(oid);
  return content && tlv(Tag.Sequence, tlv(Tag.Oid, Buffer.from(content)), NULL_VALUE);
}

/**
 * A v1/v2c request message whose request id is four zero bytes, and where they are: the
 * PDU `tag` with its two INTEGERs after the id (error-status and error-index of a GET, 0
 * and 0; non-repeaters and max-repetitions of a GETBULK) and the encoded `varbinds`.
 */
function requestMessage(version: number, community: string, tag: number, second: number, third: number, varbinds: Buffer): { bytes: Buffer; idOffset: number } {
  const head = Buffer.concat([encodeInteger(version), encodeOctets(community)]);
  const pduContent = Buffer.concat([ZERO_ID, encodeInteger(second), encodeInteger(third), tlv(Tag.Sequence, varbinds)]);
  const bytes = tlv(Tag.Sequence, head, tlv(tag, pduContent));
  // the id's four bytes follow the PDU's tag and length, and the id's own 02 04
  return { bytes, idOffset: bytes.length - pduContent.length + 2 };
}

/** A GetRequest message with a zero request id, and where the id's four bytes are. */
export function getTemplate(version: number, community: string, oids: readonly string[]): Template | undefined {
  const list: Buffer[] = [];
  for (const oid of oids) {
    const vb = askingVarbind(oid);
    if (!vb) return undefined;
    list.push(vb);
  }
  const { bytes, idOffset } = requestMessage(version, community, GET_REQUEST, 0, 0, Buffer.concat(list));
  return { bytes, idOffset, message: { version, community, pdu: { varbinds: oids.map((oid) => ({ oid })) } } };
}

/**
 * Whether `next` follows `oid`, exactly as net-snmp's oidFollowsOid decides it (arc by
 * arc; an OID that runs out first, or equal OIDs, count as following), without its two
 * objects and closure per call.
 */
export function oidFollowsOid(oid: string, next: string): boolean {
  const lo = oid.length;
  const ln = next.length;
  let i = 0;
  let j = 0;
  for (;;) {
    if (i >= lo) return true;
    let a = 0;
    while (i < lo) {
      const c = oid.charCodeAt(i++);
      if (c === 46) break;
      a = a * 10 + (c - 48);
    }
    if (j >= ln) return true;
    let b = 0;
    while (j < ln) {
      const c = next.charCodeAt(j++);
      if (c === 46) break;
      b = b * 10 + (c - 48);
    }
    if (b > a) return true;
    if (b < a) return false;
  }
}

/** What an answered request holds instead of its owner's callback and its bytes. */
const ANSWERED: ResponseCb = () => undefined;
const NO_BYTES = Buffer.alloc(0);

/** net-snmp's isVarbindError: noSuchObject, noSuchInstance or endOfMibView. */
function isVarbindError(vb: ReplyVarbind): boolean {
  return vb.type === 0x80 || vb.type === 0x81 || vb.type === 0x82;
}

/** One request in flight: shaped as net-snmp's Req, so its session's reply path takes it. */
class LeanReq {
  /** When the current attempt gives up (ms, LeanRequests' clock). */
  deadline = 0;
  /** The wait of the next attempt (net-snmp multiplies it by backoff after each one). */
  timeout: number;
  retries: number;
  readonly sent: (err: Error | null) => void;

  constructor(
    readonly session: SessionLike,
    readonly id: number,
    public bytes: Buffer,
    readonly port: number,
    /** The owner's callback; its identity is how a poll cancels the request (PooledSession.cancel). */
    public responseCb: ResponseCb,
    /** A GET's is shared by every request of its template: nothing writes to it. */
    public message: RequestMessage,
    /** A GETBULK's OIDs and non-repeaters; undefined for a GET. */
    public bulk: { oids: readonly string[]; nonRepeaters: number } | undefined,
    timeout: number,
    retries: number,
    readonly backoff: number,
  ) {
    this.timeout = timeout;
    this.retries = retries;
    this.sent = (err) => {
      // as net-snmp: a send that fails fails the request
      if (err && this.live) {
        this.session.unregisterRequest(this.id);
        this.responseCb(err);
      }
    };
  }

  getId(): number {
    return this.id;
  }

  /**
   * The answer, from either reader (both unregister the request first): net-snmp's own
   * error-status handling, then feedCb below. An answered request stays in its attempt's
   * FIFO until its deadline, so what it holds is let go here: the owner's callback reaches
   * the poll's whole state (a walk's answers so far), which would otherwise live as long
   * as the timeout.
   */
  onResponse(req: LeanReq, message: unknown): void {
    try {
      req.session.onSimpleGetResponse(req, message);
    } finally {
      req.responseCb = ANSWERED;
      req.bytes = NO_BYTES;
      req.bulk = undefined;
    }
  }

  /** Still waiting for its answer (not answered, cancelled or closed). */
  get live(): boolean {
    return this.session.reqs[this.id] === this;
  }

  /** Called by net-snmp's onSimpleGetResponse with a reply whose error-status is 0. */
  feedCb(req: LeanReq, message: { pdu: { varbinds: ReplyVarbind[] } }): void {
    if (req.bulk) req.feedBulk(req.bulk.oids, req.bulk.nonRepeaters, message.pdu.varbinds);
    else req.feedGet(message.pdu.varbinds);
  }

  /** net-snmp's get feedCb: as many varbinds as asked, else ResponseInvalidError. */
  private feedGet(got: ReplyVarbind[]): void {
    const asked = this.message.pdu.varbinds;
    if (asked.length !== got.length) {
      this.responseCb(new snmp.ResponseInvalidError('Requested OIDs do not match response OIDs', snmp.ResponseInvalidCode.EReqResOidNoMatch));
      return;
    }
    if (this.session.reportOidMismatchErrors) {
      for (let i = 0; i < asked.length; i++) {
        if (asked[i].oid !== got[i].oid) {
          this.responseCb(new snmp.ResponseInvalidError(`OID '${asked[i].oid}' in request at position '${i}' does not match OID '${got[i].oid}' in response at position '${i}'`, snmp.ResponseInvalidCode.EReqResOidNoMatch));
          return;
        }
      }
    }
    this.responseCb(null, got.slice());
  }

  /**
   * net-snmp's getBulk feedCb, with its checks and its error texts (only made when the
   * session asks for them: reportOidMismatchErrors, or backwardsGetNexts false), but the
   * answer stays the PDU's flat list: non-repeaters first, then the repeaters row by row
   * (varbind i past the non-repeaters belongs to repeater (i - nonRepeaters) % repeaters).
   * Varbinds past the first row when only non-repeaters were asked have no repeater to
   * belong to and are left out (net-snmp's getBulk throws on them).
   */
  private feedBulk(asked: readonly string[], nonRepeaters: number, got: ReplyVarbind[]): void {
    const report = this.session.reportOidMismatchErrors === true;
    const ordered = this.session.backwardsGetNexts === false;
    const repeaters = asked.length - nonRepeaters;
    let n = got.length;
    if (repeaters <= 0 && n > asked.length) n = asked.length;
    if (report || ordered) {
      for (let i = 0; i < n; i++) {
        const first = i < asked.length;
        const before = first ? asked[i] : got[i - repeaters].oid;
        const vb = got[i];
        if (isVarbindError(vb)) {
          if (report && before !== vb.oid) {
            const where = first ? 'request' : 'response';
            const at = first ? i : i - repeaters;
            this.responseCb(new snmp.ResponseInvalidError(`OID '${before}' in ${where} at position '${at}' does not match OID '${vb.oid}' in response at position '${i}'`, snmp.ResponseInvalidCode.EReqResOidNoMatch));
            return;
          }
        } else if (ordered && !oidFollowsOid(before, vb.oid)) {
          const where = first ? 'request' : 'response';
          const at = first ? i : i - repeaters;
          this.responseCb(new snmp.ResponseInvalidError(`OID '${before}' in ${where} at positiion '${at}' does not precede OID '${vb.oid}' in response at position '${i}'`, snmp.ResponseInvalidCode.EOutOfOrder));
          return;
        }
      }
    }
    if (n < got.length) got.length = n;
    this.responseCb(null, got);
  }
}

/** The GETs of one pool's sessions, and the one timer they share. */
export class LeanRequests {
  private readonly templates = new Map<string, Template>();
  /** Each OID's varbind encoding, for GETBULKs. */
  private readonly encodedOids = new Map<string, Buffer>();
  /** Requests by attempt number, each in deadline order. */
  private readonly queues: Array<Fifo<LeanReq>> = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private readonly ids = new Uint32Array(512);
  private idAt = this.ids.length;
  private closed = false;

  constructor(private readonly options: { timeout: number; retries: number; backoff: number }) {}

  /** A monotonic clock: a wall clock set back would hold every timeout. */
  private now(): number {
    return performance.now();
  }

  private template(session: SessionLike, oids: readonly string[]): Template | undefined {
    const key = oids.length === 1 ? oids[0] : oids.join(' ');
    let t = this.templates.get(key);
    if (t) return t;
    t = getTemplate(session.version, session.community, oids);
    if (!t) return undefined;
    if (this.templates.size >= MAX_TEMPLATES) this.templates.clear();
    this.templates.set(key, t);
    return t;
  }

  /** A random id no request of the session holds. */
  private freeId(session: SessionLike): number {
    for (;;) {
      if (this.idAt === this.ids.length) {
        randomFillSync(this.ids);
        this.idAt = 0;
      }
      const id = ID_MIN + (this.ids[this.idAt++] % ID_SPAN);
      if (session.reqs[id] === undefined) return id;
    }
  }

  /**
   * GETs `oids` on a v1/v2c session; `cb(err, varbinds)` as net-snmp's get calls it.
   * Returns false (and does nothing) when the OIDs need net-snmp's own get.
   */
  get(session: SessionLike, port: number, oids: readonly string[], cb: ResponseCb): boolean {
    if (this.closed) return false;
    const t = this.template(session, oids);
    if (!t) return false;
    const id = this.freeId(session);
    const bytes = Buffer.allocUnsafe(t.bytes.length);
    t.bytes.copy(bytes);
    bytes.writeUInt32BE(id, t.idOffset);
    const req = new LeanReq(session, id, bytes, port, cb, t.message, undefined, this.options.timeout, this.options.retries, this.options.backoff);
    this.start(session, req);
    return true;
  }

  /** A GETBULK's bytes: the message around the OIDs' kept encodings, request id zero. */
  private bulkBytes(session: SessionLike, oids: readonly string[], nonRepeaters: number, maxRepetitions: number): { bytes: Buffer; idOffset: number } | undefined {
    if (!(nonRepeaters >= 0 && nonRepeaters <= 0x7fffffff && maxRepetitions >= 0 && maxRepetitions <= 0x7fffffff)) return undefined;
    const encoded: Buffer[] = new Array(oids.length);
    for (let i = 0; i < oids.length; i++) {
      let e = this.encodedOids.get(oids[i]);
      if (e === undefined) {
        e = askingVarbind(oids[i]);
        if (!e) return undefined;
        if (this.encodedOids.size >= MAX_ENCODED_OIDS) this.encodedOids.clear();
        this.encodedOids.set(oids[i], e);
      }
      encoded[i] = e;
    }
    return requestMessage(session.version, session.community, GET_BULK_REQUEST, nonRepeaters, maxRepetitions, Buffer.concat(encoded));
  }

  /**
   * GETBULKs `oids` on a v1/v2c session; `cb(err, varbinds)` with the answer's flat
   * varbind list (see LeanReq.feedBulk). Returns false (and does nothing) when the OIDs
   * need net-snmp's own getBulk.
   */
  getBulk(session: SessionLike, port: number, oids: readonly string[], nonRepeaters: number, maxRepetitions: number, cb: ResponseCb): boolean {
    if (this.closed || session.version === 0) return false;
    const built = this.bulkBytes(session, oids, nonRepeaters, maxRepetitions);
    if (!built) return false;
    const id = this.freeId(session);
    built.bytes.writeUInt32BE(id, built.idOffset);
    const message: RequestMessage = { version: session.version, community: session.community, pdu: new AskedPdu(oids) };
    const req = new LeanReq(session, id, built.bytes, port, cb, message, { oids, nonRepeaters }, this.options.timeout, this.options.retries, this.options.backoff);
    this.start(session, req);
    return true;
  }

  private start(session: SessionLike, req: LeanReq): void {
    session.reqs[req.id] = req;
    if (session.reqCount <= 0) session.dgram.ref();
    session.reqCount++;
    this.send(req, 0);
  }

  private send(req: LeanReq, attempt: number): void {
    req.deadline = this.now() + req.timeout;
    if (req.backoff >= 1) req.timeout *= req.backoff;
    (this.queues[attempt] ??= new Fifo()).push(req);
    if (req.deadline < this.armedFor) this.arm(req.deadline);
    try {
      req.session.dgram.send(req.bytes, 0, req.bytes.length, req.port, req.session.target, req.sent);
    } catch (err) {
      req.sent(err as Error);
    }
  }

  private arm(deadline: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = setTimeout(this.fire, Math.max(0, deadline - this.now()));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.now();
    let next = Infinity;
    for (let k = 0; k < this.queues.length; k++) {
      const queue = this.queues[k];
      for (let req = queue.peek(); req !== undefined; req = queue.peek()) {
        if (req.live && req.deadline > now) break;
        queue.shift();
        if (!req.live) continue;
        try {
          if (req.retries-- > 0) {
            // the retry goes to list k+1, which fire() reads after this one
            this.send(req, k + 1);
          } else {
            req.session.unregisterRequest(req.id);
            req.responseCb(new snmp.RequestTimedOutError('Request timed out'));
          }
        } catch {
          // what a request's owner does with its timeout must not stop the others'
        }
        // the pool closed from a callback: its queues are gone
        if (this.closed) return;
      }
      const first = queue.peek();
      if (first && first.deadline < next) next = first.deadline;
    }
    // a timeout a few ms late costs nothing; a wake-up per ms of a busy fleet would
    if (next < Infinity && next < this.armedFor) this.arm(Math.max(next, now + TIMER_SLACK_MS));
  };

  /** Requests still in a queue (answered ones leave at their deadline). */
  get queued(): number {
    let n = 0;
    for (const queue of this.queues) n += queue.size;
    return n;
  }

  /** Stops the timer; the sessions' close fails what is still pending. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    for (const queue of this.queues) queue.clear();
  }
}
