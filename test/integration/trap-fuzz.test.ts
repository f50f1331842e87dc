/**
 * Repeatable fuzzing of the trap receiver, from a fixed seed (TRAP_FUZZ_SEED tries
 * another) and the corpus of test/fixtures/trap-corpus plus the snmptrap captures of
 * test/fixtures/packets:
 *
 * 1. every corpus entry ends as expected.json says (the regressions stay fixed);
 * 2. in process, 200,000 mutants through two fresh listeners with a stopped clock give
 *    the same counters both times (the run is repeatable), each datagram counted once,
 *    no exception but MalformedPacket;
 * 3. over UDP, 60,000 mutants, random datagrams and corpus entries (the issue's 45-byte
 *    inform among them, which kills net-snmp 3.29.2's receiver) through a real trap-in
 *    node in Node-RED: the runtime stays up, every datagram is counted, and a trap sent
 *    with snmptrap afterwards arrives.
 *
 * A datagram that breaks an assertion is printed as hex with the seed and its index:
 * add it to the corpus.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { helper, collect } from '../support/flow';
import { AllowList } from '../../src/lib/trap/allow-list';
import { findListener } from '../../src/lib/trap/registry';
import { TrapListener, type TrapStats, type TrapSubscriber } from '../../src/lib/trap/listener';
import { RemoteClocks, ReplayCache } from '../../src/lib/trap/usm';
import { FIXTURE_USERS, freePort, requireTool, runTool, Sender, waitFor } from '../fixtures/packets/tools';

const snmpConfigNode = require('../../src/snmp-config');
const trapInNode = require('../../src/trap-in');

const SEED = Number(process.env.TRAP_FUZZ_SEED ?? 0x7a9f14);
const IN_PROCESS = 200_000;
const OVER_UDP = 60_000;
const RANDOM_SHARE = 0.08;
const BATCH = 500;

const CORPUS = path.join(__dirname, '..', 'fixtures', 'trap-corpus');
const EXPECTED: Record<string, string> = JSON.parse(fs.readFileSync(path.join(CORPUS, 'expected.json'), 'utf8'));
const corpus: Array<{ name: string; buf: Buffer }> = Object.keys(EXPECTED).map((name) => ({
  name,
  buf: Buffer.from(fs.readFileSync(path.join(CORPUS, `${name}.hex`), 'utf8').trim(), 'hex'),
}));

/** mulberry32: a small seeded PRNG; the same seed gives the same datagrams. */
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

function mutate(seed: Buffer, other: Buffer, rand: () => number): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  const buf = Buffer.from(seed);
  switch (int(9)) {
    case 0: // flip a few bytes
      for (let i = 0, n = 1 + int(4); i < n; i++) buf[int(buf.length)] = int(256);
      return buf;
    case 1: // truncate
      return buf.subarray(0, int(buf.length));
    case 2: { // a length octet made long-form, indefinite or huge
      buf[int(buf.length)] = [0x80, 0x81, 0x82, 0x84, 0x85, 0xff][int(6)];
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
    case 5: { // a tag swapped for another of the grammar
      buf[int(buf.length)] = [0x02, 0x04, 0x05, 0x06, 0x30, 0x40, 0x41, 0x43, 0x44, 0x46, 0x80, 0xa4, 0xa6, 0xa7, 0xa8][int(15)];
      return buf;
    }
    case 6: { // a chunk of another seed spliced in
      const at = int(buf.length);
      const from = int(other.length);
      return Buffer.concat([buf.subarray(0, at), other.subarray(from, from + 1 + int(60)), buf.subarray(at)]);
    }
    case 7: { // a length made larger or smaller by a little
      const at = int(buf.length);
      buf[at] = (buf[at] + (rand() < 0.5 ? 1 : 255)) & 0xff;
      return buf;
    }
    default: // trailing garbage
      return Buffer.concat([buf, Buffer.from(Array.from({ length: 1 + int(16) }, () => int(256)))]);
  }
}

/** `count` datagrams from the seed: mutants of corpus entries and a share of random bytes. */
function datagrams(seed: number, count: number): Buffer[] {
  const rand = prng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    if (rand() < RANDOM_SHARE) {
      out.push(Buffer.from(Array.from({ length: Math.floor(rand() * 600) }, () => Math.floor(rand() * 256))));
    } else {
      const a = corpus[Math.floor(rand() * corpus.length)].buf;
      const b = corpus[Math.floor(rand() * corpus.length)].buf;
      out.push(mutate(a, b, rand));
    }
  }
  return out;
}

function fullyCounted(s: TrapStats): boolean {
  return s.received === s.accepted + s.rejected + s.malformed + s.rateLimited + s.discovery;
}

