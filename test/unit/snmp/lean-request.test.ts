import { strict as assert } from 'assert';
import * as dgram from 'dgram';
import { EventEmitter } from 'events';
import fc from 'fast-check';
import * as snmp from 'net-snmp';
import { buildProfile } from '../../../src/lib/snmp/profile';
import { flattenBulk, SessionPool } from '../../../src/lib/snmp/session-pool';
import { getTemplate, LeanRequests, oidContent, oidFollowsOid } from '../../../src/lib/snmp/lean-request';
import { decodeResponse } from '../../../src/lib/snmp/lean-response';
import { pollGet } from '../../../src/lib/poll/device-poll';
import { int, parseRequest, response, startScriptedAgent, varbind, octets, type ParsedRequest } from '../../support/fake-agent';

/**
 * The lean GET (lean-request.ts) against net-snmp's own: the same bytes on the wire for
 * the same request, and net-snmp's behaviour for timeouts, retries with backoff, cancel,
 * close and replies that do not fit.
 */

/** What a net-snmp session sends for `session.get(oids)` (or what `call` asks), captured from its socket. */
function netSnmpGetBytes(version: number, community: string, oids: string[], call: (session: any) => void = (session) => session.get(oids, () => undefined)): Buffer {
  let sent: Buffer | undefined;
  class Capture extends EventEmitter {
    send(buf: Buffer, offset: number, length: number) {
      sent = Buffer.from(buf.subarray(offset, offset + length));
    }
    close() { return this; }
    ref() { return this; }
    unref() { return this; }
    bind() { return this; }
    address() { return { address: '127.0.0.1', family: 'IPv4', port: 1 }; }
  }
  const session = snmp.createSession('127.0.0.1', community, { version, dgramModule: { createSocket: () => new Capture() } });
  call(session);
  session.close();
  return sent!;
}

/** The varbind list of a request: the bytes after the request id and the two zero INTEGERs. */
function varbindList(buf: Buffer): Buffer {
  const parsed = parseRequest(buf)!;
  const at = buf.indexOf(Buffer.concat([parsed.reqId, Buffer.from([0x02, 0x01, 0x00, 0x02, 0x01, 0x00])]));
  return buf.subarray(at + parsed.reqId.length + 6);
}

/** Where the TLV at `at` ends, by its length field. */
function endOf(buf: Buffer, at: number): number {
  const first = buf[at + 1];
  if (first < 0x80) return at + 2 + first;
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[at + 2 + i];
  return at + 2 + n + len;
}

const arc = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 0xffffffff }));
const numericOid = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(arc, { minLength: 0, maxLength: 14 }))
  .map(([a, b, rest]) => [a, b, ...rest].join('.'));

/** A pool on a profile, and an agent on a UDP socket answering each request with the datagrams of `answer`. */
async function withAgent(
  options: { retries?: number; timeout?: number; backoff?: number },
  answer: (req: ParsedRequest, n: number) => Buffer[] | null,
  body: (ctx: { pool: SessionPool; profile: ReturnType<typeof buildProfile>; port: number; requests: ParsedRequest[] }) => Promise<void>,
): Promise<void> {
  const requests: ParsedRequest[] = [];
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const req = parseRequest(msg);
    if (!req) return;
    requests.push(req);
    for (const out of answer(req, requests.length) ?? []) sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const profile = buildProfile({ version: '2c', timeout: options.timeout ?? 200, retries: options.retries ?? 0, backoff: options.backoff ?? 1, deadline: 10000 }, { community: 'public' });
  const pool = new SessionPool(profile);
  try {
    await body({ pool, profile, port: sock.address().port, requests });
  } finally {
    pool.close();
    await new Promise<void>((resolve) => sock.close(() => resolve()));
  }
}

