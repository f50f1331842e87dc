/**
 * The fuzz test of poll responses (issue 14): GETs and walks whose answers are mutated
 * on the way back, from two sources: the corpus of test/fixtures/poll-responses (Debian
 * snmpd's answers and hand-written edge cases, asked the question each answers) and the
 * simulator's live answers to the poller's actual requests (walks go on, request after
 * request). Each mutated answer is followed by the valid one, so a poll never waits for
 * a timeout: the run is fast and every datagram reaches net-snmp, our codec, the walker
 * and counter-rate.
 *
 * The network is replaced in the process (the shared socket's send and delivery), so
 * the run is repeatable: iteration i draws from a PRNG seeded with (seed, i) alone.
 * POLL_FUZZ_SEED and POLL_FUZZ_ITERATIONS change the seed and the length; a failure
 * names the iteration and its seed.
 *
 * What must hold: nothing throws out of the pool or escapes as an unhandled rejection;
 * every poll ends with a success whose every value is JSON-ready (finite numbers, text,
 * null; Counter64 exact as decimal text) or a failure with one of the five codes and
 * no community in its message; counter-rate turns any walk into finite, non-negative
 * rates; and the pool still polls correctly afterwards.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { buildProfile } from '../../../src/lib/snmp/profile';
import { SessionPool } from '../../../src/lib/snmp/session-pool';
import { pollGet, pollWalk, type PollResult } from '../../../src/lib/poll/device-poll';
import { buildRows, payloadObject } from '../../../src/lib/poll/messages';
import { CounterRateEngine } from '../../../src/lib/counter-rate/engine';
import { getMibService } from '../../../src/lib/mib';
import { DeviceModel } from '../../../src/sim/device';
import { treeFor } from '../../../src/sim/tree';
import { answerCommunity } from '../../../src/sim/agent';
import { decodeCommunityRequest } from '../../../src/sim/ber';
import { int, octets, seq, tlv, parseRequest } from '../../support/fake-agent';
import { seededRandom } from '../../support/udp-relay';
import type { CorpusEntry } from '../../fixtures/poll-responses/capture';

const SEED = Number(process.env.POLL_FUZZ_SEED ?? 14014);
const ITERATIONS = Number(process.env.POLL_FUZZ_ITERATIONS ?? 8_000);
/** Polls in flight at once, each on its own device (session). */
const LANES = 16;
const COMMUNITY = 'fuzz-S3cret-community';
const CORPUS: CorpusEntry[] = JSON.parse(fs.readFileSync(path.join(__dirname, '../../fixtures/poll-responses/corpus.json'), 'utf8'));
const CODES = new Set(['timeout', 'unreachable', 'auth', 'snmp-error', 'bad-response']);
const SMI_TYPES = new Set(['Boolean', 'Integer', 'OctetString', 'Null', 'OID', 'IpAddress', 'Counter32', 'Gauge32', 'TimeTicks', 'Opaque', 'Integer32', 'Counter64', 'NoSuchObject', 'NoSuchInstance', 'EndOfMibView', 'Unsigned32']);
/** Tags a mutation may swap for one another. */
const TAGS = [0x02, 0x04, 0x05, 0x06, 0x30, 0x40, 0x41, 0x42, 0x43, 0x44, 0x46, 0x80, 0x81, 0x82, 0xa2, 0xa8];

/** Walked on the simulated device: sysUpTime once, then interface columns in lock-step. */
const WALK_ROOTS = ['1.3.6.1.2.1.1.3', '1.3.6.1.2.1.2.2.1.2', '1.3.6.1.2.1.2.2.1.8', '1.3.6.1.2.1.31.1.1.1.6', '1.3.6.1.2.1.2.2.1.10'];
const LIVE_GET = ['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.2.2.1.6.1', '1.3.6.1.2.1.31.1.1.1.6.2', '1.3.6.1.2.1.1.2.0'];

// ------------------------------------------------------------------ mutations

