/**
 * Per-source limits that keep a flood or a scan from owning the receiver: a token
 * bucket per source address, and a limiter of the rejection reports a node sends down
 * its second output.
 */

/** Bound on distinct sources tracked; beyond it new sources share one bucket. */
const MAX_SOURCES = 65_536;
const OVERFLOW_KEY = '*';

export type RateDecision = 'ok' | 'first-drop' | 'drop';

interface Bucket {
  tokens: number;
  /** ms of the last refill. */
  at: number;
  /** Datagrams cut from this source since it was first tracked. */
  cut: number;
  /** True while the source is over its rate (the next cut is not the first of a flood). */
  dropping: boolean;
}

/** What was cut from one source. */
export interface SourceCut {
  source: string;
  cut: number;
}

/**
 * A token bucket per source: `burst` datagrams at once, then `rate` a second. A router
 * that sends 2,000 traps after a link flap and then goes quiet loses none; a source
 * that floods is held to the rate. (A fixed one-second window cut such a burst at the
 * limit.) Each datagram costs one Map lookup and a little arithmetic.
 *
 * Memory stays bounded under spoofed floods from many addresses: when the table is
 * full, buckets that have refilled (idle sources, which a fresh bucket would treat the
 * same) are swept, at most once per refill time; if none can go, new sources share one
 * overflow bucket.
 */
export class SourceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private sweptAt = -Infinity;
  private cutTotal = 0;
  private top: { source: string; cut: number } | undefined;

  /**
   * @param rate datagrams per source per second; 0 = no limit
   * @param burst datagrams a source may send at once (at least 1; default the rate)
   */
  constructor(readonly rate: number, readonly burst: number = rate, private readonly now: () => number = Date.now) {
    this.burst = Math.max(1, burst);
  }

  /** 'first-drop' marks the first datagram cut after the source was within its rate (worth one report). */
  take(source: string, now: number = this.now()): RateDecision {
    if (this.rate <= 0) return 'ok';
    let b = this.buckets.get(source);
    if (b === undefined) {
      if (this.buckets.size >= MAX_SOURCES) {
        this.sweep(now);
        if (this.buckets.size >= MAX_SOURCES) source = OVERFLOW_KEY;
        b = this.buckets.get(source);
      }
      if (b === undefined) {
        b = { tokens: this.burst, at: now, cut: 0, dropping: false };
        this.buckets.set(source, b);
      }
    }
    if (now > b.at) {
      const tokens = b.tokens + ((now - b.at) * this.rate) / 1000;
      b.tokens = tokens > this.burst ? this.burst : tokens;
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.dropping = false;
      return 'ok';
    }
    b.cut++;
    this.cutTotal++;
    if (this.top === undefined || (b.cut > this.top.cut && this.top.source !== source)) this.top = { source, cut: b.cut };
    else if (this.top.source === source) this.top.cut = b.cut;
    if (b.dropping) return 'drop';
    b.dropping = true;
    return 'first-drop';
  }

  /** Datagrams cut in all. */
  get cut(): number {
    return this.cutTotal;
  }

  /** The source cut most (undefined before any cut). */
  get mostCut(): SourceCut | undefined {
    return this.top && { source: this.top.source, cut: this.top.cut };
  }

  /** Sources tracked now, and how many of them have had datagrams cut. */
  get sources(): number {
    return this.buckets.size;
  }

  /** The sources cut most, most first (at most `limit`); '*' stands for the overflow bucket. */
  cutBySource(limit = 10): SourceCut[] {
    const out: SourceCut[] = [];
    for (const [source, b] of this.buckets) if (b.cut > 0) out.push({ source, cut: b.cut });
    out.sort((a, b) => b.cut - a.cut || (a.source < b.source ? -1 : 1));
    return out.slice(0, limit);
  }

  /** Drops the buckets of idle sources (full again); at most once per refill time. */
  private sweep(now: number): void {
    const refillMs = (this.burst / this.rate) * 1000;
    if (now - this.sweptAt < refillMs) return;
    this.sweptAt = now;
    for (const [source, b] of this.buckets) {
      if (source === OVERFLOW_KEY) continue;
      if (b.tokens + ((now - b.at) * this.rate) / 1000 >= this.burst) this.buckets.delete(source);
    }
  }
}

/**
 * Rejection reports per source: at most `burst` per `windowMs`, and at most `total`
 * per window over all sources (a flood from spoofed addresses is many sources). The
 * number held back since the last report of a source travels with its next report.
 */
export class ReportLimiter {
  private window = -1;
  private counts = new Map<string, number>();
  private held = new Map<string, number>();
  private admitted = 0;

  constructor(
    private readonly burst = 10,
    private readonly windowMs = 10_000,
    private readonly total = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** undefined when the report is held back; else the count held back before it. */
  admit(source: string): number | undefined {
    const w = Math.floor(this.now() / this.windowMs);
    if (w !== this.window) {
      this.window = w;
      this.counts = new Map();
      this.admitted = 0;
      if (this.held.size >= MAX_SOURCES) this.held = new Map();
    }
    const n = this.counts.get(source) ?? (this.counts.size >= MAX_SOURCES ? this.burst : 0);
    if (n >= this.burst || this.admitted >= this.total) {
      if (this.held.size < MAX_SOURCES || this.held.has(source)) this.held.set(source, (this.held.get(source) ?? 0) + 1);
      return undefined;
    }
    this.counts.set(source, n + 1);
    this.admitted++;
    const before = this.held.get(source) ?? 0;
    if (before) this.held.delete(source);
    return before;
  }
}