describe('lean GET requests', function () {
  this.timeout(20000);

  it('encodes a GET as net-snmp does: the same request for every OID list and community (property)', () => {
    fc.assert(fc.property(
      fc.constantFrom(0, 1),
      // net-snmp takes an empty community for "public", and so does our session's
      fc.oneof(fc.constant('public'), fc.string({ minLength: 1, maxLength: 40 }), fc.constant('x'.repeat(300))),
      fc.array(numericOid, { minLength: 1, maxLength: 70 }),
      (version, community, oids) => {
        const t = getTemplate(version, community, oids)!;
        assert.ok(t, `encodes ${oids.join(' ')}`);
        const ours = Buffer.from(t.bytes);
        ours.writeUInt32BE(0x12345678, t.idOffset);
        const theirs = netSnmpGetBytes(version, community, oids);
        const a = parseRequest(ours)!;
        const b = parseRequest(theirs)!;
        assert.deepEqual({ ...a, reqId: undefined }, { ...b, reqId: undefined });
        assert.equal(a.pduType, 0xa0);
        assert.deepEqual([...a.reqId], [0x12, 0x34, 0x56, 0x78], 'the id sits where idOffset says');
        assert.deepEqual(varbindList(ours), varbindList(theirs), 'varbind list byte for byte');
        // the enclosing lengths add up (parseRequest does not check them)
        assert.equal(endOf(ours, 0), ours.length, 'message length');
        const pduAt = ours.indexOf(0xa0, 2 + 3 + 2);
        assert.equal(endOf(ours, pduAt), ours.length, 'PDU length');
      },
    ), { numRuns: 300 });
  });

  it('leaves anything but a numeric OID to net-snmp', () => {
    for (const bad of ['', '1', 'sysName.0', '1.3.6.-1', '3.1.2', '1.40.1', '1.3.6.1.4294967296', '1..3', '1.3.6.1 ']) {
      assert.equal(oidContent(bad), undefined, bad);
    }
    assert.deepEqual(oidContent('2.999.3'), [0x88, 0x37, 0x03]);
  });

  const sysName = (req: ParsedRequest): Buffer => response(req.version, req.community, req.reqId, varbind('1.3.6.1.2.1.1.5.0', octets('lean')));
  const device = (port: number) => ({ host: '127.0.0.1', port, name: 'd', labels: {} });

  it('retries with the same request id and the backoff, then fails as net-snmp does', async () => {
    await withAgent({ retries: 2, timeout: 150, backoff: 2 }, () => null, async ({ pool, profile, port, requests }) => {
      const started = Date.now();
      const r = await pollGet({ pool, profile }, device(port), ['1.3.6.1.2.1.1.5.0']);
      const took = Date.now() - started;
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.failure.code, 'timeout');
      assert.match(!r.ok ? r.failure.message : '', /no response after 3 tries/);
      assert.equal(requests.length, 3, 'one try and two retries');
      assert.ok(requests.every((q) => q.reqId.equals(requests[0].reqId)), 'a retry is the same request');
      // 150 + 300 + 600 ms with backoff 2: the attempts waited at least that long
      assert.ok(took >= 1000, `waited ${took} ms`);
    });
  });

  it('answers on the second try after a lost first one', async () => {
    await withAgent({ retries: 1, timeout: 150 }, (req, n) => (n === 1 ? null : [sysName(req)]), async ({ pool, profile, port, requests }) => {
      const r = await pollGet({ pool, profile }, device(port), ['1.3.6.1.2.1.1.5.0']);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.ok && r.varbinds[0].value, 'lean');
      assert.equal(requests.length, 2);
    });
  });

  it('reads a reply of the wrong community as net-snmp does: the request fails, naming no secret', async () => {
    await withAgent({}, (req) => [response(req.version, 'other', req.reqId, varbind('1.3.6.1.2.1.1.5.0', octets('x')))], async ({ pool, profile, port }) => {
      const r = await pollGet({ pool, profile }, device(port), ['1.3.6.1.2.1.1.5.0']);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.failure.code, 'bad-response', JSON.stringify(r));
      assert.doesNotMatch(JSON.stringify(r), /public/);
    });
  });

  it('takes an answer net-snmp reads but the lean decoder declines (a five-byte request id)', async () => {
    await withAgent({}, (req) => {
      const valid = sysName(req);
      const id = req.reqId;
      // the same request id spelled in five bytes: 02 05 00 <id>
      const long = Buffer.concat([Buffer.from([0x02, id.length + 1, 0x00]), id]);
      const at = valid.indexOf(Buffer.concat([Buffer.from([0x02, id.length]), id]));
      const body = Buffer.concat([valid.subarray(0, at), long, valid.subarray(at + 2 + id.length)]);
      // fix the two enclosing lengths (short form here)
      body[1] += 1;
      body[valid.indexOf(0xa2) + 1] += 1;
      assert.equal(decodeResponse(body), undefined, 'the lean decoder declines it');
      return [body];
    }, async ({ pool, profile, port }) => {
      const r = await pollGet({ pool, profile }, device(port), ['1.3.6.1.2.1.1.5.0']);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.ok && r.varbinds[0].value, 'lean');
    });
  });

  it('fails a reply with too few varbinds as net-snmp does', async () => {
    await withAgent({}, (req) => [response(req.version, req.community, req.reqId, varbind('1.3.6.1.2.1.1.5.0', octets('x')))], async ({ pool, profile, port }) => {
      const r = await pollGet({ pool, profile }, device(port), ['1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.3.0']);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.failure.code, 'bad-response');
    });
  });

  it('sends nothing more once the poll gives up, and fails what is pending when the pool closes', async () => {
    await withAgent({ retries: 5, timeout: 100 }, () => null, async ({ port, requests }) => {
      const profile = buildProfile({ version: '2c', timeout: 100, retries: 5, deadline: 250 }, { community: 'public' });
      const pool = new SessionPool(profile);
      try {
        const r = await pollGet({ pool, profile }, device(port), ['1.3.6.1.2.1.1.5.0']);
        assert.equal(!r.ok && r.failure.code, 'timeout');
        assert.match(!r.ok ? r.failure.message : '', /deadline/);
        const sentAtDeadline = requests.length;
        assert.ok(sentAtDeadline >= 2 && sentAtDeadline <= 3, `${sentAtDeadline} tries before the deadline`);
        await new Promise((res) => setTimeout(res, 400));
        assert.equal(requests.length, sentAtDeadline, 'no retry after the deadline');
        // a request in flight when the pool closes fails at once
        const pending = pollGet({ pool, profile: { ...profile, deadline: 10000 } }, device(port), ['1.3.6.1.2.1.1.5.0']);
        await new Promise((res) => setTimeout(res, 20));
        pool.close();
        const closed = await pending;
        assert.equal(closed.ok, false);
      } finally {
        pool.close();
      }
    });
  });

  it('shares one timer among its requests, and lets it go once they are answered', async () => {
    const lean = new LeanRequests({ timeout: 100, retries: 0, backoff: 1 });
    const sent: Buffer[] = [];
    const session = {
      version: 1, community: 'public', target: '127.0.0.1', reqs: {} as Record<number, unknown>, reqCount: 0,
      dgram: { send: (buf: Buffer) => { sent.push(buf); }, ref: () => undefined },
      unregisterRequest(id: number) { const r = this.reqs[id]; delete this.reqs[id]; this.reqCount--; return r; },
      onSimpleGetResponse: () => undefined,
    };
    const timers = () => (process as any).getActiveResourcesInfo().filter((x: string) => x === 'Timeout').length;
    const before = timers();
    const calls: unknown[] = [];
    for (let i = 0; i < 100; i++) assert.equal(lean.get(session, 161, ['1.3.6.1.2.1.1.5.0'], (err) => calls.push(err)), true);
    assert.equal(sent.length, 100);
    assert.equal(Object.keys(session.reqs).length, 100, 'a distinct id for each');
    assert.equal(timers() - before, 1, 'one timer for 100 requests');
    // 90 answered: taken out of the session as net-snmp's reply path does
    for (const id of Object.keys(session.reqs).slice(0, 90)) session.unregisterRequest(Number(id));
    await new Promise((res) => setTimeout(res, 250));
    // out of the timer phase, where the wait's own timer still counts
    await new Promise((res) => setImmediate(res));
    assert.equal(calls.length, 10, 'the 10 unanswered timed out, the answered did not');
    assert.ok(calls.every((e) => e instanceof snmp.RequestTimedOutError));
    assert.equal(lean.queued, 0);
    assert.equal((lean as unknown as { timer: unknown }).timer, undefined, 'its timer let go');
    lean.close();
    assert.equal(lean.get(session, 161, ['1.3.6.1.2.1.1.5.0'], () => undefined), false, 'closed: net-snmp takes over');
  });

  it('times out the other requests when one owner throws from its timeout, and stops once closed from one', async () => {
    const lean = new LeanRequests({ timeout: 50, retries: 0, backoff: 1 });
    const session = {
      version: 1, community: 'public', target: '127.0.0.1', reqs: {} as Record<number, unknown>, reqCount: 0,
      dgram: { send: () => undefined, ref: () => undefined },
      unregisterRequest(id: number) { const r = this.reqs[id]; delete this.reqs[id]; this.reqCount--; return r; },
      onSimpleGetResponse: () => undefined,
    };
    const timedOut: number[] = [];
    for (let i = 0; i < 5; i++) {
      lean.get(session, 161, ['1.3.6.1.2.1.1.5.0'], () => {
        timedOut.push(i);
        if (i === 1) throw new Error('a broken owner');
      });
    }
    await new Promise((res) => setTimeout(res, 150));
    assert.deepEqual(timedOut, [0, 1, 2, 3, 4]);
    const closing: number[] = [];
    for (let i = 0; i < 3; i++) {
      lean.get(session, 161, ['1.3.6.1.2.1.1.5.0'], () => {
        closing.push(i);
        lean.close();
      });
    }
    await new Promise((res) => setTimeout(res, 150));
    assert.deepEqual(closing, [0], 'nothing more after close');
  });

  it('gives the same answer as net-snmp for a live GET of several OIDs', async () => {
    const answer = (req: ParsedRequest) => [response(req.version, req.community, req.reqId, Buffer.concat(req.oids.map((o) => varbind(o, octets(`v${o}`)))))];
    await withAgent({}, answer, async ({ pool, profile, port }) => {
      const oids = Array.from({ length: 40 }, (_, i) => `1.3.6.1.4.1.8072.${i}.${i * 1000}.0`);
      const r = await pollGet({ pool, profile }, device(port), oids);
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.ok && r.varbinds.map((v) => [v.oid, v.value]), oids.map((o) => [o, `v${o}`]));
      assert.equal(r.ok && r.requests, 1);
    });
  });
});