function mutateOnce(input: Buffer, rand: () => number): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  if (input.length === 0) return Buffer.from([int(256)]);
  const buf = Buffer.from(input);
  switch (int(9)) {
    case 0: // a few bytes set at random
      for (let i = 0, n = 1 + int(3); i < n; i++) buf[int(buf.length)] = int(256);
      return buf;
    case 1: // truncated
      return buf.subarray(0, int(buf.length));
    case 2: { // a length octet made long-form, indefinite or huge
      buf[int(buf.length)] = [0x00, 0x7f, 0x80, 0x81, 0x84, 0x85, 0xff][int(7)];
      return buf;
    }
    case 3: { // a chunk doubled
      const from = int(buf.length);
      const len = int(Math.min(40, buf.length - from));
      return Buffer.concat([buf.subarray(0, from), buf.subarray(from, from + len), buf.subarray(from)]);
    }
    case 4: // one bit
      buf[int(buf.length)] ^= 1 << int(8);
      return buf;
    case 5: { // one tag for another
      const at: number[] = [];
      for (let i = 0; i < buf.length; i++) if (TAGS.includes(buf[i])) at.push(i);
      if (at.length > 0) buf[at[int(at.length)]] = TAGS[int(TAGS.length)];
      return buf;
    }
    case 6: { // a chunk removed
      const from = int(buf.length);
      return Buffer.concat([buf.subarray(0, from), buf.subarray(from + 1 + int(8))]);
    }
    case 7: { // an OID arc pushed up or down (walks then go back or jump)
      const at: number[] = [];
      for (let i = 0; i + 2 < buf.length; i++) if (buf[i] === 0x06 && buf[i + 1] > 2 && buf[i + 1] < 0x40) at.push(i);
      if (at.length > 0) {
        const o = at[int(at.length)];
        const k = o + 2 + int(buf[o + 1]);
        buf[k] = (buf[k] & 0x80) | int(128);
      }
      return buf;
    }
    default: // trailing bytes
      return Buffer.concat([buf, Buffer.from(Array.from({ length: 1 + int(16) }, () => int(256)))]);
  }
}

function mutate(input: Buffer, rand: () => number): Buffer {
  let out = input;
  for (let i = 0, n = 1 + Math.floor(rand() * 3); i < n; i++) out = mutateOnce(out, rand);
  return out;
}

/** A corpus answer re-addressed to a request: its request-id and community. */
function readdress(template: Buffer, request: Buffer): Buffer | undefined {
  const req = parseRequest(request);
  if (!req) return undefined;
  // template: SEQUENCE { version, community, PDU { request-id, rest } }
  let i = 0;
  const readLen = (): number => {
    let l = template[i++];
    if (l & 0x80) {
      const n = l & 0x7f;
      l = 0;
      for (let k = 0; k < n; k++) l = l * 256 + template[i++];
    }
    return l;
  };
  i++; // SEQUENCE
  readLen();
  i++; // version INTEGER
  const vl = readLen();
  const version = template.subarray(i, i + vl);
  i += vl;
  i++; // community OCTET STRING
  const cl = readLen();
  i += cl;
  const pduTag = template[i++];
  const pduLen = readLen();
  const pduEnd = i + pduLen;
  i++; // request-id INTEGER
  const rl = readLen();
  i += rl;
  const rest = template.subarray(i, pduEnd);
  return seq(tlv(0x02, version), octets(req.community), tlv(pduTag, Buffer.concat([tlv(0x02, req.reqId), rest])));
}

// ------------------------------------------------------------------ checks

