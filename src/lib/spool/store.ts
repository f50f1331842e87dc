/**
 * The spool's queue on disk: messages kept in append-only segment files until their
 * delivery is acknowledged, read back on a restart.
 *
 * A folder holds, per segment, a data file and an acknowledgement file:
 *
 *     seg-0000000000000001.log   "<seq> <crc32 hex> <message JSON>\n" per message
 *     seg-0000000000000001.ack   "a<seq>\n" (delivered) or "d<seq>\n" (dropped) per message
 *     spool.json                 { format, nextSeq, dropped }, replaced atomically
 *
 * Nothing is rewritten in place: a message is one write at the end of the current data
 * file, its acknowledgement one write at the end of its segment's ack file, and a segment
 * whose messages are all acknowledged is deleted. JSON text never holds a raw newline,
 * so a line is a record; a line without its newline (torn by a crash) or whose CRC does
 * not match is skipped and counted on replay, never delivered.
 *
 * Durability: every write reaches the operating system before append() returns, so a
 * crash of Node-RED (even SIGKILL) loses nothing. Against a crash of the machine, the
 * `fsync` policy decides: 'message' syncs each message before append() returns, 'second'
 * syncs what was written once a second (flush()), 'never' leaves it to the OS. A lost
 * acknowledgement only means the message is delivered again.
 *
 * Caps: at most `maxMessages` messages and `maxBytes` of files. Past either the oldest
 * messages are dropped and counted: one by one for the message cap, a whole segment (the
 * oldest, about an eighth of the byte cap) for the byte cap, since only deleting a file
 * gives its bytes back.
 */
import * as fs from 'fs';
import * as path from 'path';
import { crc32 } from './crc32';

export type FsyncPolicy = 'message' | 'second' | 'never';

export interface SpoolStoreOptions {
  /** The folder (created when missing); one store per folder at a time. */
  dir: string;
  maxMessages: number;
  maxBytes: number;
  fsync: FsyncPolicy;
  /** Size past which a new segment is begun; default an eighth of maxBytes, 16 KiB to 16 MiB. */
  segmentBytes?: number;
}

export type SpoolErrorCode = 'too-large' | 'not-json' | 'io' | 'in-use';

/** Why a message could not be queued, or the folder not opened. */
export class SpoolError extends Error {
  constructor(readonly code: SpoolErrorCode, message: string) {
    super(message);
    this.name = 'SpoolError';
  }
}

/** What the replay of a folder found. */
export interface RecoveryReport {
  /** Messages still to deliver. */
  messages: number;
  /** Segment files read. */
  segments: number;
  /** Records skipped: CRC mismatch, bad header, or a last line without its newline. */
  corrupt: number;
  /** Messages dropped at once because the folder held more than the caps. */
  dropped: number;
}

interface Segment {
  /** The first sequence number it may hold; also its file name. */
  readonly id: number;
  readonly dataPath: string;
  readonly ackPath: string;
  /** Bytes of the data and ack files. */
  size: number;
  ackSize: number;
  /** Messages not yet acknowledged or dropped. */
  live: number;
  fd?: number;
  ackFd?: number;
  dirty: boolean;
  ackDirty: boolean;
}

interface Entry {
  readonly seg: Segment;
  /** Where the message JSON starts in the data file, and its length in bytes. */
  readonly offset: number;
  readonly length: number;
  /** The whole record's bytes (header, JSON and newline). */
  readonly bytes: number;
}

const META = 'spool.json';
const SEGMENT_FILE = /^seg-(\d{16})\.(log|ack)$/;
const RECORD_HEADER = /^(\d{1,16}) ([0-9a-f]{8}) $/;
const ACK_LINE = /^([ad])(\d{1,16})$/;
const MIN_SEGMENT = 16 * 1024;
const MAX_SEGMENT = 16 * 1024 * 1024;
const NEWLINE = 0x0a;

