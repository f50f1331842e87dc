import { strict as assert } from 'assert';
import * as dgram from 'dgram';
import fc from 'fast-check';
import * as snmp from 'net-snmp';
import { Tag, decodeCommunityRequest, encodeMessage, encodeOid, requestIdBytes, requestIdValue } from '../../../src/sim/ber';
import { MALFORMED_KINDS, startFleet, type Fleet, type MalformedKind } from '../../../src/sim/fleet';

const REQUEST_ID = 0x01234567;

function getRequest(oid: number[], community = 'public', id = REQUEST_ID): Buffer {
  const o = encodeOid(oid);
  const vb = Buffer.concat([Buffer.from([0x30, o.length + 2]), o, Buffer.from([5, 0])]);
  return encodeMessage({
    version: 1, community: Buffer.from(community), pduType: Tag.GetRequest, requestId: requestIdBytes(id),
    errorStatus: 0, errorIndex: 0, varbinds: vb, varbindsLength: vb.length,
  });
}

/** One TLV header, read independently of the simulator's decoder. */
function tlv(buf: Buffer, pos: number): { tag: number; len: number; content: number } {
  const tag = buf[pos];
  let len = buf[pos + 1];
  let content = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + 2 + i];
    content += n;
  }
  return { tag, len, content };
}

/** Header of the PDU: skips the message SEQUENCE, version and community. */
function pduHeader(buf: Buffer): { tag: number; len: number; content: number } {
  const msg = tlv(buf, 0);
  const version = tlv(buf, msg.content);
  const community = tlv(buf, version.content + version.len);
  return tlv(buf, community.content + community.len);
}

async function exchange(port: number, request: Buffer): Promise<Buffer | null> {
  const client = dgram.createSocket('udp4');
  try {
    return await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 500);
      client.once('message', (m) => { clearTimeout(timer); resolve(m); });
      client.send(request, port, '127.0.0.1');
    });
  } finally {
    client.close();
  }
}

