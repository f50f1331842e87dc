/**
 * When the spool sends what: at most `maxInFlight` messages awaiting their
 * acknowledgement; after a failure (a nack or an acknowledgement that did not come in
 * time) one message at a time, after a wait that doubles from `retryMinMs` up to
 * `retryMaxMs`, until one is acknowledged again — so a sink that is down gets one probe
 * per wait instead of the whole queue, and a sink that is back gets the queue at once.
 * Pure state on a clock the caller passes in; the store keeps the messages.
 */

export interface DispatchOptions {
  maxInFlight: number;
  ackTimeoutMs: number;
  retryMaxMs: number;
  /** The first wait after a failure (default 1 s). */
  retryMinMs?: number;
}

interface Flight {
  since: number;
  attempt: number;
  /** The message's own msg.error when it was sent, as JSON ('' without). */
  errorKey: string;
  /** The message's own msg.statusCode when it was sent, as text ('' without). */
  statusKey: string;
}

export class Dispatcher {
  private readonly inFlight = new Map<number, Flight>();
  /** Attempts made per message, kept until it is released (for msg.spool.attempt). */
  private readonly attempts = new Map<number, number>();
  /** The attempts per message that the sink reported failed, kept until it is released. */
  private readonly failedAttempts = new Map<number, number[]>();
  private failuresInARow = 0;
  private retryAt = 0;
  private readonly retryMinMs: number;
  /** Totals since the start. */
  acks = 0;
  nacks = 0;
  timeouts = 0;

  constructor(private readonly opts: DispatchOptions) {
    this.retryMinMs = Math.min(opts.retryMinMs ?? 1000, opts.retryMaxMs);
  }

  /** Failures since the last acknowledgement (0: delivering normally). */
  get failures(): number {
    return this.failuresInARow;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** When the next attempt is allowed (ms epoch), while failing. */
  get retryTime(): number | undefined {
    return this.failuresInARow > 0 ? this.retryAt : undefined;
  }

  isInFlight(seq: number): boolean {
    return this.inFlight.has(seq);
  }

  /** How many more messages may be sent now. */
  room(now: number): number {
    if (now < this.retryAt) return 0;
    const capacity = this.failuresInARow > 0 ? 1 : this.opts.maxInFlight;
    return Math.max(0, capacity - this.inFlight.size);
  }

  /** Records a send; returns its attempt number (1 for the first). */
  sent(seq: number, now: number, errorKey: string, statusKey = ''): number {
    const attempt = (this.attempts.get(seq) ?? 0) + 1;
    this.attempts.set(seq, attempt);
    this.inFlight.set(seq, { since: now, attempt, errorKey, statusKey });
    return attempt;
  }

  /** The send awaiting its acknowledgement, if `seq` is in flight. */
  flight(seq: number): Readonly<Flight> | undefined {
    return this.inFlight.get(seq);
  }

  /**
   * An acknowledgement: the message is delivered, whichever attempt it answers (a late
   * one still proves the write happened). Returns whether `seq` was in flight.
   */
  acked(seq: number): boolean {
    const was = this.inFlight.delete(seq);
    this.attempts.delete(seq);
    this.failedAttempts.delete(seq);
    this.acks++;
    this.failuresInARow = 0;
    this.retryAt = 0;
    return was;
  }

  /**
   * A failure of attempt `attempt` of `seq`. Only the attempt in flight counts: the
   * failure of an earlier attempt, arriving late, says nothing new. Returns whether it
   * counted.
   */
  failed(seq: number, attempt: number, now: number): boolean {
    const f = this.inFlight.get(seq);
    if (!f || f.attempt !== attempt) return false;
    this.inFlight.delete(seq);
    const failed = this.failedAttempts.get(seq);
    if (failed) failed.push(attempt);
    else this.failedAttempts.set(seq, [attempt]);
    this.nacks++;
    this.backOff(now);
    return true;
  }

  /**
   * Whether the sink reported attempt `attempt` of `seq` failed. Its completion may follow
   * the failure (Node-RED's http request node reports an error to Catch and then calls
   * done()): that completion is not an acknowledgement.
   */
  hasFailed(seq: number, attempt: number): boolean {
    return this.failedAttempts.get(seq)?.includes(attempt) ?? false;
  }

  /** Sends whose acknowledgement is overdue become failures; returns their numbers. */
  expire(now: number): number[] {
    const overdue: number[] = [];
    for (const [seq, f] of this.inFlight) {
      if (now - f.since >= this.opts.ackTimeoutMs) overdue.push(seq);
    }
    for (const seq of overdue) {
      this.inFlight.delete(seq);
      this.timeouts++;
    }
    if (overdue.length > 0) this.backOff(now);
    return overdue;
  }

  /** Forgets messages no longer queued (dropped while in flight). */
  forget(isQueued: (seq: number) => boolean): void {
    for (const seq of [...this.inFlight.keys()]) if (!isQueued(seq)) this.inFlight.delete(seq);
    if (this.attempts.size > this.inFlight.size) {
      for (const seq of [...this.attempts.keys()]) if (!isQueued(seq)) this.attempts.delete(seq);
    }
    for (const seq of [...this.failedAttempts.keys()]) if (!isQueued(seq)) this.failedAttempts.delete(seq);
  }

  /** When something is next due: the retry time or the earliest acknowledgement deadline. */
  nextWake(now: number): number | undefined {
    let at: number | undefined;
    if (this.failuresInARow > 0 && this.retryAt > now) at = this.retryAt;
    for (const f of this.inFlight.values()) {
      const deadline = f.since + this.opts.ackTimeoutMs;
      if (at === undefined || deadline < at) at = deadline;
    }
    return at;
  }

  private backOff(now: number): void {
    this.failuresInARow++;
    const wait = Math.min(this.opts.retryMaxMs, this.retryMinMs * 2 ** Math.min(this.failuresInARow - 1, 30));
    this.retryAt = now + wait;
  }
}
