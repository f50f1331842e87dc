/**
 * snmp-spool's node: store and forward in front of a sink that can fail (InfluxDB,
 * an HTTP endpoint). Each message is written to the spool folder before it goes on,
 * and stays there until the sink's own completion comes back:
 *
 *     data ─► snmp-spool ─► influxdb batch
 *                 ▲   ▲          │ done()         → complete node (scoped to the sink) ─┐
 *                 │   └──────────┴ done(err)      → catch node (scoped to the sink) ────┤
 *                 └──────────────────────────────────────────────────────────────────────┘
 *
 * A message coming back carries the `msg.spool` tag this node put on it: without a
 * new msg.error it is an acknowledgement (released), with one a failure (sent again,
 * with backoff). Acknowledgements that do not come within the timeout count as
 * failures. The node calls neither `done` nor `send` for what comes back, so a
 * complete node left unscoped cannot make a loop. src/snmp-spool.ts only creates it.
 */
import { STATUS_CODES } from 'http';
import * as path from 'path';
import { PropertyError, duration, integer, decimal, oneOf } from '../common/properties';
import { Dispatcher } from '../spool/dispatcher';
import { SpoolError, SpoolStore, type FsyncPolicy } from '../spool/store';
import { CountedWarnings } from './counted-warnings';
import type { Msg, NodeFacade } from './node-facade';
import type { NodeBehaviour } from './start-node';
import { formatSeconds, statusThrottle, type StatusObject, type StatusThrottle } from './status';

/** The node's properties as the editor stores them. */
export interface SpoolProps {
  maxInFlight?: unknown;
  ackTimeout?: unknown;
  retryMax?: unknown;
  maxMessages?: unknown;
  maxSize?: unknown;
  fsync?: unknown;
}

export interface SpoolSettings {
  maxInFlight: number;
  ackTimeoutMs: number;
  retryMaxMs: number;
  maxMessages: number;
  /** maxSize in bytes (the property is in MB, 10^6 bytes). */
  maxBytes: number;
  fsync: FsyncPolicy;
}

/** The folder under the Node-RED user directory that holds every spool's own folder. */
export const SPOOL_FOLDER = 'snmp-spool';

/** The tag on a message this node sent, which comes back with its completion. */
export interface SpoolTag {
  node: string;
  seq: number;
  attempt: number;
}

/** Converts and checks the editor's properties once; throws a PropertyError naming the property. */
export function spoolSettings(p: SpoolProps): SpoolSettings {
  const seconds = (name: string, v: unknown, def: number, max: number): number => {
    const s = duration(name, v, def);
    if (s < 1 || s > max) throw new PropertyError(name, `${name} must be from 1 s to ${max} s`);
    return s;
  };
  return {
    maxInFlight: integer('maxInFlight', p.maxInFlight, 4, 1, 1000),
    ackTimeoutMs: seconds('ackTimeout', p.ackTimeout, 60, 86400) * 1000,
    retryMaxMs: seconds('retryMax', p.retryMax, 30, 3600) * 1000,
    maxMessages: integer('maxMessages', p.maxMessages, 100000, 1, 10_000_000),
    maxBytes: Math.round(decimal('maxSize', p.maxSize, 100, 0.1, 1_000_000) * 1e6),
    fsync: oneOf('fsync', p.fsync, ['message', 'second', 'never'] as const, 'second'),
  };
}

/** The folder of the spool node `id` under `userDir`. */
export function spoolFolder(userDir: string, id: string): string {
  // node ids are hex; anything else is made a plain name that cannot be '.' or '..'
  return path.join(userDir, SPOOL_FOLDER, id.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\./, '_') || '_');
}

/** The error of a message as a key: an acknowledgement with another error is a failure. */
function errorKey(msg: Msg): string {
  if (msg.error === undefined) return '';
  try {
    return JSON.stringify(msg.error) ?? '';
  } catch {
    return String(msg.error);
  }
}

/** The message's msg.statusCode as text ('' without). */
function statusKey(msg: Msg): string {
  return msg.statusCode === undefined || msg.statusCode === null ? '' : String(msg.statusCode);
}

