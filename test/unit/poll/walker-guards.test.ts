/**
 * Issue 14, defect 4: a walk whose agent answers an OID not after the one asked (back
 * out of the subtree, or back within it) stops with "OID not increasing", keeps what
 * it collected only when asked to, and never loops.
 */
import { strict as assert } from 'assert';
import { buildProfile } from '../../../src/lib/snmp/profile';
import { FleetEngine } from '../../../src/lib/poll/fleet-engine';
import { pollWalk, type WalkOptions } from '../../../src/lib/poll/device-poll';
import { compareOids } from '../../../src/lib/common/oid';
import { startScriptedAgent, varbind, octets, int, type ScriptedAgent, type ParsedRequest } from '../../support/fake-agent';

const IF_DESCR = '1.3.6.1.2.1.2.2.1.2';
const IF_TYPE = '1.3.6.1.2.1.2.2.1.3';
const SYS_DESCR = '1.3.6.1.2.1.1.1.0';
const END_OF_MIB_VIEW = Buffer.from([0x82, 0x00]);

/** The agent's MIB view: sorted OIDs with their values; `next` may be overridden to lie. */
function view(rows: number): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [[SYS_DESCR, octets('hostile')]];
  for (let r = 1; r <= rows; r++) out.push([`${IF_DESCR}.${r}`, octets(`eth${r}`)]);
  for (let r = 1; r <= rows; r++) out.push([`${IF_TYPE}.${r}`, int(6)]);
  out.push(['1.3.6.1.2.1.2.2.1.4.1', int(1500)]);
  return out;
}

/**
 * GETNEXT / GETBULK over `entries`, except that the successor of an OID in `lies` is
 * the OID named there (wherever it sorts).
 */
function answerer(entries: Array<[string, Buffer]>, lies: Record<string, string> = {}): (req: ParsedRequest) => Buffer[] {
  const byOid = new Map(entries);
  const next = (oid: string): [string, Buffer] | undefined => {
    if (lies[oid]) return [lies[oid], byOid.get(lies[oid]) ?? octets('lie')];
    return entries.find(([o]) => compareOids(o, oid) > 0);
  };
  return (req) => {
    const bulk = req.pduType === 0xa5;
    const nr = bulk ? Math.min(req.nonRepeaters, req.oids.length) : 0;
    const reps = bulk ? Math.max(1, req.maxRepetitions) : 1;
    const vbs: Buffer[] = [];
    for (let i = 0; i < nr; i++) {
      const n = next(req.oids[i]);
      vbs.push(n ? varbind(n[0], n[1]) : varbind(req.oids[i], END_OF_MIB_VIEW));
    }
    const cursors = req.oids.slice(nr);
    for (let r = 0; r < reps; r++) {
      for (let j = 0; j < cursors.length; j++) {
        const n = next(cursors[j]);
        if (!n) {
          vbs.push(varbind(cursors[j], END_OF_MIB_VIEW));
          continue;
        }
        vbs.push(varbind(n[0], n[1]));
        cursors[j] = n[0];
      }
    }
    return vbs;
  };
}