/** A datagram's elements, as a tree of [tag, content or children]: enough to compare two requests field by field. */
type Tlv = [number, Buffer | Tlv[]];
function tlvTree(buf: Buffer, constructed = new Set([0x30, 0xa0, 0xa5])): Tlv[] {
  const out: Tlv[] = [];
  let at = 0;
  while (at < buf.length) {
    const tag = buf[at];
    const end = endOf(buf, at);
    const first = buf[at + 1];
    const start = first < 0x80 ? at + 2 : at + 2 + (first & 0x7f);
    const content = buf.subarray(start, end);
    out.push([tag, constructed.has(tag) ? tlvTree(content, constructed) : Buffer.from(content)]);
    at = end;
  }
  assert.equal(at, buf.length, 'lengths add up');
  return out;
}

/** net-snmp's getBulk grouping of a flat answer: the non-repeaters, then an array per repeater. */
function groupAsNetSnmp(flat: unknown[], nr: number, repeaters: number): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  for (; i < nr + repeaters && i < flat.length; i++) out.push(i < nr ? flat[i] : [flat[i]]);
  for (; i < flat.length; i++) (out[(i - nr) % repeaters + nr] as unknown[]).push(flat[i]);
  return out;
}

describe('lean GETBULK requests', function () {
  this.timeout(20000);

  const fakeSession = (community: string, extra: Record<string, unknown> = {}) => ({
    version: 1, community, target: '127.0.0.1', reqs: {}, reqCount: 0,
    dgram: { sent: [] as Buffer[], send(buf: Buffer) { this.sent.push(Buffer.from(buf)); }, ref() {} },
    unregisterRequest(id: number) { delete (this.reqs as Record<number, unknown>)[id]; this.reqCount--; },
    onSimpleGetResponse() {},
    ...extra,
  });

  it('encodes a GETBULK as net-snmp does, for every OID list, community and repetition count (property)', () => {
    const lean = new LeanRequests({ timeout: 1000, retries: 0, backoff: 1 });
    try {
      fc.assert(fc.property(
        fc.oneof(fc.constant('public'), fc.string({ minLength: 1, maxLength: 40 }), fc.constant('y'.repeat(200))),
        fc.array(numericOid, { minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0x7fffffff })),
        (community, oids, nrSeed, maxRepetitions) => {
          const nonRepeaters = nrSeed % (oids.length + 1);
          const session = fakeSession(community);
          assert.ok(lean.getBulk(session as any, 161, oids, nonRepeaters, maxRepetitions, () => undefined), 'lean takes it');
          const ours = session.dgram.sent[0];
          const theirs = netSnmpGetBytes(1, community, oids, (s) => s.getBulk(oids, nonRepeaters, maxRepetitions, () => undefined));
          const a = tlvTree(ours);
          const b = tlvTree(theirs);
          // message [version, community, PDU [id, non-repeaters, max-repetitions, list]]: all but the id equal
          const pduA = (a[0][1] as Tlv[])[2];
          const pduB = (b[0][1] as Tlv[])[2];
          assert.equal(pduA[0], 0xa5);
          assert.deepEqual((a[0][1] as Tlv[]).slice(0, 2), (b[0][1] as Tlv[]).slice(0, 2), 'version and community');
          assert.deepEqual((pduA[1] as Tlv[]).slice(1), (pduB[1] as Tlv[]).slice(1), 'non-repeaters, max-repetitions and the varbind list');
          const id = (pduA[1] as Tlv[])[0][1] as Buffer;
          assert.equal(id.length, 4, 'a four-byte request id');
          assert.ok(Object.keys(session.reqs).map(Number).includes(id.readUInt32BE(0)), 'registered under the id it sent');
        },
      ), { numRuns: 300 });
    } finally {
      lean.close();
    }
  });

  it('leaves SNMPv1 and OIDs it cannot encode to net-snmp', () => {
    const lean = new LeanRequests({ timeout: 1000, retries: 0, backoff: 1 });
    try {
      assert.equal(lean.getBulk({ ...fakeSession('public'), version: 0 } as any, 161, ['1.3.6.1.2.1.2.2'], 0, 10, () => undefined), false);
      const s = fakeSession('public');
      assert.equal(lean.getBulk(s as any, 161, ['1.3.6.1.2.1.2.2', 'ifTable'], 0, 10, () => undefined), false);
      assert.equal(s.dgram.sent.length, 0, 'nothing sent');
    } finally {
      lean.close();
    }
  });

  it('decides "follows" as net-snmp does (property)', () => {
    // the same arithmetic as net-snmp's oidFollowsOid, equal OIDs and prefixes included
    const theirs = (a: string, b: string): boolean => {
      const x = a.split('.').map(Number);
      const y = b.split('.').map(Number);
      for (let i = 0; ; i++) {
        if (i >= x.length || i >= y.length) return true;
        if (y[i] > x[i]) return true;
        if (y[i] < x[i]) return false;
      }
    };
    fc.assert(fc.property(numericOid, numericOid, (a, b) => {
      assert.equal(oidFollowsOid(a, b), theirs(a, b));
      assert.equal(oidFollowsOid(a, a), true);
    }), { numRuns: 2000 });
    assert.equal(oidFollowsOid('1.3.6.1.2', '1.3.6.1.10'), true);
    assert.equal(oidFollowsOid('1.3.6.1.10', '1.3.6.1.9.5'), false);
  });

  it('gives net-snmp\'s non-repeaters, rows and order, flat (property against a live agent)', async () => {
    // each repeater k answers rows under its OID; some stop early (endOfMibView), as tables of different lengths do
    const answer = (req: ParsedRequest) => {
      const nr = Math.min(req.nonRepeaters, req.oids.length);
      const parts: Buffer[] = [];
      for (let i = 0; i < nr; i++) parts.push(varbind(`${req.oids[i]}.0`, int(i)));
      const rows = Math.min(req.maxRepetitions, 8);
      for (let r = 0; r < rows; r++) {
        for (let k = nr; k < req.oids.length; k++) {
          // the last row may stop short, as one does when the datagram is full
          if (r === rows - 1 && k - nr >= Math.max(1, (req.oids.length - nr) >> 1)) break;
          parts.push(r >= k ? varbind(`${req.oids[k]}.${r}`, Buffer.from([0x82, 0x00])) : varbind(`${req.oids[k]}.${r + 1}`, octets(`row ${r}`)));
        }
      }
      return [response(req.version, req.community, req.reqId, Buffer.concat(parts))];
    };
    await withAgent({ timeout: 500 }, answer, async ({ pool, port }) => {
      const ps = await pool.acquire({ host: '127.0.0.1', port, name: 'd', labels: {} });
      const ask = (call: (cb: (err: unknown, res?: unknown[]) => void) => void) => new Promise<unknown[]>((resolve, reject) => call((err, res) => (err ? reject(err) : resolve(res!))));
      const shape = (list: unknown[]) => list.map((v: any) => [v.oid, v.type, Buffer.isBuffer(v.value) ? v.value.toString() : v.value]);
      await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.nat(), fc.integer({ min: 1, max: 12 }), async (n, nrSeed, mr) => {
        const oids = Array.from({ length: n }, (_, i) => `1.3.6.1.4.1.8072.9.${i + 1}`);
        const nr = nrSeed % (n + 1);
        const flat = await ask((cb) => ps.getBulk(oids, nr, mr, cb));
        const nested = await ask((cb) => ps.session.getBulk(oids, nr, mr, cb));
        assert.deepEqual(shape(flat), shape(flattenBulk(nested, nr)), 'lean flat = net-snmp flattened');
        if (n > nr) assert.deepEqual(shape(groupAsNetSnmp(flat, nr, n - nr).flat()), shape(nested.flat()), 'grouped back = net-snmp\'s');
      }), { numRuns: 40 });
    });
  });

  it('checks the answer as net-snmp\'s getBulk does when the session asks for it, with its error texts', async () => {
    // the second row goes backwards in column 1 and names another OID where column 2 ends
    const agent = await startScriptedAgent((req) => [
      varbind(`${req.oids[0]}.5`, int(1)), varbind(`${req.oids[1]}.5`, int(2)),
      varbind(`${req.oids[0]}.4`, int(3)), varbind('1.3.6.1.9.9', Buffer.from([0x82, 0x00])),
    ]);
    const port = agent.port;
    const oids = ['1.3.6.1.4.1.8072.9.1', '1.3.6.1.4.1.8072.9.2'];
    const lean = new LeanRequests({ timeout: 500, retries: 0, backoff: 1 });
    try {
      for (const options of [{ backwardsGetNexts: false }, { reportOidMismatchErrors: true }, {}]) {
        const session = snmp.createSession('127.0.0.1', 'public', { port, version: snmp.Version2c, ...options });
        try {
          const run = (viaLean: boolean) => new Promise<{ err?: string; code?: unknown; n?: number }>((resolve) => {
            const cb = (err: any, res?: unknown[]) => resolve(err ? { err: err.message, code: err.code } : { n: (res as unknown[]).flat().length });
            if (viaLean) assert.ok(lean.getBulk(session, port, oids, 0, 2, cb));
            else session.getBulk(oids, 0, 2, cb);
          });
          // the lean request's reply comes through net-snmp's own reader here (a plain session)
          assert.deepEqual(await run(true), await run(false), JSON.stringify(options));
        } finally {
          session.close();
        }
      }
    } finally {
      lean.close();
      await agent.close();
    }
  });

  it('leaves out what follows the first row when only non-repeaters were asked', () => {
    const lean = new LeanRequests({ timeout: 1000, retries: 0, backoff: 1 });
    try {
      const got: unknown[][] = [];
      const s = fakeSession('public', { onSimpleGetResponse: (req: any, m: any) => req.feedCb(req, m) });
      assert.ok(lean.getBulk(s as any, 161, ['1.3.6.1.2.1.1.3', '1.3.6.1.2.1.1.5'], 2, 10, (err, res) => got.push(res!)));
      const req = Object.values(s.reqs)[0] as any;
      const vb = (oid: string) => ({ oid, type: 2, value: 1 });
      req.onResponse(req, { pdu: { errorStatus: 0, varbinds: [vb('1.3.6.1.2.1.1.3.0'), vb('1.3.6.1.2.1.1.5.0'), vb('1.3.6.1.2.1.1.6.0')] } });
      assert.deepEqual(got.map((r) => r.map((v: any) => v.oid)), [['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.5.0']]);
    } finally {
      lean.close();
    }
  });
});