function checkResult(r: PollResult, where: string): void {
  if (!r.ok) {
    assert.ok(CODES.has(r.failure.code), `${where}: code ${r.failure.code}`);
    assert.ok(typeof r.failure.message === 'string' && r.failure.message.length > 0, `${where}: a message`);
    assert.ok(!r.failure.message.includes(COMMUNITY), `${where}: no community in "${r.failure.message}"`);
    return;
  }
  for (const vb of r.varbinds) {
    assert.ok(/^\d+(\.\d+)*$/.test(vb.oid), `${where}: oid ${vb.oid}`);
    assert.ok(typeof vb.name === 'string' && vb.name.length > 0, `${where}: name`);
    assert.ok(SMI_TYPES.has(vb.type), `${where}: type ${vb.type}`);
    const v = vb.value;
    assert.ok(v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)), `${where}: value ${String(v)} of ${vb.oid}`);
    if (vb.exact !== undefined) assert.ok(/^\d+$/.test(vb.exact) && BigInt(vb.exact) < 2n ** 64n, `${where}: exact ${vb.exact}`);
  }
  assert.doesNotThrow(() => JSON.stringify(r.varbinds), `${where}: JSON`);
}

// ------------------------------------------------------------------ harness

type Mode = 'corpus' | 'live-get' | 'live-walk';

interface Lane {
  port: number;
  rand: () => number;
  mode: Mode;
  entry?: CorpusEntry;
  /** Chance that an answer of this iteration is mutated. */
  mutation: number;
}