describe('walk guards (issue 14, defect 4)', function () {
  this.timeout(30000);
  let agent: ScriptedAgent | undefined;
  let engine: FleetEngine | undefined;
  afterEach(async () => {
    engine?.close();
    engine = undefined;
    if (agent) await agent.close();
    agent = undefined;
  });

  async function walk(answer: (req: ParsedRequest) => Buffer[], roots: string[], opts: Partial<WalkOptions> = {}, version: '1' | '2c' = '2c') {
    agent = await startScriptedAgent(answer);
    const profile = buildProfile({ version, timeout: 1000, retries: 0, deadline: 5000 }, { community: 'public' });
    engine = new FleetEngine(profile);
    return pollWalk({ pool: engine.pool, profile }, { host: '127.0.0.1', port: agent.port, name: 'agent', labels: {} }, roots, { nonRepeaters: 0, maxRepetitions: 2, maxVarbinds: 1000, ...opts });
  }

  it('ends a column at the first OID after it, outside its subtree', async () => {
    const r = await walk(answerer(view(3)), [IF_DESCR]);
    assert.ok(r.ok, JSON.stringify(r));
    if (r.ok) assert.deepEqual(r.varbinds.map((v) => v.value), ['eth1', 'eth2', 'eth3']);
  });

  for (const version of ['2c', '1'] as const) {
    it(`fails with "OID not increasing" when the agent jumps back out of the subtree (v${version})`, async () => {
      // after ifDescr.2 the agent answers sysDescr.0: before the column, not its end
      const r = await walk(answerer(view(5), { [`${IF_DESCR}.2`]: SYS_DESCR }), [IF_DESCR], {}, version);
      assert.equal(r.ok, false, 'a truncated walk is not reported as complete');
      if (r.ok) return;
      assert.equal(r.failure.code, 'bad-response');
      assert.match(r.failure.message, /^OID not increasing: the agent returned 1\.3\.6\.1\.2\.1\.1\.1\.0 after 1\.3\.6\.1\.2\.1\.2\.2\.1\.2\.2/);
    });
  }

  it('fails on an OID that goes back within the subtree, or repeats', async () => {
    let r = await walk(answerer(view(5), { [`${IF_DESCR}.3`]: `${IF_DESCR}.1` }), [IF_DESCR]);
    assert.ok(!r.ok && /OID not increasing/.test(r.failure.message), JSON.stringify(r));
    await agent!.close();
    engine!.close();
    r = await walk(answerer(view(5), { [`${IF_DESCR}.2`]: `${IF_DESCR}.2` }), [IF_DESCR]);
    assert.ok(!r.ok && /OID not increasing/.test(r.failure.message), JSON.stringify(r));
  });

  it('never loops on an agent that answers the same varbind forever', async () => {
    const r = await walk(() => [varbind(`${IF_DESCR}.1`, octets('eth1'))], [IF_DESCR], { maxRepetitions: 1 });
    assert.ok(!r.ok && /OID not increasing/.test(r.failure.message), JSON.stringify(r));
    assert.equal(agent!.requests.length, 2, 'the second answer repeats the first: stop there');
  });

  it('keeps what came before the stop, marked incomplete, when asked to', async () => {
    const r = await walk(answerer(view(5), { [`${IF_DESCR}.3`]: SYS_DESCR }), [IF_DESCR, IF_TYPE], { keepPartial: true });
    assert.ok(r.ok, JSON.stringify(r));
    if (!r.ok) return;
    assert.equal(r.incomplete?.code, 'bad-response');
    assert.match(r.incomplete!.message, /^OID not increasing/);
    // lock-step: both columns got rows 1-2 in the first GETBULK, then ifDescr went back
    assert.deepEqual(r.varbinds.map((v) => v.oid), [`${IF_DESCR}.1`, `${IF_DESCR}.2`, `${IF_DESCR}.3`, `${IF_TYPE}.1`, `${IF_TYPE}.2`]);
  });

  it('keeps exactly maxVarbinds varbinds past the cap when asked to, and fails without', async () => {
    let r = await walk(answerer(view(10)), [IF_DESCR], { maxVarbinds: 4, keepPartial: true });
    assert.ok(r.ok && r.varbinds.length === 4 && /cap of 4 varbinds/.test(r.incomplete?.message ?? ''), JSON.stringify(r));
    await agent!.close();
    engine!.close();
    r = await walk(answerer(view(10)), [IF_DESCR], { maxVarbinds: 4 });
    assert.ok(!r.ok && /cap of 4 varbinds/.test(r.failure.message), JSON.stringify(r));
  });

  it('asks the non-repeaters again when an answer too big for the agent came back empty', async () => {
    // an agent that cannot fit more than 2 repetitions answers an empty list, as some do instead of tooBig
    const full = answerer(view(3));
    const r = await walk((req) => (req.maxRepetitions > 2 ? [] : full(req)), [SYS_DESCR.slice(0, -2), IF_DESCR], { nonRepeaters: 1, maxRepetitions: 8 });
    assert.ok(r.ok, JSON.stringify(r));
    if (!r.ok) return;
    assert.equal(r.incomplete, undefined);
    assert.deepEqual(r.varbinds.map((v) => v.value), ['hostile', 'eth1', 'eth2', 'eth3'], 'sysDescr.0 (the non-repeater), then the column');
    assert.deepEqual(agent!.requests.map((q) => [q.nonRepeaters, q.maxRepetitions]).slice(0, 3), [[1, 8], [1, 4], [1, 2]]);
  });

  it('fails, not succeeds empty, when an answer lacks the non-repeaters', async () => {
    const r = await walk(() => [], [SYS_DESCR.slice(0, -2)], { nonRepeaters: 1, maxRepetitions: 1 });
    assert.ok(!r.ok && r.failure.code === 'bad-response' && /answered 0 of 1 non-repeaters/.test(r.failure.message), JSON.stringify(r));
  });

  it('still ends at endOfMibView with the OID asked', async () => {
    const entries = view(3).filter(([o]) => o.startsWith(IF_DESCR) || o === SYS_DESCR);
    const r = await walk(answerer(entries), [IF_DESCR], { maxRepetitions: 10 });
    assert.ok(r.ok && r.varbinds.length === 3 && !r.incomplete, JSON.stringify(r));
  });
});