/** 4xx answers about the message itself: the same message would meet them again. */
const REFUSALS = new Set([400, 413, 414, 415, 422]);

/**
 * What a status code the sink set on the message says (Node-RED's http request node
 * completes with the response's code, or with the error's code when the request failed):
 * 'ok' below 400; 'refused' for a 4xx about the message itself (400, 413, 414, 415, 422);
 * 'retry' for anything else, which may pass later or once the sink is set up: no HTTP code
 * at all, 5xx, 408, 429, and the 4xx about the sink or its credentials (401, 403, 404...),
 * which hold the queue as an outage does rather than drop what it holds.
 */
export function statusOutcome(code: string): 'ok' | 'retry' | 'refused' {
  if (!/^\d{3}$/.test(code)) return 'retry';
  const n = Number(code);
  if (n < 400) return 'ok';
  return REFUSALS.has(n) ? 'refused' : 'retry';
}

/**
 * The HTTP status of a failed write, '' when unknown: node-red-contrib-influxdb's
 * msg.influx_error.statusCode (1.x) or the statusCode of the client's HttpError it keeps as
 * msg.influx_error.errorMessage (2.x, whose text holds only InfluxDB's message), else the
 * status the error names in its text.
 */
export function failureStatus(msg: Msg): string {
  const influx = msg.influx_error as { statusCode?: unknown; errorMessage?: { statusCode?: unknown } } | undefined;
  for (const code of [influx?.statusCode, influx?.errorMessage?.statusCode]) {
    if (typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599) return String(code);
  }
  return statusInError(msg.error);
}

/**
 * The HTTP status a sink's error names in its text, '' when none: a status code followed by
 * its standard reason phrase ("A 400 Bad Request error occurred" from the InfluxDB 1.x node,
 * "HttpError: 400 Bad Request" from the 2.x client). A code without its phrase is not taken.
 */
