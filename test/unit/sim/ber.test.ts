import { strict as assert } from 'assert';
import * as dgram from 'dgram';
import fc from 'fast-check';
import * as snmp from 'net-snmp';
import {
  BerError, Tag, counter64Content, decodeCommunityRequest, decodeOidContent, encodeMessage, encodeOid,
  oidContent, parseOid, peekVersion, requestIdBytes, requestIdValue, writeCounter64, writeInteger, writeUnsigned,
} from '../../../src/sim/ber';
import { compareArcs, findExact, findNext, treeFor } from '../../../src/sim/tree';

/** Captures the first datagram net-snmp sends for `act` (the session points at a plain socket). */
async function captureRequest(version: number, act: (session: any) => void): Promise<Buffer> {
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', () => resolve()));
  const session = snmp.createSession('127.0.0.1', 'public', { port: sink.address().port, version, timeout: 200, retries: 0 });
  session.on('error', () => undefined);
  try {
    return await new Promise<Buffer>((resolve) => {
      sink.once('message', (msg) => resolve(msg));
      act(session);
    });
  } finally {
    session.close();
    await new Promise<void>((resolve) => sink.close(() => resolve()));
  }
}

describe('sim BER codec', () => {
  it('encodes Counter64 minimally, with a ninth byte when the top bit is set', () => {
    const cases: Array<[bigint, string]> = [
      [0n, '4601 00'],
      [127n, '4601 7f'],
      [128n, '4602 0080'],
      [0xffffffffn, '4605 00ffffffff'],
      [0x100000000n, '4605 0100000000'],
      [2n ** 63n - 1n, '4608 7fffffffffffffff'],
      [2n ** 63n, '4609 008000000000000000'],
      [2n ** 64n - 1n, '4609 00ffffffffffffffff'],
    ];
    for (const [value, hex] of cases) {
      const buf = Buffer.alloc(16);
      const end = writeCounter64(buf, 0, Number(value >> 32n), Number(value & 0xffffffffn));
      assert.equal(buf.subarray(0, end).toString('hex'), hex.replace(' ', ''), String(value));
      assert.equal(counter64Content(value).toString('hex'), hex.split(' ')[1]);
    }
  });

  it('Counter64 content decodes back to the same BigInt (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (v) => {
      const bytes = counter64Content(v);
      assert.ok(bytes.length <= 9);
      if (bytes.length > 1) assert.ok(!(bytes[0] === 0 && (bytes[1] & 0x80) === 0), 'no superfluous leading zero');
      assert.equal(BigInt(`0x${bytes.toString('hex')}`), v);
    }));
  });

  it('encodes unsigned and signed integers as two\'s complement', () => {
    const hex = (f: (b: Buffer) => number) => { const b = Buffer.alloc(8); return b.subarray(0, f(b)).toString('hex'); };
    assert.equal(hex((b) => writeUnsigned(b, 0, Tag.Counter32, 0)), '410100');
    assert.equal(hex((b) => writeUnsigned(b, 0, Tag.Counter32, 255)), '410200ff');
    assert.equal(hex((b) => writeUnsigned(b, 0, Tag.Counter32, 0xffffffff)), '410500ffffffff');
    assert.equal(hex((b) => writeInteger(b, 0, Tag.Integer, -1)), '0201ff');
    assert.equal(hex((b) => writeInteger(b, 0, Tag.Integer, -129)), '0202ff7f');
    assert.equal(hex((b) => writeInteger(b, 0, Tag.Integer, -2147483648)), '020480000000');
    for (const id of [0, 1, 127, 128, 0x7fffffff, -1, -2147483648]) assert.equal(requestIdValue(requestIdBytes(id)), id);
  });

  it('OIDs round-trip through content bytes, including 32-bit arcs (property)', () => {
    const arcs = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 20 }))
      .map(([a, b, rest]) => [a, b, ...rest]);
    fc.assert(fc.property(arcs, (oid) => {
      const content = oidContent(oid);
      assert.deepEqual(decodeOidContent(content, 0, content.length), oid);
    }));
    assert.equal(encodeOid([1, 3, 6, 1]).toString('hex'), '06032b0601');
    assert.deepEqual(parseOid('.1.3.6.1.2.1.1.5.0'), [1, 3, 6, 1, 2, 1, 1, 5, 0]);
    assert.throws(() => parseOid('1.3.x'));
  });

  it('decodes the GetBulkRequest net-snmp sends', async () => {
    const msg = await captureRequest(snmp.Version2c, (s) => s.getBulk(['1.3.6.1.2.1.2.2.1.2', '1.3.6.1.2.1.31.1.1.1.6'], 1, 25, () => undefined));
    assert.equal(peekVersion(msg), 1);
    const req = decodeCommunityRequest(msg);
    assert.equal(req.version, 1);
    assert.equal(req.community.toString(), 'public');
    assert.equal(req.pduType, Tag.GetBulkRequest);
    assert.equal(req.nonRepeaters, 1);
    assert.equal(req.maxRepetitions, 25);
    assert.deepEqual(req.oids.map((o) => o.join('.')), ['1.3.6.1.2.1.2.2.1.2', '1.3.6.1.2.1.31.1.1.1.6']);
  });

  it('decodes the v1 GetRequest net-snmp sends', async () => {
    const msg = await captureRequest(snmp.Version1, (s) => s.get(['1.3.6.1.2.1.1.5.0'], () => undefined));
    const req = decodeCommunityRequest(msg);
    assert.equal(req.version, 0);
    assert.equal(req.pduType, Tag.GetRequest);
    assert.deepEqual(req.oids, [[1, 3, 6, 1, 2, 1, 1, 5, 0]]);
  });

  it('throws only BerError on truncations and random bytes (property)', async () => {
    const msg = await captureRequest(snmp.Version2c, (s) => s.get(['1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.3.0'], () => undefined));
    for (let n = 0; n < msg.length; n++) {
      assert.throws(() => decodeCommunityRequest(msg.subarray(0, n)), BerError, `prefix of ${n} bytes`);
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodeCommunityRequest(Buffer.from(bytes));
      } catch (err) {
        assert.ok(err instanceof BerError, String(err));
      }
    }), { numRuns: 2000 });
    // Random corruption of a valid request: decodes or fails cleanly, never anything else.
    fc.assert(fc.property(fc.integer({ min: 0, max: msg.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
      const copy = Buffer.from(msg);
      copy[at] = byte;
      try {
        decodeCommunityRequest(copy);
      } catch (err) {
        assert.ok(err instanceof BerError, String(err));
      }
    }), { numRuns: 2000 });
  });

  it('encodes a Response message net-snmp parses', async () => {
    // A real parser (net-snmp's receiver path) reads our encoding: answer a capture by hand.
    const server = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', () => resolve()));
    server.on('message', (msg, rinfo) => {
      const req = decodeCommunityRequest(msg);
      const vb = Buffer.alloc(64);
      const oid = encodeOid(req.oids[0]);
      let p = 2;
      oid.copy(vb, p);
      p = writeCounter64(vb, p + oid.length, 0xffffffff, 0xffffffff);
      vb[0] = Tag.Sequence;
      vb[1] = p - 2;
      server.send(encodeMessage({
        version: req.version, community: req.community, pduType: Tag.Response, requestId: req.requestId,
        errorStatus: 0, errorIndex: 0, varbinds: vb, varbindsLength: p,
      }), rinfo.port, rinfo.address);
    });
    const session = snmp.createSession('127.0.0.1', 'public', { port: server.address().port, version: snmp.Version2c, timeout: 1000, retries: 0 });
    try {
      const varbinds = await new Promise<any[]>((resolve, reject) => session.get(['1.3.6.1.2.1.31.1.1.1.6.1'], (e: Error, v: any[]) => (e ? reject(e) : resolve(v))));
      assert.equal(varbinds[0].type, snmp.ObjectType.Counter64);
      assert.equal(BigInt(`0x${varbinds[0].value.toString('hex')}`), 2n ** 64n - 1n);
    } finally {
      session.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('sim OID tree', () => {
  it('is sorted, shared per interface count, and searchable', () => {
    const tree = treeFor(48);
    assert.equal(treeFor(48), tree);
    assert.equal(tree.entries.length, 7 + 1 + 22 * 48 + 19 * 48);
    for (let i = 1; i < tree.entries.length; i++) assert.ok(compareArcs(tree.entries[i - 1].arcs, tree.entries[i].arcs) < 0);
    const ifDescr3 = [1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 3];
    assert.equal(tree.entries[findExact(tree, ifDescr3)].oid, '1.3.6.1.2.1.2.2.1.2.3');
    assert.equal(tree.entries[findNext(tree, ifDescr3)].oid, '1.3.6.1.2.1.2.2.1.2.4');
    assert.equal(tree.entries[findNext(tree, [1, 3])].oid, '1.3.6.1.2.1.1.1.0');
    assert.equal(tree.entries[findNext(tree, [1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 48])].oid, '1.3.6.1.2.1.2.2.1.3.1');
    assert.equal(findNext(tree, [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 19, 48]), tree.entries.length);
    assert.equal(findExact(tree, [1, 3, 6, 1, 2, 1, 1, 5]), -1);
  });
});
