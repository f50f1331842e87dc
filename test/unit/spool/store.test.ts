/**
 * The spool's queue on disk (src/lib/spool/store.ts): order, release, replay after a
 * crash (a store never closed, torn and garbled records), the two caps with drop-oldest
 * counted, sequence numbers that never go back, and a property test that replays a
 * random history of appends, releases and crashes against a model.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { SpoolError, SpoolStore, type SpoolStoreOptions } from '../../../src/lib/spool/store';
import { crc32, crc32Table } from '../../../src/lib/spool/crc32';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-store-'));
  dirs.push(d);
  return d;
}

const opened: SpoolStore[] = [];
function open(dir: string, over: Partial<SpoolStoreOptions> = {}): SpoolStore {
  const s = SpoolStore.open({ dir, maxMessages: 1000, maxBytes: 10_000_000, fsync: 'never', ...over });
  opened.push(s);
  return s;
}

/** What a SIGKILL leaves: the files as written, no close(). */
function crash(s: SpoolStore): void {
  s.abandon();
}

const drain = (s: SpoolStore) => s.oldest(1e9).map((seq) => s.read(seq));

afterEach(() => {
  for (const s of opened.splice(0)) {
    try { s.close(); } catch { /* crashed ones */ }
  }
});
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('spool store', () => {
  it('computes the CRC-32 of zlib and gzip (table fallback included)', () => {
    const data = Buffer.from('123456789');
    assert.equal(crc32(data), 0xcbf43926);
    assert.equal(crc32Table(data), 0xcbf43926);
    const random = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff));
    assert.equal(crc32Table(random), crc32(random));
  });

  it('keeps messages in order, reads them back as fresh objects, releases them on ack', () => {
    const s = open(tmp());
    const a = s.append({ payload: [1, 2], topic: 'a' });
    const b = s.append({ payload: 'two', topic: 'b' });
    assert.deepEqual([a.seq, b.seq], [1, 2]);
    assert.equal(s.count, 2);
    assert.deepEqual(s.oldest(10), [1, 2]);
    const m = s.read(1);
    assert.deepEqual(m, { payload: [1, 2], topic: 'a' });
    m.payload.push(3);
    assert.deepEqual(s.read(1).payload, [1, 2], 'each read is a new object');
    assert.equal(s.ack(1), true);
    assert.equal(s.ack(1), false, 'a second ack of the same message changes nothing');
    assert.deepEqual(s.oldest(10), [2]);
    assert.deepEqual(s.oldest(10, (seq) => seq === 2), [], 'skips what is in flight');
  });

  it('brings Buffers back as Buffers, and refuses what JSON cannot hold', () => {
    const s = open(tmp());
    s.append({ payload: Buffer.from([1, 2, 255]) });
    const back = s.read(1);
    assert.ok(Buffer.isBuffer(back.payload));
    assert.deepEqual([...back.payload], [1, 2, 255]);
    const circular: any = { payload: 1 };
    circular.self = circular;
    assert.throws(() => s.append(circular), (err: SpoolError) => err.code === 'not-json');
    assert.throws(() => s.append({ payload: 10n }), (err: SpoolError) => err.code === 'not-json');
    assert.equal(s.count, 1, 'nothing queued for the refused ones');
  });

  it('refuses a message larger than a quarter of the size cap', () => {
    const s = open(tmp(), { maxBytes: 100_000 });
    assert.throws(() => s.append({ payload: 'x'.repeat(30_000) }), (err: SpoolError) => err.code === 'too-large' && /quarter/.test(err.message));
    s.append({ payload: 'x'.repeat(20_000) });
    assert.equal(s.count, 1);
  });

  it('replays what a crash left: unreleased messages, in order, and goes on numbering after them', () => {
    const dir = tmp();
    const s = open(dir);
    for (let i = 1; i <= 5; i++) s.append({ payload: i });
    s.ack(2);
    s.ack(4);
    crash(s);
    const r = open(dir);
    assert.equal(r.recovery.messages, 3);
    assert.equal(r.recovery.corrupt, 0);
    assert.deepEqual(drain(r).map((m) => m.payload), [1, 3, 5]);
    assert.equal(r.append({ payload: 6 }).seq, 6, 'numbers go on after the replayed ones');
  });

  it('skips a torn last record and a garbled one, counting them, and keeps the rest', () => {
    const dir = tmp();
    const s = open(dir);
    for (let i = 1; i <= 4; i++) s.append({ payload: `message ${i}` });
    crash(s);
    const [log] = fs.readdirSync(dir).filter((f) => f.endsWith('.log'));
    const file = path.join(dir, log);
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.split('\n');
    // garble the second record's body (same length: only the CRC can tell), tear the last
    lines[1] = lines[1].replace('message 2', 'messagE 2');
    lines[3] = lines[3].slice(0, 15);
    fs.writeFileSync(file, lines.slice(0, 4).join('\n'));
    const r = open(dir);
    assert.equal(r.recovery.corrupt, 2);
    assert.deepEqual(drain(r).map((m) => m.payload), ['message 1', 'message 3']);
  });

  it('ignores a torn acknowledgement rather than releasing the wrong message', () => {
    const dir = tmp();
    const s = open(dir);
    for (let i = 1; i <= 13; i++) s.append({ payload: i });
    s.ack(1);
    crash(s);
    const [ack] = fs.readdirSync(dir).filter((f) => f.endsWith('.ack'));
    // "a13\n" torn after "a1": without its newline it must not release message 1 (already) nor 13
    fs.appendFileSync(path.join(dir, ack), 'a1');
    const r = open(dir);
    assert.equal(r.count, 12);
    assert.ok(r.has(13) && !r.has(1));
    r.ack(13);
    crash(r);
    const again = open(dir);
    assert.ok(!again.has(13), 'the acknowledgement after the torn line counts');
  });

  it('deletes a segment once all its messages are released, and every segment file on a close with nothing queued', () => {
    const dir = tmp();
    const s = open(dir, { segmentBytes: 200 });
    for (let i = 0; i < 10; i++) s.append({ payload: 'y'.repeat(60) });
    const segments = () => fs.readdirSync(dir).filter((f) => f.endsWith('.log')).length;
    assert.ok(segments() >= 5, `${segments()} segments`);
    const before = segments();
    s.ack(1);
    s.ack(2);
    assert.ok(segments() < before, 'the first segment is gone');
    for (const seq of s.oldest(100)) s.ack(seq);
    s.close();
    assert.deepEqual(fs.readdirSync(dir), ['spool.json']);
    const r = open(dir);
    assert.equal(r.append({ payload: 1 }).seq, 11, 'spool.json keeps the numbering');
  });

  it('never numbers backwards after a crash that left only released segments', () => {
    const dir = tmp();
    const s = open(dir);
    for (let i = 0; i < 3; i++) s.append({ payload: i });
    for (const seq of s.oldest(10)) s.ack(seq);
    crash(s);
    const r = open(dir);
    assert.equal(r.count, 0);
    crash(r);
    const again = open(dir);
    assert.equal(again.append({ payload: 'x' }).seq, 4);
  });

  it('drops the oldest message at the message cap, counting it', () => {
    const s = open(tmp(), { maxMessages: 3 });
    for (let i = 1; i <= 5; i++) {
      const r = s.append({ payload: i });
      assert.deepEqual(r.dropped, i > 3 ? [i - 3] : []);
    }
    assert.equal(s.dropped, 2);
    assert.deepEqual(drain(s).map((m) => m.payload), [3, 4, 5]);
  });

  it('drops the oldest segment at the size cap: the files stay under it, the newest messages are kept', () => {
    const dir = tmp();
    const maxBytes = 40_000;
    const s = open(dir, { maxBytes, maxMessages: 1e6 });
    const body = 'z'.repeat(480);
    let dropped = 0;
    for (let i = 1; i <= 400; i++) {
      dropped += s.append({ payload: body, i }).dropped.length;
      const onDisk = fs.readdirSync(dir).filter((f) => f.startsWith('seg-')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
      assert.ok(onDisk <= maxBytes, `after ${i}: ${onDisk} bytes on disk`);
    }
    assert.ok(dropped > 300, `${dropped} dropped`);
    assert.equal(s.dropped, dropped);
    const kept = drain(s).map((m) => m.i);
    assert.equal(kept.length, 400 - dropped);
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, k) => 400 - kept.length + 1 + k), 'the newest, in order');
  });

  it('takes a drop back when the message turns out delivered', () => {
    const s = open(tmp(), { maxMessages: 1 });
    s.append({ payload: 1 });
    assert.deepEqual(s.append({ payload: 2 }).dropped, [1]);
    s.undrop();
    s.undrop();
    assert.equal(s.dropped, 0, 'never below zero');
  });

  it('keeps the dropped count across a crash until it is cleared', () => {
    const dir = tmp();
    const s = open(dir, { maxMessages: 2 });
    for (let i = 0; i < 5; i++) s.append({ payload: i });
    s.flush();
    crash(s);
    const r = open(dir, { maxMessages: 2 });
    assert.equal(r.dropped, 3);
    r.clearDropped();
    r.close();
    assert.equal(open(dir, { maxMessages: 2 }).dropped, 0);
  });

  it('applies lowered caps to what it replays, keeping the newest', () => {
    const dir = tmp();
    const s = open(dir);
    for (let i = 1; i <= 10; i++) s.append({ payload: i });
    s.close();
    const r = open(dir, { maxMessages: 4 });
    assert.equal(r.recovery.dropped, 6);
    assert.deepEqual(drain(r).map((m) => m.payload), [7, 8, 9, 10]);
  });

  it('refuses a second store on the same folder', () => {
    const dir = tmp();
    open(dir);
    assert.throws(() => open(dir), (err: SpoolError) => err.code === 'in-use');
  });

  it('syncs each message under fsync "message" (what goes on is on disk)', () => {
    const dir = tmp();
    const s = open(dir, { fsync: 'message' });
    s.append({ payload: 'durable' });
    const [log] = fs.readdirSync(dir).filter((f) => f.endsWith('.log'));
    assert.match(fs.readFileSync(path.join(dir, log), 'utf8'), /^1 [0-9a-f]{8} \{"payload":"durable"\}\n$/);
  });

  it('replays a random history of appends, releases, drops and crashes as a model says', () => {
    type Op = { kind: 'append' } | { kind: 'ack'; pick: number } | { kind: 'crash' } | { kind: 'close' };
    const op = fc.oneof(
      { weight: 5, arbitrary: fc.constant({ kind: 'append' } as Op) },
      { weight: 3, arbitrary: fc.nat(50).map((pick) => ({ kind: 'ack', pick }) as Op) },
      { weight: 1, arbitrary: fc.constant({ kind: 'crash' } as Op) },
      { weight: 1, arbitrary: fc.constant({ kind: 'close' } as Op) },
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: 3, max: 30 }), (ops, maxMessages) => {
      const dir = tmp();
      const o = { maxMessages, segmentBytes: 300 };
      let s = open(dir, o);
      let model: number[] = [];
      let n = 0;
      for (const x of ops) {
        if (x.kind === 'append') {
          n++;
          s.append({ n, pad: 'p'.repeat(n % 40) });
          model.push(n);
          if (model.length > maxMessages) model = model.slice(model.length - maxMessages);
        } else if (x.kind === 'ack') {
          if (model.length === 0) continue;
          const seq = s.oldest(1e9)[x.pick % model.length];
          const m = s.read(seq);
          s.ack(seq);
          model = model.filter((v) => v !== m.n);
        } else {
          if (x.kind === 'crash') crash(s);
          else s.close();
          s = open(dir, o);
        }
        assert.deepEqual(drain(s).map((m) => m.n), model);
      }
      s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }), { numRuns: 60, seed: 14 });
  });
});

describe('spool store: a folder that cannot be made', () => {
  it('fails with an error, not a hang, when the folder\'s parent links into /proc', function () {
    if (!fs.existsSync('/proc/1')) this.skip();
    this.timeout(30000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-proc-'));
    try {
      fs.symlinkSync('/proc/1', path.join(tmp, 'snmp-spool'));
      // in a child with a time limit: Node's recursive mkdir spins there for ever, and a
      // synchronous spin cannot be stopped by mocha's timeout
      const code = `
        const { SpoolStore } = require(${JSON.stringify(path.join(__dirname, '../../../src/lib/spool/store'))});
        try {
          SpoolStore.open({ dir: ${JSON.stringify(path.join(tmp, 'snmp-spool', 'node-1'))}, maxMessages: 10, maxBytes: 1e6, fsync: 'never' });
          console.log('opened');
        } catch (err) { console.log(err.name + ' ' + err.code + ': ' + err.message); }`;
      const run = require('child_process').spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', code], { timeout: 20000, encoding: 'utf8' });
      assert.equal(run.signal, null, 'it returned in time');
      assert.match(run.stdout, /^SpoolError io: cannot open .*node-1: ENOENT/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