/** A listener with the fixtures' credentials and a stopped clock: its outcome depends on the datagrams alone. */
function quietListener(): { listener: TrapListener; outcomes: string[] } {
  const now = () => Date.UTC(2026, 0, 1);
  const listener = new TrapListener(
    { address: '127.0.0.1', port: 0, rcvbuf: 0, allow: new AllowList(''), rateLimit: 0 },
    { engineId: Buffer.from('8000b98380f0f1f2f3f4f5f6f7', 'hex'), engineBoots: 1, now, clocks: new RemoteClocks(now), replays: new ReplayCache(now) },
  );
  const outcomes: string[] = [];
  const sub: TrapSubscriber = {
    credentials: { communities: ['public'], users: [FIXTURE_USERS.alice, FIXTURE_USERS.bob, FIXTURE_USERS.carol] },
    onNotification: () => outcomes.push('accepted'),
    onRejected: (r) => outcomes.push(`rejected:${r.reason}`),
    onStatus: () => undefined,
  };
  // never started: it has no socket, so the replies to informs and probes go nowhere
  listener.subscribe(sub);
  return { listener, outcomes };
}

describe('trap-in fuzz (seeded, with a corpus)', function () {
  this.timeout(300_000);

  before(() => requireTool('snmptrap'));
  afterEach(async () => {
    await helper.unload();
  });

  it('ends every corpus entry as expected.json says', () => {
    for (const { name, buf } of corpus) {
      const { listener, outcomes } = quietListener();
      listener.handle(buf, { address: '127.0.0.1', port: 40000, family: 'IPv4', size: buf.length });
      const got = outcomes[0] ?? (listener.stats.malformed ? 'malformed' : 'nothing');
      assert.equal(got, EXPECTED[name], `${name}: ${buf.toString('hex')}`);
      assert.equal(listener.stats.internalErrors, 0, name);
    }
  });

  it(`gives the same counters twice for ${IN_PROCESS.toLocaleString('en')} mutants of seed ${SEED}, throwing nothing`, () => {
    const all = datagrams(SEED, IN_PROCESS);
    const runs: TrapStats[] = [];
    for (let run = 0; run < 2; run++) {
      const { listener } = quietListener();
      for (let i = 0; i < all.length; i++) {
        const internal = listener.stats.internalErrors;
        listener.handle(all[i], { address: `10.0.${(i >> 8) & 255}.${i & 255}`, port: 40000, family: 'IPv4', size: all[i].length });
        if (listener.stats.internalErrors !== internal) assert.fail(`an unexpected exception on datagram ${i} of seed ${SEED}: ${all[i].toString('hex')}`);
      }
      assert.ok(fullyCounted(listener.stats), JSON.stringify(listener.stats));
      runs.push({ ...listener.stats });
    }
    assert.deepEqual(runs[1], runs[0], 'the same seed, the same outcome');
    const s = runs[0];
    assert.equal(s.received, IN_PROCESS);
    // the mutants reach every stage: decoding, authentication and delivery
    assert.ok(s.accepted > 1000 && s.rejected > 1000 && s.malformed > 1000, JSON.stringify(s));
    assert.ok(s.truncated > 0, 'some mutants carry more varbinds than the cap');
    console.log(`      seed ${SEED}: ${JSON.stringify(s)}`);
  });

  it(`survives ${OVER_UDP.toLocaleString('en')} datagrams of seed ${SEED} through a trap-in node, counting each`, async () => {
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

    // another stream than the in-process one, with every corpus entry in it too
    const all = datagrams(SEED + 1, OVER_UDP);
    for (const { buf } of corpus) all.splice(Math.floor(prng(SEED)() * all.length), 0, buf);
    const sender = new Sender();
    try {
      let sent = 0;
      for (let i = 0; i < all.length; i += BATCH) {
        const batch = all.slice(i, i + BATCH);
        await Promise.all(batch.map((d) => sender.send(d, port).catch(() => undefined)));
        sent += batch.length;
        // bounded batches: wait until the listener has counted them, so none is lost in the kernel
        await waitFor(() => listener.stats.received === sent, `batch ${i / BATCH} counted (seed ${SEED})`, 30_000);
      }
      const s = listener.stats;
      assert.equal(s.received, all.length);
      assert.ok(fullyCounted(s), `every datagram counted once: ${JSON.stringify(s)}`);
      assert.equal(s.internalErrors, 0, `no unexpected exception (seed ${SEED})`);
      assert.ok(s.accepted > 100 && s.rejected > 100 && s.malformed > 100, JSON.stringify(s));
      console.log(`      seed ${SEED + 1} over UDP: ${JSON.stringify(s)}`);
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
