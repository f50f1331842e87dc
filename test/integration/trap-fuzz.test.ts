/**
 * The fuzz test of the trap receiver: over 10,000 mutated copies of valid v1, v2c and
 * v3 packets (captured from snmptrap), random datagrams and the issue's 45-byte v2c
 * inform with a 5-octet request-id (which kills net-snmp 3.29.2's receiver), sent while
 * community `public` is accepted. The runtime stays up, every datagram is counted, and a
 * valid trap sent afterwards arrives.
 */
import { strict as assert } from 'assert';
import { helper, collect } from '../support/flow';
import { findListener } from '../../src/lib/trap/registry';
import type { TrapListener } from '../../src/lib/trap/listener';
import { FIXTURE_USERS, freePort, packet, requireTool, runTool, Sender, waitFor } from '../fixtures/packets/tools';

const snmpConfigNode = require('../../src/snmp-config');
const trapInNode = require('../../src/trap-in');

const SEEDS = ['v1-generic', 'v1-specific', 'v2c-trap', 'v2c-inform', 'v3-alice-sha256-aes', 'v3-bob-md5-des', 'v3-carol-sha-noPriv'];
const MUTANTS = 10_000;
const RANDOM = 1_000;
const ISSUE_PACKET_COPIES = 10;
const BATCH = 250;

/** mulberry32: a seeded PRNG so a failure can be replayed with the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(seed: Buffer, rand: () => number): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  const buf = Buffer.from(seed);
  switch (int(6)) {
    case 0: // flip a few bytes
      for (let i = 0, n = 1 + int(4); i < n; i++) buf[int(buf.length)] = int(256);
      return buf;
    case 1: // truncate
      return buf.subarray(0, int(buf.length));
    case 2: { // a length octet made long-form, indefinite or huge
      const at = int(buf.length);
      buf[at] = [0x80, 0x81, 0x84, 0x85, 0xff][int(5)];
      return buf;
    }
    case 3: { // duplicate a chunk in the middle
      const from = int(buf.length);
      const len = int(Math.min(40, buf.length - from));
      return Buffer.concat([buf.subarray(0, from), buf.subarray(from, from + len), buf.subarray(from)]);
    }
    case 4: // a single bit
      buf[int(buf.length)] ^= 1 << int(8);
      return buf;
    default: // trailing garbage
      return Buffer.concat([buf, Buffer.from(Array.from({ length: 1 + int(16) }, () => int(256)))]);
  }
}

describe('trap-in fuzz', function () {
  this.timeout(120000);

  before(() => requireTool('snmptrap'));
  afterEach(async () => {
    await helper.unload();
  });

  it(`survives ${MUTANTS} mutated packets, ${RANDOM} random datagrams and the 45-byte inform, counting each`, async () => {
    const port = await freePort();
    const flow = [
      { id: 'tab', type: 'tab', label: 'fuzz' },
      { id: 'pub', type: 'snmp-config', z: 'tab', version: '2c' },
      { id: 'cfg-alice', type: 'snmp-config', z: 'tab', version: '3', user: 'alice', securityLevel: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes' },
      { id: 'cfg-bob', type: 'snmp-config', z: 'tab', version: '3', user: 'bob', securityLevel: 'authPriv', authProtocol: 'md5', privProtocol: 'des' },
      { id: 'cfg-carol', type: 'snmp-config', z: 'tab', version: '3', user: 'carol', securityLevel: 'authNoPriv', authProtocol: 'sha' },
      { id: 'trap', type: 'trap-in', z: 'tab', snmp: 'pub', snmp2: 'cfg-alice', snmp3: 'cfg-bob', snmp4: 'cfg-carol', port, address: '127.0.0.1', rateLimit: 0, wires: [['ok'], ['rejected']] },
      { id: 'ok', type: 'helper', z: 'tab' },
      { id: 'rejected', type: 'helper', z: 'tab' },
    ];
    await helper.load([snmpConfigNode, trapInNode], flow, {
      pub: { community: 'public' },
      'cfg-alice': { authKey: FIXTURE_USERS.alice.authKey, privKey: FIXTURE_USERS.alice.privKey },
      'cfg-bob': { authKey: FIXTURE_USERS.bob.authKey, privKey: FIXTURE_USERS.bob.privKey },
      'cfg-carol': { authKey: FIXTURE_USERS.carol.authKey },
    });
    const ok = collect('ok');
    await waitFor(() => findListener('127.0.0.1', port)?.status.state === 'listening', 'listening');
    const listener = findListener('127.0.0.1', port) as TrapListener;

    const seed = Number(process.env.TRAP_FUZZ_SEED ?? Date.now() % 1e9);
    const rand = prng(seed);
    const seeds = SEEDS.map(packet);
    const issue = packet('issue-45-byte-inform');
    const datagrams: Buffer[] = [];
    for (let i = 0; i < MUTANTS; i++) datagrams.push(mutate(seeds[i % seeds.length], rand));
    for (let i = 0; i < RANDOM; i++) datagrams.push(Buffer.from(Array.from({ length: Math.floor(rand() * 600) }, () => Math.floor(rand() * 256))));
    for (let i = 0; i < ISSUE_PACKET_COPIES; i++) datagrams.splice(Math.floor(rand() * datagrams.length), 0, issue);

    const sender = new Sender();
    try {
      let sent = 0;
      for (let i = 0; i < datagrams.length; i += BATCH) {
        const batch = datagrams.slice(i, i + BATCH);
        await Promise.all(batch.map((d) => sender.send(d, port)));
        sent += batch.length;
        // bounded batches: wait until the listener has counted them, so none is lost in the kernel
        await waitFor(() => listener.stats.received === sent, `batch ${i / BATCH} counted (seed ${seed})`, 10_000);
      }
      const s = listener.stats;
      assert.equal(s.received, datagrams.length, `seed ${seed}`);
      assert.equal(s.received, s.accepted + s.rejected + s.malformed + s.rateLimited + s.discovery, `every datagram counted once (seed ${seed})`);
      assert.equal(s.internalErrors, 0, `no unexpected exception (seed ${seed})`);
      assert.ok(s.malformed >= ISSUE_PACKET_COPIES, 'the 45-byte inform and other broken packets are malformed');
      assert.ok(s.rejected > 0 && s.accepted > 0, 'mutants reach authentication and beyond');
      console.log(`      fuzz seed ${seed}: ${JSON.stringify(s)}`);
    } finally {
      sender.close();
    }

    // still alive: a real trap sent afterwards arrives
    const before = ok.msgs.length;
    const r = await runTool(['snmptrap', '-v2c', '-c', 'public', '-m', '', `udp:127.0.0.1:${port}`, '1', '1.3.6.1.6.3.1.1.5.1']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor(() => ok.msgs.some((m, i) => i >= before && m.trap.oid === '1.3.6.1.6.3.1.1.5.1' && m.trap.uptime === 1), 'the trap after the fuzz');
  });
});