describe('poll-response fuzz (issue 14)', function () {
  this.timeout(300_000);
  const mib = getMibService();

  it(`survives ${ITERATIONS} polls with mutated answers (corpus and live), seed ${SEED}`, async () => {
    const profiles = {
      0: buildProfile({ version: '1', timeout: 400, retries: 0, deadline: 1500 }, { community: COMMUNITY }),
      1: buildProfile({ version: '2c', timeout: 400, retries: 0, deadline: 1500, maxRepetitions: 4 }, { community: COMMUNITY }),
    } as const;
    const pools = { 0: new SessionPool(profiles[0]), 1: new SessionPool(profiles[1]) };
    const model = new DeviceModel({ index: 0, name: 'fuzz', seed: 1, tree: treeFor(6), now: Date.now(), sysDescr: 'fuzz agent', sysContact: 'x', sysLocation: 'y' });
    const lanes = new Map<number, Lane>();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const outcome = new Map<string, number>();
    const count = (k: string) => outcome.set(k, (outcome.get(k) ?? 0) + 1);
    const rates = new CounterRateEngine({ width: 'auto', mode: 'rate', scale: 8, expireMs: 3600_000 });
    let sent = 0;

    const deliver = (pool: SessionPool, buf: Buffer, port: number) => {
      (pool.mux as any).deliver(buf, { address: '127.0.0.1', port, family: 'IPv4', size: buf.length });
    };
    for (const version of [0, 1] as const) {
      const pool = pools[version];
      // the shared socket's send, replaced: the answer comes from the lane of the port
      (pool.mux as any).send = (buf: Buffer, port: number, _address: string, cb?: (err: Error | null, n?: number) => void) => {
        sent++;
        const request = Buffer.from(buf);
        if (cb) process.nextTick(cb, null, request.length);
        setImmediate(() => {
          const lane = lanes.get(port);
          if (!lane) return;
          let valid: Buffer | null | undefined;
          if (lane.mode === 'corpus') {
            valid = readdress(Buffer.from(lane.entry!.hex, 'hex'), request);
          } else {
            try {
              valid = answerCommunity(model, decodeCommunityRequest(request), { maxMessageSize: 1472, now: Date.now(), malformed: null, seed: 1 });
            } catch {
              valid = undefined;
            }
          }
          if (!valid) return;
          if (lane.rand() < lane.mutation) deliver(pool, mutate(valid, lane.rand), port);
          // then the valid answer: taken when the mutant did not answer the request
          setImmediate(() => deliver(pool, valid!, port));
        });
      };
    }

    const runIteration = async (i: number, port: number): Promise<void> => {
      const rand = seededRandom((SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
      const pick = rand();
      const mode: Mode = pick < 0.5 ? 'corpus' : pick < 0.7 ? 'live-get' : 'live-walk';
      const lane: Lane = { port, rand, mode, mutation: 0.85 };
      let version: 0 | 1;
      if (mode === 'corpus') {
        lane.entry = CORPUS[Math.floor(rand() * CORPUS.length)];
        version = lane.entry.version;
      } else {
        version = rand() < 0.3 ? 0 : 1;
      }
      lanes.set(port, lane);
      const device = { host: '127.0.0.1', port, name: `lane-${port}`, labels: {} };
      const ctx = { pool: pools[version], profile: profiles[version], mib };
      const where = `iteration ${i} (seed ${SEED}, ${mode}${lane.entry ? ` ${lane.entry.name}` : ''}, v${version === 0 ? '1' : '2c'})`;
      let result: PollResult;
      if (mode === 'live-walk' || (mode === 'corpus' && lane.entry!.request !== 'get')) {
        const roots = mode === 'corpus' ? lane.entry!.oids : WALK_ROOTS;
        const nonRepeaters = mode === 'corpus' ? lane.entry!.nonRepeaters ?? 0 : 1;
        result = await pollWalk(ctx, device, roots, { nonRepeaters, maxRepetitions: 4, maxVarbinds: 500, keepPartial: rand() < 0.5 });
        checkResult(result, where);
        if (result.ok) {
          const { rows, types } = buildRows(result, mib);
          assert.doesNotThrow(() => JSON.stringify(rows), where);
          // counter-rate takes whatever a walk gave: only finite, non-negative rates come out
          const time = 1_700_000_000_000 + i * 60_000;
          rates.process({ topic: device.name, key: `127.0.0.1:${port}`, payload: rows, varbinds: result.varbinds, types, time });
          for (const row of rows) {
            for (const [k, v] of Object.entries(row)) {
              if (typeof v === 'number') assert.ok(Number.isFinite(v) && (types[k] === undefined || !/^Counter/.test(types[k]) || v >= 0), `${where}: ${k} = ${v}`);
            }
          }
        }
      } else {
        const oids = mode === 'corpus' ? lane.entry!.oids : LIVE_GET;
        result = await pollGet(ctx, device, oids);
        checkResult(result, where);
        const got = result;
        if (got.ok) assert.doesNotThrow(() => JSON.stringify(payloadObject(got.varbinds, got.infos)), where);
      }
      count(result.ok ? (result.incomplete ? 'ok, incomplete' : 'ok') : result.failure.code);
    };

    const started = Date.now();
    try {
      let next = 0;
      await Promise.all(Array.from({ length: LANES }, async (_, k) => {
        const port = 20000 + k;
        while (next < ITERATIONS) {
          const i = next++;
          await runIteration(i, port);
        }
      }));
      // after all that, a clean answer is still read right on every lane's session
      for (const [port, lane] of lanes) {
        lane.mode = 'live-get';
        lane.mutation = 0;
        const r = await pollGet({ pool: pools[1], profile: profiles[1], mib }, { host: '127.0.0.1', port, name: 'after', labels: {} }, ['1.3.6.1.2.1.1.5.0']);
        assert.ok(r.ok && r.varbinds[0].value === 'fuzz', `lane ${port} after the fuzz: ${JSON.stringify(r)}`);
      }
      assert.deepEqual(unhandled, [], 'no unhandled rejection');
      const stats = { ...pools[0].stats, muxMalformed: pools[0].mux.stats.malformed };
      const stats2 = { ...pools[1].stats, muxMalformed: pools[1].mux.stats.malformed };
      const malformed = stats.malformed + stats2.malformed;
      assert.ok(malformed > ITERATIONS / 10, `mutants reached the parser and were counted (${malformed})`);
      assert.ok((outcome.get('ok') ?? 0) > ITERATIONS / 10 && (outcome.get('bad-response') ?? 0) > ITERATIONS / 20, JSON.stringify([...outcome]));
      console.log(`      ${ITERATIONS} polls, ${sent} requests in ${((Date.now() - started) / 1000).toFixed(1)} s; outcomes ${JSON.stringify(Object.fromEntries(outcome))}; v1 pool ${JSON.stringify(stats)}, v2c pool ${JSON.stringify(stats2)}`);
    } finally {
      process.removeListener('unhandledRejection', onUnhandled);
      pools[0].close();
      pools[1].close();
    }
  });
});