export function statusInError(error: unknown): string {
  const text = error && typeof error === 'object' && 'message' in error ? String((error as { message: unknown }).message) : String(error ?? '');
  for (const m of text.slice(0, 1000).matchAll(/\b([1-5]\d\d) ([A-Z][A-Za-z' -]*)/g)) {
    const phrase = STATUS_CODES[m[1]];
    if (phrase !== undefined && m[2].startsWith(phrase)) return m[1];
  }
  return '';
}

/**
 * A failure's text for the log and status: short, one line, and without the path or
 * query of URLs (a webhook URL's path is its secret).
 */
export function failureText(err: unknown): string {
  const raw = err && typeof err === 'object' && 'message' in err ? String((err as { message: unknown }).message) : String(err ?? '');
  const text = raw
    .replace(/^Error: /, '')
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)(?:[^\s/@]*@)?([^\s/?#]+)[^\s]*/gi, '$1$2/…')
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim();
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function formatBytes(n: number): string {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
  return `${(n / 1e9).toFixed(1)} GB`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** How many dropped-while-in-flight messages are remembered for a late acknowledgement. */
const MAX_DROPPED_IN_FLIGHT = 1000;

export class SpoolNode implements NodeBehaviour {
  readonly store: SpoolStore;
  readonly dispatcher: Dispatcher;
  private readonly warnings: CountedWarnings;
  private readonly statusUpdates: StatusThrottle;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = 0;
  private readonly flushTimer: NodeJS.Timeout;
  private pumping = false;
  private closed = false;
  /** When the current run of failures began (undefined while delivering). */
  private failingSince: number | undefined;
  private lastFailure = '';
  private ackSeen = false;
  /** Messages dropped at the caps since the start (shown until the next deploy). */
  private droppedShown: number;
  private dropWarned = false;
  /**
   * Messages dropped at a cap while their delivery was under way, with the error key they
   * were sent with: a write that succeeds after all takes the drop back, so the count is
   * what was really lost. Bounded: an answer that never comes is forgotten in time.
   */
  private readonly droppedInFlight = new Map<number, string>();
  private writeFailure: string | undefined;
  /** Messages refused at the input (not JSON, too large, write failed), and late or foreign acknowledgements. */
  refused = 0;
  /** Messages released because the sink refused them for good (HTTP 400, 413, 414, 415 or 422: statusOutcome). */
  refusedBySink = 0;
  stale = 0;

  /**
   * @param folder the spool folder ({@link spoolFolder})
   * @param clock ms epoch, for ack deadlines and retry waits
   */
  constructor(
    private readonly facade: NodeFacade,
    private readonly settings: SpoolSettings,
    folder: string,
    private readonly clock: () => number = Date.now,
  ) {
    try {
      this.store = SpoolStore.open({ dir: folder, maxMessages: settings.maxMessages, maxBytes: settings.maxBytes, fsync: settings.fsync });
    } catch (err) {
      // the folder is part of the node's configuration as far as the user is concerned
      throw new PropertyError('spool folder', (err as Error).message);
    }
    this.dispatcher = new Dispatcher({ maxInFlight: settings.maxInFlight, ackTimeoutMs: settings.ackTimeoutMs, retryMaxMs: settings.retryMaxMs });
    this.warnings = new CountedWarnings((text) => facade.warn(text));
    this.statusUpdates = statusThrottle(() => this.currentStatus(), (s) => facade.status(s));
    this.droppedShown = this.store.dropped;
    const r = this.store.recovery;
    if (r.corrupt > 0) facade.warn(facade.t('warn.corrupt', { corrupt: count(r.corrupt), messages: count(r.messages) }));
    if (r.messages > 0) facade.log(facade.t('log.replay', { messages: count(r.messages), size: formatBytes(this.store.bytes) }));
    if (r.dropped > 0) {
      // the caps were lowered below what the folder held (already in store.dropped)
      this.dropWarned = true;
      facade.warn(facade.t('warn.full', { maxMessages: count(settings.maxMessages), maxSize: formatBytes(settings.maxBytes) }));
    }
    this.flushTimer = setInterval(() => this.tick(), 1000);
    this.statusUpdates.flush();
    // what a restart found goes out at once
    setImmediate(() => this.pump());
  }

  /** The Node-RED input handler. */
  input(msg: Msg, _send: (msgs: any) => void, done: (err?: Error) => void): void {
    if (this.closed) return done();
    const tag = msg.spool as Partial<SpoolTag> | undefined;
    if (tag && typeof tag === 'object' && tag.node === this.facade.id) {
      // a completion or a failure of what this node sent: never done(), see the header
      this.acknowledge(msg, tag);
      return;
    }
    const spooled = msg.spooled as { node?: unknown } | undefined;
    if (spooled && typeof spooled === 'object' && spooled.node === this.facade.id) {
      // this node's own done() came back through an unscoped complete or catch node
      this.warnings.note('echo', this.facade.t('warn.echo'));
      return;
    }
    let seq: number;
    try {
      const queued = this.store.append(msg);
      seq = queued.seq;
      if (queued.dropped.length > 0) this.noteDropped(queued.dropped.length, queued.dropped);
      this.writeFailure = undefined;
    } catch (err) {
      this.refused++;
      const code = err instanceof SpoolError ? err.code : 'io';
      const text = failureText(err);
      if (code === 'io') this.writeFailure = text;
      msg.spooled = { node: this.facade.id };
      this.statusUpdates.set(this.currentStatus());
      done(new Error(this.facade.t(`errors.${code === 'in-use' ? 'io' : code}`, { error: text })));
      return;
    }
    msg.spooled = { node: this.facade.id, seq };
    done();
    this.pump();
  }

  /** Stops the timers and closes the folder (deleted when the node was removed with nothing queued). */
  async close(removed = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.flushTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.statusUpdates.cancel();
    this.warnings.report((n, text) => this.facade.t('warn.repeated', { count: n, warning: text }));
    try {
      this.store.close();
      if (removed) {
        if (!this.store.removeIfEmpty()) this.facade.warn(this.facade.t('warn.kept', { messages: count(this.store.count), folder: this.store.dir }));
      }
    } catch (err) {
      this.facade.warn(this.facade.t('warn.close', { error: failureText(err) }));
    }
    this.facade.status({});
  }

  private acknowledge(msg: Msg, tag: Partial<SpoolTag>): void {
    const seq = Number(tag.seq);
    const attempt = Number(tag.attempt);
    const flight = this.dispatcher.flight(seq);
    let sentKey = flight?.errorKey;
    let sentStatus = flight?.statusKey ?? '';
    if (sentKey === undefined && this.store.has(seq)) {
      // a late answer to an earlier attempt: compare with the message as stored
      try {
        const stored = this.store.read(seq);
        sentKey = errorKey(stored);
        sentStatus = statusKey(stored);
      } catch {
        sentKey = undefined;
      }
    }
    if (sentKey === undefined) {
      const dropped = this.droppedInFlight.get(seq);
      if (dropped !== undefined) {
        this.droppedInFlight.delete(seq);
        if (errorKey(msg) === dropped) {
          // dropped at the cap while on its way, and written after all
          this.store.undrop();
          this.droppedShown = Math.max(0, this.droppedShown - 1);
          this.statusUpdates.request();
        }
        return;
      }
      // already released or dropped, or from before the folder was emptied
      this.stale++;
      return;
    }
    const now = this.clock();
    if (this.dispatcher.hasFailed(seq, attempt)) {
      // the sink's completion after it reported this attempt failed (http request does both)
      this.stale++;
      return;
    }
    const newError = errorKey(msg) !== sentKey;
    let status: string;
    let outcome: 'ok' | 'retry' | 'refused';
    if (newError) {
      // a failure: sent again unless its HTTP answer (set on the message by http request,
      // beside the error by the InfluxDB nodes, or named in its text) refuses the message itself
      status = statusKey(msg) !== sentStatus ? statusKey(msg) : failureStatus(msg);
      outcome = statusOutcome(status) === 'refused' ? 'refused' : 'retry';
    } else {
      status = statusKey(msg);
      outcome = status === sentStatus ? 'ok' : statusOutcome(status);
    }
    if (outcome === 'retry') {
      const text = newError ? failureText(msg.error) : this.facade.t('warn.status', { status: failureText(status) });
      if (this.dispatcher.failed(seq, attempt, now)) this.noteFailure(text, now);
      else this.stale++;
    } else {
      if (outcome === 'refused') {
        // released, as sending it again would meet the same answer; counted and said
        this.refusedBySink++;
        this.warnings.note('refused', newError
          ? this.facade.t('warn.refused-error', { status, error: failureText(msg.error) })
          : this.facade.t('warn.refused', { status }));
      }
      this.store.ack(seq);
      this.dispatcher.acked(seq);
      this.ackSeen = true;
      this.noteDelivered(now);
    }
    this.pump();
  }

  /** Sends what may go now, oldest first, and sets the timer for what is due next. */
  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    const now = this.clock();
    try {
      const room = this.dispatcher.room(now);
      for (const seq of this.store.oldest(room, (s) => this.dispatcher.isInFlight(s))) {
        let out: Msg;
        try {
          out = this.store.read(seq);
        } catch (err) {
          this.store.discard(seq);
          this.noteDropped(1);
          this.warnings.note('unreadable', this.facade.t('warn.unreadable', { error: failureText(err) }));
          continue;
        }
        const attempt = this.dispatcher.sent(seq, now, errorKey(out), statusKey(out));
        out.spool = { node: this.facade.id, seq, attempt } satisfies SpoolTag;
        this.facade.send(out);
      }
    } finally {
      this.pumping = false;
    }
    this.schedule(now);
    this.statusUpdates.request();
  }

  private schedule(now: number): void {
    const at = this.dispatcher.nextWake(now);
    if (at === undefined) return;
    if (this.wakeTimer && this.wakeAt <= at) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wake();
    }, Math.max(0, at - now) + 5);
  }

  /** Runs from a timer: an exception here would end the process. */
  private wake(): void {
    if (this.closed) return;
    try {
      const now = this.clock();
      const overdue = this.dispatcher.expire(now);
      if (overdue.length > 0) {
        if (!this.ackSeen) this.warnings.note('no-ack', this.facade.t('warn.no-ack', { seconds: this.settings.ackTimeoutMs / 1000 }));
        this.noteFailure(this.facade.t('errors.ack-timeout', { seconds: this.settings.ackTimeoutMs / 1000 }), now);
      }
      this.pump();
    } catch (err) {
      this.warnings.note('internal', this.facade.t('warn.internal', { error: failureText(err) }));
    }
  }

  /** Once a second: sync the folder (fsync policy 'second') and count down a retry in the status. */
  private tick(): void {
    try {
      this.store.flush();
    } catch (err) {
      this.warnings.note('internal', this.facade.t('warn.internal', { error: failureText(err) }));
    }
    if (this.dispatcher.retryTime !== undefined) this.statusUpdates.request();
  }

  private noteFailure(text: string, now: number): void {
    this.lastFailure = text;
    if (this.failingSince === undefined) {
      this.failingSince = now;
      this.facade.warn(this.facade.t('warn.failing', { error: text, queued: count(this.store.count) }));
    }
    this.statusUpdates.request();
  }

  private noteDelivered(now: number): void {
    if (this.failingSince !== undefined) {
      this.facade.log(this.facade.t('log.resumed', { after: formatSeconds(now - this.failingSince), queued: count(this.store.count) }));
      this.failingSince = undefined;
    }
    if (this.store.count === 0 && this.store.dropped > 0) {
      // the outage that filled the spool is over: its loss is reported once, in full
      this.facade.warn(this.facade.t('warn.lost', { dropped: count(this.store.dropped) }));
      this.store.clearDropped();
      this.dropWarned = false;
    }
  }

  private noteDropped(n: number, seqs: number[] = []): void {
    this.droppedShown += n;
    for (const seq of seqs) {
      const flight = this.dispatcher.flight(seq);
      if (!flight) continue;
      this.droppedInFlight.set(seq, flight.errorKey);
      if (this.droppedInFlight.size > MAX_DROPPED_IN_FLIGHT) this.droppedInFlight.delete(this.droppedInFlight.keys().next().value as number);
    }
    this.dispatcher.forget((seq) => this.store.has(seq));
    if (!this.dropWarned) {
      this.dropWarned = true;
      this.facade.warn(this.facade.t('warn.full', { maxMessages: count(this.settings.maxMessages), maxSize: formatBytes(this.settings.maxBytes) }));
    }
    this.statusUpdates.request();
  }

  private currentStatus(): StatusObject {
    const t = this.facade.t;
    const queued = count(this.store.count);
    const size = formatBytes(this.store.diskBytes);
    if (this.writeFailure !== undefined) {
      return { fill: 'red', shape: 'ring', text: t('status.write-failed', { error: this.writeFailure.slice(0, 60), queued }) };
    }
    const retryAt = this.dispatcher.retryTime;
    const retry = retryAt === undefined ? '' : formatSeconds(Math.max(0, retryAt - this.clock()));
    if (this.store.dropped > 0 && this.store.count > 0) {
      // losing messages now: the spool is at its cap while the sink fails
      return { fill: 'red', shape: 'ring', text: t('status.dropping', { dropped: count(this.droppedShown), queued, size }) };
    }
    if (retryAt !== undefined) {
      return { fill: 'yellow', shape: 'ring', text: t('status.retrying', { retry, queued, size }) };
    }
    if (this.droppedShown > 0) return { fill: 'yellow', shape: 'dot', text: t('status.dropped', { dropped: count(this.droppedShown), queued }) };
    if (this.refusedBySink > 0) return { fill: 'yellow', shape: 'dot', text: t('status.refused', { refused: count(this.refusedBySink), queued }) };
    return { fill: 'green', shape: 'dot', text: t('status.queued', { queued }) };
  }

  /** The last failure's text (for tests and the status tooltip). */
  get failure(): string {
    return this.lastFailure;
  }
}