describe('fleet simulator: malformed answers and hostile requests', function () {
  this.timeout(30000);
  let fleet: Fleet | undefined;
  afterEach(async () => {
    if (fleet) await fleet.close();
    fleet = undefined;
  });

  const checks: Record<MalformedKind, (reply: Buffer, valid: Buffer) => void> = {
    truncated(reply, valid) {
      const outer = tlv(reply, 0);
      assert.equal(outer.tag, 0x30);
      assert.ok(outer.content + outer.len > reply.length, 'the message claims more than it holds');
      assert.ok(reply.length < valid.length);
      assert.deepEqual(reply, valid.subarray(0, reply.length), 'a prefix of the real answer');
    },
    'bad-length'(reply) {
      const outer = tlv(reply, 0);
      assert.equal(outer.content + outer.len, reply.length, 'outer length is right');
      const pdu = pduHeader(reply);
      assert.equal(pdu.tag, Tag.Response);
      assert.ok(pdu.content + pdu.len > reply.length, 'the PDU length runs past the datagram');
    },
    'wrong-type'(reply) {
      const pdu = pduHeader(reply);
      const id = tlv(reply, pdu.content);
      assert.equal(id.tag, Tag.OctetString, 'request-id is not an INTEGER');
      assert.equal(requestIdValue(reply.subarray(id.content, id.content + id.len)), REQUEST_ID);
    },
    reqid5(reply) {
      const pdu = pduHeader(reply);
      const id = tlv(reply, pdu.content);
      assert.equal(id.tag, Tag.Integer);
      assert.equal(id.len, 5, 'five content bytes');
      assert.equal(reply.readUInt32BE(id.content + 1), REQUEST_ID, 'same value as the request');
    },
    random(reply) {
      assert.ok(reply.length >= 8 && reply.length <= 200);
      let looksValid = false;
      try {
        const r = decodeCommunityRequest(reply);
        looksValid = r.pduType === Tag.Response && requestIdValue(r.requestId) === REQUEST_ID;
      } catch {
        looksValid = false;
      }
      assert.equal(looksValid, false);
    },
    'wrong-reqid'(reply) {
      const r = decodeCommunityRequest(reply);
      assert.equal(r.pduType, Tag.Response);
      assert.equal(requestIdValue(r.requestId), REQUEST_ID + 1);
      assert.equal(r.community.toString(), 'public');
    },
    'wrong-community'(reply) {
      const r = decodeCommunityRequest(reply);
      assert.equal(requestIdValue(r.requestId), REQUEST_ID);
      assert.notEqual(r.community.toString(), 'public');
    },
  };

  it('has a check for every malformed kind', () => {
    assert.deepEqual(Object.keys(checks).sort(), [...MALFORMED_KINDS].sort());
  });

  for (const kind of MALFORMED_KINDS) {
    it(`answers "${kind}" with a datagram of that kind`, async () => {
      fleet = await startFleet({ count: 2, behaviours: { 0: { malformed: kind } } });
      const request = getRequest([1, 3, 6, 1, 2, 1, 1, 5, 0]);
      const reply = await exchange(fleet.devices[0].port, request);
      const valid = await exchange(fleet.devices[1].port, request);
      assert.ok(reply && valid);
      checks[kind](reply, valid);
      assert.equal(fleet.stats().perDevice[0].responses, 1);
      // Switched off at run time, the device answers properly again.
      fleet.device(0).setMalformed(null);
      const fixed = await exchange(fleet.devices[0].port, request);
      assert.equal(decodeCommunityRequest(fixed!).oids.length, 1);
    });
  }

  it('a net-snmp client ignores wrong-reqid and wrong-community answers (timeout)', async () => {
    fleet = await startFleet({ count: 2, behaviours: { 0: { malformed: 'wrong-reqid' }, 1: { malformed: 'wrong-community' } } });
    for (const dev of fleet.devices) {
      const s = snmp.createSession('127.0.0.1', 'public', { port: dev.port, version: snmp.Version2c, timeout: 300, retries: 0 });
      s.on('error', () => undefined);
      try {
        await assert.rejects(new Promise((resolve, reject) => s.get(['1.3.6.1.2.1.1.5.0'], (e: Error, v: unknown) => (e ? reject(e) : resolve(v)))));
      } finally {
        s.close();
      }
    }
  });

  it('survives random and mutated requests, counts them, and keeps answering', async () => {
    fleet = await startFleet({ count: 1 });
    const port = fleet.devices[0].port;
    const client = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
    const valid = getRequest([1, 3, 6, 1, 2, 1, 1, 3, 0]);
    const datagrams: Buffer[] = [];
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (bytes) => { datagrams.push(Buffer.from(bytes)); }), { numRuns: 500 });
    fc.assert(fc.property(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
      const copy = Buffer.from(valid);
      copy[at] = byte;
      datagrams.push(copy);
    }), { numRuns: 500 });
    for (let n = 1; n < valid.length; n++) datagrams.push(valid.subarray(0, n));
    try {
      // In small bursts: a loopback socket buffer holds a few hundred datagrams at most.
      for (let i = 0; i < datagrams.length; i += 50) {
        for (const d of datagrams.slice(i, i + 50)) client.send(d, port, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 100));
      const stats = fleet.stats().perDevice[0];
      assert.equal(stats.requests, datagrams.length);
      assert.ok(stats.badRequests >= 500, `bad requests counted: ${stats.badRequests}`);
      const reply = await exchange(port, valid);
      assert.ok(reply, 'still answering');
      assert.equal(decodeCommunityRequest(reply).pduType, Tag.Response);
    } finally {
      client.close();
    }
  });

  it('v3 devices in malformed mode answer with a cut datagram', async () => {
    const user = { name: 'ops', level: 'authPriv' as const, authProtocol: 'sha' as const, authKey: 'auth-secret-1', privProtocol: 'aes' as const, privKey: 'priv-secret-1' };
    fleet = await startFleet({ count: 1, version: '3', v3Users: [user], behaviours: { 0: { malformed: 'truncated' } } });
    const s = snmp.createV3Session('127.0.0.1', {
      name: 'ops', level: snmp.SecurityLevel.authPriv, authProtocol: snmp.AuthProtocols.sha, authKey: 'auth-secret-1',
      privProtocol: snmp.PrivProtocols.aes, privKey: 'priv-secret-1',
    }, { port: fleet.devices[0].port, timeout: 300, retries: 0 });
    s.on('error', () => undefined);
    try {
      await assert.rejects(new Promise((resolve, reject) => s.get(['1.3.6.1.2.1.1.5.0'], (e: Error, v: unknown) => (e ? reject(e) : resolve(v)))));
      assert.ok(fleet.stats().responses >= 1, 'it did answer, with broken bytes');
    } finally {
      s.close();
    }
  });
});