/** Folders open in this process: two stores on one folder would corrupt each other. */
const openDirs = new Set<string>();

function segmentName(id: number, ext: 'log' | 'ack'): string {
  return `seg-${String(id).padStart(16, '0')}.${ext}`;
}

/**
 * Creates `dir` and its parents. The folder itself is made without `recursive`: Node's
 * recursive mkdir never returns when the last step fails with ENOENT under a parent that
 * exists (a spool folder whose parent links into /proc held Node-RED at 100 % CPU at deploy).
 */
function makeFolder(dir: string): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * Buffers written out as `{type: 'Buffer', data: [...]}` (Buffer.toJSON) come back as
 * Buffers, as they went in.
 */
function reviveBuffers(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
    const v = value as { type: string; data?: unknown };
    if (Array.isArray(v.data) && Object.keys(v).length === 2) return Buffer.from(v.data as number[]);
  }
  return value;
}

function writeAll(fd: number, buf: Buffer): void {
  let done = 0;
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done);
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on a directory; the files themselves are synced
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export class SpoolStore {
  readonly dir: string;
  readonly segmentBytes: number;
  /** What opening the folder found. */
  readonly recovery: RecoveryReport;
  private readonly segments: Segment[] = [];
  private readonly entries = new Map<number, Entry>();
  private active: Segment | undefined;
  private nextSeq = 1;
  private liveBytes = 0;
  private filesBytes = 0;
  private droppedCount = 0;
  private metaDirty = false;
  private dirDirty = false;
  private ackWriteFailures = 0;
  private closed = false;

  private constructor(private readonly opts: SpoolStoreOptions) {
    this.dir = path.resolve(opts.dir);
    this.segmentBytes = opts.segmentBytes ?? Math.max(MIN_SEGMENT, Math.min(MAX_SEGMENT, Math.floor(opts.maxBytes / 8)));
    this.recovery = { messages: 0, segments: 0, corrupt: 0, dropped: 0 };
  }

  /**
   * Opens (or creates) the folder and replays it: every message without an
   * acknowledgement is queued again, in its original order.
   */
  static open(opts: SpoolStoreOptions): SpoolStore {
    const store = new SpoolStore(opts);
    if (openDirs.has(store.dir)) throw new SpoolError('in-use', `the folder ${store.dir} is already used by another spool`);
    try {
      makeFolder(store.dir);
      store.replay();
    } catch (err) {
      store.closeFiles();
      if (err instanceof SpoolError) throw err;
      throw new SpoolError('io', `cannot open ${store.dir}: ${(err as Error).message}`);
    }
    openDirs.add(store.dir);
    return store;
  }

  /** Messages queued (in flight included). */
  get count(): number {
    return this.entries.size;
  }

  /** Bytes of the queued messages' records. */
  get bytes(): number {
    return this.liveBytes;
  }

  /** Bytes of the folder's segment files, the figure held under maxBytes. */
  get diskBytes(): number {
    return this.filesBytes;
  }

  /** Messages dropped to stay under the caps since clearDropped() (kept across restarts). */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Acknowledgements that could not be written (the message would be delivered again after a restart). */
  get ackFailures(): number {
    return this.ackWriteFailures;
  }

  /**
   * Takes back `n` drops: a message dropped while its delivery was under way was
   * delivered after all (its acknowledgement came late).
   */
  undrop(n = 1): void {
    const taken = Math.min(n, this.droppedCount);
    if (taken <= 0) return;
    this.droppedCount -= taken;
    this.metaDirty = true;
  }

  /** Starts a new count of drops (the red layer does it once an outage is over and reported). */
  clearDropped(): void {
    if (this.droppedCount === 0) return;
    this.droppedCount = 0;
    this.metaDirty = true;
  }

  has(seq: number): boolean {
    return this.entries.has(seq);
  }

  /**
   * Writes `msg` at the end of the queue, dropping the oldest messages first when a cap
   * would be passed. Returns its sequence number and the sequence numbers dropped for it.
   * Throws a SpoolError when the message cannot be JSON or is larger than a quarter of
   * maxBytes, or when the write fails (nothing is queued then).
   */
  append(msg: unknown): { seq: number; dropped: number[] } {
    this.assertOpen();
    let json: string | undefined;
    try {
      json = JSON.stringify(msg);
    } catch (err) {
      throw new SpoolError('not-json', `the message cannot be stored as JSON: ${(err as Error).message}`);
    }
    if (typeof json !== 'string') throw new SpoolError('not-json', 'the message cannot be stored as JSON');
    const seq = this.nextSeq;
    const body = Buffer.from(json, 'utf8');
    const head = Buffer.from(`${seq} ${crc32(body).toString(16).padStart(8, '0')} `, 'latin1');
    const bytes = head.length + body.length + 1;
    if (bytes > this.opts.maxBytes / 4) {
      throw new SpoolError('too-large', `the message takes ${bytes} bytes, more than a quarter of the spool's size cap (${this.opts.maxBytes} bytes)`);
    }
    const dropped: number[] = [];
    this.makeRoom(bytes, dropped);
    if (this.active && this.active.size > 0 && this.active.size + bytes > this.segmentBytes) this.roll();
    let seg: Segment;
    try {
      seg = this.active ?? this.begin(seq);
    } catch (err) {
      throw new SpoolError('io', `cannot create a segment file in ${this.dir}: ${(err as Error).message}`);
    }
    const record = Buffer.concat([head, body, Buffer.from([NEWLINE])]);
    const offset = seg.size;
    try {
      writeAll(this.dataFd(seg), record);
      if (this.opts.fsync === 'message') {
        fs.fdatasyncSync(this.dataFd(seg));
        if (this.dirDirty) this.syncFolder();
      } else {
        seg.dirty = true;
      }
    } catch (err) {
      // A partial record may sit at the end of the file: later records go to a new
      // segment so that replay can skip it without losing them.
      this.refreshSize(seg);
      this.roll();
      throw new SpoolError('io', `cannot write to ${seg.dataPath}: ${(err as Error).message}`);
    }
    this.nextSeq = seq + 1;
    seg.size += record.length;
    seg.live++;
    this.filesBytes += record.length;
    this.liveBytes += bytes;
    this.entries.set(seq, { seg, offset: offset + head.length, length: body.length, bytes });
    return { seq, dropped };
  }

  /** The message queued as `seq`, read back from its file (a fresh object each time). */
  read(seq: number): Record<string, any> {
    this.assertOpen();
    const e = this.entries.get(seq);
    if (!e) throw new SpoolError('io', `message ${seq} is not queued`);
    const buf = Buffer.allocUnsafe(e.length);
    let got = 0;
    const fd = this.dataFd(e.seg);
    while (got < e.length) {
      const n = fs.readSync(fd, buf, got, e.length - got, e.offset + got);
      if (n === 0) throw new SpoolError('io', `message ${seq} is cut short in ${e.seg.dataPath}`);
      got += n;
    }
    return JSON.parse(buf.toString('utf8'), reviveBuffers);
  }

  /**
   * Up to `limit` queued sequence numbers, oldest first, skipping those `skip` names
   * (the ones in flight).
   */
  oldest(limit: number, skip: (seq: number) => boolean = () => false): number[] {
    const out: number[] = [];
    if (limit <= 0) return out;
    for (const seq of this.entries.keys()) {
      if (skip(seq)) continue;
      out.push(seq);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Releases a delivered message; false when it was not queued (already released or dropped). */
  ack(seq: number): boolean {
    return this.release(seq, 'a');
  }

  /** Drops a queued message on purpose (it cannot be read back); counted as dropped. */
  discard(seq: number): boolean {
    const released = this.release(seq, 'd');
    if (released) {
      this.droppedCount++;
      this.metaDirty = true;
    }
    return released;
  }

  /**
   * The once-a-second duty: syncs what was written since (policy 'second'), and writes
   * spool.json when its figures changed.
   */
  flush(): void {
    if (this.closed) return;
    if (this.opts.fsync === 'second') {
      for (const seg of this.segments) {
        try {
          if (seg.dirty && seg.fd !== undefined) fs.fdatasyncSync(seg.fd);
          if (seg.ackDirty && seg.ackFd !== undefined) fs.fdatasyncSync(seg.ackFd);
        } catch {
          // reported by the next write to the same file
        }
        seg.dirty = false;
        seg.ackDirty = false;
      }
      if (this.dirDirty) this.syncFolder();
    }
    if (this.metaDirty) this.writeMeta();
  }

  /**
   * Syncs, writes spool.json and closes every file. When nothing is queued the segment
   * files are deleted (the folder stays, with spool.json keeping the sequence numbers
   * going up), so an idle spool leaves one small file.
   */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
      if (this.entries.size === 0) {
        for (const seg of [...this.segments]) this.deleteSegment(seg);
        this.active = undefined;
      }
      this.writeMeta();
      if (this.opts.fsync !== 'never') this.syncFolder();
    } finally {
      this.closed = true;
      this.closeFiles();
      openDirs.delete(this.dir);
    }
  }

  /**
   * Lets go of the folder without writing anything more, as a crash would: what a test
   * of replay needs, and a last resort when close() itself fails.
   */
  abandon(): void {
    this.closed = true;
    this.closeFiles();
    openDirs.delete(this.dir);
  }

  /** Removes the folder after close(), when nothing was left queued in it. */
  removeIfEmpty(): boolean {
    if (!this.closed || this.entries.size > 0) return false;
    fs.rmSync(this.dir, { recursive: true, force: true });
    return true;
  }

  private assertOpen(): void {
    if (this.closed) throw new SpoolError('io', 'the spool is closed');
  }

  private replay(): void {
    let meta: { nextSeq?: unknown; dropped?: unknown } = {};
    try {
      meta = JSON.parse(fs.readFileSync(path.join(this.dir, META), 'utf8'));
    } catch {
      // a new folder, or a meta file lost in a crash: the segments say enough
    }
    const files = fs.readdirSync(this.dir);
    const ids = new Set<number>();
    for (const f of files) {
      const m = SEGMENT_FILE.exec(f);
      if (m) ids.add(Number(m[1]));
    }
    let maxSeq = 0;
    for (const id of [...ids].sort((a, b) => a - b)) {
      const seg = this.segment(id);
      if (!fs.existsSync(seg.dataPath)) {
        // an ack file whose data file is gone: a delete cut short by a crash
        fs.rmSync(seg.ackPath, { force: true });
        continue;
      }
      this.recovery.segments++;
      const resolved = this.readAcks(seg);
      const data = fs.readFileSync(seg.dataPath);
      seg.size = data.length;
      let start = 0;
      while (start < data.length) {
        const nl = data.indexOf(NEWLINE, start);
        if (nl < 0) {
          this.recovery.corrupt++;
          break;
        }
        const record = this.parseRecord(data, start, nl);
        if (record) {
          maxSeq = Math.max(maxSeq, record.seq);
          if (!resolved.has(record.seq) && !this.entries.has(record.seq)) {
            const bytes = nl + 1 - start;
            this.entries.set(record.seq, { seg, offset: record.offset, length: nl - record.offset, bytes });
            seg.live++;
            this.liveBytes += bytes;
          }
        } else {
          this.recovery.corrupt++;
        }
        start = nl + 1;
      }
      this.segments.push(seg);
      this.filesBytes += seg.size + seg.ackSize;
      if (seg.live === 0) this.deleteSegment(seg);
    }
    const metaNext = Number(meta.nextSeq);
    this.nextSeq = Math.max(maxSeq + 1, Number.isSafeInteger(metaNext) && metaNext > 0 ? metaNext : 1);
    const metaDropped = Number(meta.dropped);
    this.droppedCount = Number.isSafeInteger(metaDropped) && metaDropped > 0 ? metaDropped : 0;
    // A replay never appends to an old data file (its last line may be torn): new
    // messages begin a new segment.
    this.active = undefined;
    this.recovery.messages = this.entries.size;
    // Caps lowered since the messages were written: keep the newest that fit.
    const before = this.droppedCount;
    this.makeRoom(0);
    this.recovery.dropped = this.droppedCount - before;
    this.recovery.messages = this.entries.size;
    // Sequence numbers never go back, even if every segment is gone before the next
    // clean close: an acknowledgement still travelling from before a restart must not
    // release a newer message.
    if (metaNext !== this.nextSeq || this.recovery.dropped > 0) this.writeMeta();
  }

  private parseRecord(data: Buffer, start: number, nl: number): { seq: number; offset: number } | undefined {
    // header: up to 16 digits, a space, 8 hex digits, a space
    const sp1 = data.indexOf(0x20, start);
    if (sp1 < 0 || sp1 > nl || sp1 - start > 16) return undefined;
    const offset = sp1 + 10;
    if (offset > nl) return undefined;
    const m = RECORD_HEADER.exec(data.toString('latin1', start, offset));
    if (!m) return undefined;
    const seq = Number(m[1]);
    if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
    if (crc32(data.subarray(offset, nl)) !== Number.parseInt(m[2], 16)) return undefined;
    return { seq, offset };
  }

  private readAcks(seg: Segment): Set<number> {
    const resolved = new Set<number>();
    let text = '';
    try {
      text = fs.readFileSync(seg.ackPath, 'latin1');
    } catch {
      return resolved;
    }
    seg.ackSize = Buffer.byteLength(text, 'latin1');
    const lines = text.split('\n');
    // the part after the last newline is a torn write: ignored, and ended so the next
    // acknowledgement starts on a line of its own
    const torn = lines.pop() ?? '';
    for (const line of lines) {
      const m = ACK_LINE.exec(line);
      if (m) resolved.add(Number(m[2]));
    }
    if (torn !== '') {
      fs.appendFileSync(seg.ackPath, '\n');
      seg.ackSize++;
    }
    return resolved;
  }

  private segment(id: number): Segment {
    return {
      id,
      dataPath: path.join(this.dir, segmentName(id, 'log')),
      ackPath: path.join(this.dir, segmentName(id, 'ack')),
      size: 0,
      ackSize: 0,
      live: 0,
      dirty: false,
      ackDirty: false,
    };
  }

  /** Begins the segment whose first message is `seq`. */
  private begin(seq: number): Segment {
    const seg = this.segment(seq);
    seg.fd = fs.openSync(seg.dataPath, 'a+');
    this.segments.push(seg);
    this.active = seg;
    this.dirDirty = true;
    return seg;
  }

  /** Ends the current segment: the next message begins a new one. */
  private roll(): void {
    const seg = this.active;
    this.active = undefined;
    if (seg && seg.live === 0) this.deleteSegment(seg);
  }

  private dataFd(seg: Segment): number {
    if (seg.fd === undefined) seg.fd = fs.openSync(seg.dataPath, seg === this.active ? 'a+' : 'r');
    return seg.fd;
  }

  private refreshSize(seg: Segment): void {
    try {
      const size = fs.statSync(seg.dataPath).size;
      this.filesBytes += size - seg.size;
      seg.size = size;
    } catch {
      // the file is gone or unreadable; its size no longer matters
    }
  }

  private release(seq: number, kind: 'a' | 'd'): boolean {
    if (this.closed) return false;
    const e = this.entries.get(seq);
    if (!e) return false;
    this.entries.delete(seq);
    this.liveBytes -= e.bytes;
    const seg = e.seg;
    seg.live--;
    if (seg.live === 0 && seg !== this.active) {
      this.deleteSegment(seg);
      return true;
    }
    const line = Buffer.from(`${kind}${seq}\n`, 'latin1');
    try {
      if (seg.ackFd === undefined) {
        seg.ackFd = fs.openSync(seg.ackPath, 'a');
        if (seg.ackSize === 0) this.dirDirty = true;
      }
      writeAll(seg.ackFd, line);
      seg.ackSize += line.length;
      this.filesBytes += line.length;
      seg.ackDirty = true;
    } catch {
      this.ackWriteFailures++;
    }
    return true;
  }

  /**
   * Drops the oldest messages until `bytes` more fit under both caps; their sequence
   * numbers go to `dropped` when given. Returns how many were dropped.
   */
  private makeRoom(bytes: number, dropped?: number[]): number {
    let count = 0;
    const adding = bytes > 0 ? 1 : 0;
    while (this.entries.size + adding > this.opts.maxMessages && this.entries.size > 0) {
      const seq = this.entries.keys().next().value as number;
      this.release(seq, 'd');
      dropped?.push(seq);
      count++;
    }
    // ack lines still to come for what is queued: a few bytes each
    const ackReserve = (n: number) => n * 18;
    for (let guard = 0; guard < 100000 && this.segments.length > 0; guard++) {
      if (this.filesBytes + bytes + ackReserve(this.entries.size + adding) <= this.opts.maxBytes) break;
      const oldest = this.segments[0];
      if (oldest === this.active) {
        // every queued message is in the current segment: begin another, so the
        // current one can go on the next turn
        if (this.segments.length === 1 && oldest.live === 0) {
          this.deleteSegment(oldest);
          this.active = undefined;
          continue;
        }
        this.active = undefined;
        continue;
      }
      for (const [seq, e] of this.entries) {
        if (e.seg !== oldest) break;
        this.entries.delete(seq);
        this.liveBytes -= e.bytes;
        dropped?.push(seq);
        count++;
      }
      oldest.live = 0;
      this.deleteSegment(oldest);
    }
    if (count > 0) {
      this.droppedCount += count;
      this.metaDirty = true;
    }
    return count;
  }

  private deleteSegment(seg: Segment): void {
    const i = this.segments.indexOf(seg);
    if (i >= 0) this.segments.splice(i, 1);
    if (this.active === seg) this.active = undefined;
    for (const fd of [seg.fd, seg.ackFd]) {
      if (fd !== undefined) {
        try { fs.closeSync(fd); } catch { /* already closed */ }
      }
    }
    seg.fd = undefined;
    seg.ackFd = undefined;
    // the data file first: a crash in between leaves an ack file alone, which replay
    // removes, rather than a data file without its acks, whose messages would go again
    fs.rmSync(seg.dataPath, { force: true });
    fs.rmSync(seg.ackPath, { force: true });
    this.filesBytes -= seg.size + seg.ackSize;
    this.dirDirty = true;
  }

  private syncFolder(): void {
    syncDir(this.dir);
    this.dirDirty = false;
  }

  private writeMeta(): void {
    const file = path.join(this.dir, META);
    const tmp = `${file}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'w');
      try {
        writeAll(fd, Buffer.from(JSON.stringify({ format: 1, nextSeq: this.nextSeq, dropped: this.droppedCount })));
        if (this.opts.fsync !== 'never') fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
      this.metaDirty = false;
    } catch {
      // the segments alone replay correctly; only the figures would be older
    }
  }

  private closeFiles(): void {
    for (const seg of this.segments) {
      for (const fd of [seg.fd, seg.ackFd]) {
        if (fd !== undefined) {
          try { fs.closeSync(fd); } catch { /* already closed */ }
        }
      }
      seg.fd = undefined;
      seg.ackFd = undefined;
    }
  }
}
