/**
 * trap-in with snmp-config through node-red-node-test-helper: messages on both
 * outputs, naming from the inventory, status keys, the shared listener and its
 * conflicts, bind failures, the engine ID kept in context, its boots growing across
 * restarts on the default memory store (a captured inform refused), and 50 redeploys of two
 * nodes on one port that leave the port free.
 */
import { strict as assert } from 'assert';
import type * as Dgram from 'dgram';
import { EventEmitter } from 'events';
import * as crypto from 'crypto';
import * as sinon from 'sinon';
import { helper, collect } from '../support/flow';
import { openUdpSockets } from '../support/handles';
import { encodeInteger, encodeOid, Tag, tlv } from '../../src/lib/common/ber';
import { findListener, openListenerCount } from '../../src/lib/trap/registry';
import { encodeV3Message, scopedPdu } from '../../src/lib/trap/respond';
import { UsmUser, type LocalEngine } from '../../src/lib/trap/usm';
import { canBind, FIXTURE_USERS, freePort, packet, Sender, waitFor } from '../fixtures/packets/tools';

// the module object itself, so sinon can replace createSocket
const dgram: typeof Dgram = require('dgram');
const snmpConfigNode = require('../../src/snmp-config');
const trapInNode = require('../../src/trap-in');

const COMMUNITY = 'public';

function flow(port: number, trapProps: Record<string, unknown> = {}, extra: object[] = [], v3Props: Record<string, unknown> = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'cfg', type: 'snmp-config', z: 'tab', name: 'lab', version: '2c', inventory: '127.0.0.1:161 lab-box site=lab' },
    {
      id: 'cfg3', type: 'snmp-config', z: 'tab', name: 'v3', version: '3', user: 'alice', securityLevel: 'authPriv',
      authProtocol: 'sha256', privProtocol: 'aes', ...v3Props,
    },
    { id: 'trap', type: 'trap-in', z: 'tab', name: '', snmp: 'cfg', snmp2: 'cfg3', port, address: '127.0.0.1', wires: [['ok'], ['rejected']], ...trapProps },
    { id: 'ok', type: 'helper', z: 'tab' },
    { id: 'rejected', type: 'helper', z: 'tab' },
    ...extra,
  ];
}
const creds = { cfg: { community: COMMUNITY }, cfg3: { authKey: FIXTURE_USERS.alice.authKey, privKey: FIXTURE_USERS.alice.privKey } };

/** Every status a node has set so far (the helper spies the Node prototype). */
function statuses(id: string): any[] {
  const node = helper.getNode(id);
  return (node.status as unknown as sinon.SinonSpy).getCalls().filter((c) => c.thisValue === node).map((c) => c.args[0]);
}

function lastStatus(id: string): any {
  const all = statuses(id);
  return all[all.length - 1];
}

function logged(key: string, level?: number): any[] {
  return helper.log().args.filter((a: any[]) => a[0] && typeof a[0].msg === 'string' && a[0].msg.startsWith(key) && (level === undefined || a[0].level === level));
}

/** A v3 authPriv inform from alice to the engine `to` at its boots/time, as a sender would put it on the wire. */
function v3Inform(to: { id: Buffer; boots: number; time: number }, requestId: number): Buffer {
  const varbinds = tlv(Tag.Sequence,
    tlv(Tag.Sequence, encodeOid('1.3.6.1.2.1.1.3.0'), encodeInteger(100, Tag.TimeTicks)),
    tlv(Tag.Sequence, encodeOid('1.3.6.1.6.3.1.1.4.1.0'), encodeOid('1.3.6.1.6.3.1.1.5.4')));
  const pdu = tlv(Tag.InformRequest, encodeInteger(requestId), encodeInteger(0), encodeInteger(0), varbinds);
  const user = new UsmUser(FIXTURE_USERS.alice);
  return encodeV3Message({
    msgId: requestId, flags: 3, engine: to as unknown as LocalEngine, userName: user.nameBytes, user,
    scopedPdu: scopedPdu(to.id, Buffer.alloc(0), pdu),
  });
}

/** A v3 authPriv trap from alice at engine `engine` with its boots/time (the sender is authoritative). */
function v3Trap(engine: Buffer, boots: number, time: number, msgId: number): Buffer {
  const varbinds = tlv(Tag.Sequence,
    tlv(Tag.Sequence, encodeOid('1.3.6.1.2.1.1.3.0'), encodeInteger(100, Tag.TimeTicks)),
    tlv(Tag.Sequence, encodeOid('1.3.6.1.6.3.1.1.4.1.0'), encodeOid('1.3.6.1.6.3.1.1.5.3')));
  const pdu = tlv(Tag.TrapV2, encodeInteger(msgId), encodeInteger(0), encodeInteger(0), varbinds);
  const user = new UsmUser(FIXTURE_USERS.alice);
  return encodeV3Message({
    msgId, flags: 3, engine: { id: engine, boots, time } as unknown as LocalEngine, userName: user.nameBytes, user,
    scopedPdu: scopedPdu(engine, Buffer.alloc(0), pdu),
  });
}

/** An engine ID no other test (nor an earlier run in this process) has used. */
function freshEngine(): Buffer {
  return Buffer.concat([Buffer.from('80001f8880', 'hex'), crypto.randomBytes(8)]);
}

async function listeningOn(id: string): Promise<void> {
  await waitFor(() => /trap-in\.status\.(listening|counts)/.test(lastStatus(id)?.text ?? ''), `${id} listening`);
}

describe('trap-in node', function () {
  this.timeout(30000);
  let port: number;
  let sender: Sender;

  beforeEach(async () => {
    port = await freePort();
    sender = new Sender();
    // bound now, so socket counts taken later include it
    await new Promise<void>((resolve) => sender.socket.bind(0, '127.0.0.1', () => resolve()));
  });
  afterEach(async () => {
    sender.close();
    await helper.unload();
    sinon.restore();
  });

  it('sends accepted traps on output 1, named from the MIB and the linked inventory', async () => {
    await helper.load([snmpConfigNode, trapInNode], flow(port), creds);
    const ok = collect('ok');
    await listeningOn('trap');
    await sender.send(packet('v2c-trap'), port);
    await sender.send(packet('v3-alice-sha256-aes'), port);
    const [v2, v3] = await ok.wait(2);
    assert.equal(v2.topic, 'IF-MIB::linkDown');
    assert.deepEqual(v2.payload, { 'ifIndex.3': 3, 'ifDescr.3': 'eth3', 'ifOperStatus.3': 2 });
    assert.equal(v2.varbinds[4].enum, 'down');
    assert.equal(v2.trap.version, '2c');
    assert.equal(v2.trap.pdu, 'trap');
    assert.equal(v2.trap.oid, '1.3.6.1.6.3.1.1.5.3');
    assert.equal(v2.trap.uptime, 12345);
    assert.deepEqual(v2.device, { host: '127.0.0.1', port: 161, name: 'lab-box', labels: { site: 'lab' } });
    assert.equal(v3.trap.version, '3');
    assert.equal(v3.trap.user, 'alice');
    assert.equal(v3.trap.engine, '80001f8880e9630000d61ff449');
    assert.equal(v3.topic, 'IF-MIB::linkDown');
    const text = JSON.stringify([v2, v3]);
    for (const secret of [COMMUNITY, FIXTURE_USERS.alice.authKey, FIXTURE_USERS.alice.privKey]) {
      assert.ok(!text.includes(`"${secret}"`) && !text.includes(FIXTURE_USERS.alice.privKey), 'no secret in a message');
    }
  });

  it('sends rejected traffic on output 2 as {from, reason}, at most 10 per source per window', async () => {
    await helper.load([snmpConfigNode, trapInNode], flow(port), { ...creds, cfg: { community: 'private' } });
    const ok = collect('ok');
    const rejected = collect('rejected');
    await listeningOn('trap');
    for (let i = 0; i < 15; i++) await sender.send(packet('v2c-trap'), port);
    const listener = findListener('127.0.0.1', port);
    await waitFor(() => listener?.stats.rejected === 15, '15 rejections');
    await rejected.wait(10);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(rejected.msgs.length, 10);
    assert.equal(ok.msgs.length, 0);
    assert.equal(rejected.msgs[0].topic, 'unknown-community');
    assert.equal(rejected.msgs[0].payload.from, '127.0.0.1');
    assert.equal(rejected.msgs[0].payload.reason, 'unknown-community');
    assert.ok(!JSON.stringify(rejected.msgs).includes('public'), 'the wrong community is not shown either');
  });

  it('applies the allow-list to sources', async () => {
    await helper.load([snmpConfigNode, trapInNode], flow(port, { allow: '10.0.0.0/8' }), creds);
    const ok = collect('ok');
    const rejected = collect('rejected');
    await listeningOn('trap');
    await sender.send(packet('v2c-trap'), port);
    const [r] = await rejected.wait(1);
    assert.equal(r.payload.reason, 'not-allowed');
    assert.equal(ok.msgs.length, 0);
  });

  it('shows listener counts as locale keys, at most about once a second', async () => {
    await helper.load([snmpConfigNode, trapInNode], flow(port), creds);
    await listeningOn('trap');
    const before = statuses('trap').length;
    for (let i = 0; i < 100; i++) await sender.send(packet('v2c-trap'), port);
    await sender.send(Buffer.from('not snmp'), port);
    await waitFor(() => lastStatus('trap')?.text === 'trap-in.status.counts' && findListener('127.0.0.1', port)?.stats.received === 101, 'counts', 5000);
    const listener = findListener('127.0.0.1', port);
    assert.equal(listener?.stats.malformed, 1);
    assert.deepEqual(lastStatus('trap'), { fill: 'green', shape: 'dot', text: 'trap-in.status.counts' });
    assert.ok(statuses('trap').length - before <= 8, 'no status per trap');
    assert.equal(statuses('trap')[0].text, 'trap-in.status.binding');
  });

  it('shares one listener between nodes on a port, each with its own filter and credentials', async () => {
    const second = [
      { id: 'trap2', type: 'trap-in', z: 'tab', snmp: 'cfg', port, address: '127.0.0.1', filter: '1.3.6.1.4.1.8072', wires: [['ok2'], []] },
      { id: 'ok2', type: 'helper', z: 'tab' },
    ];
    const sockets = openUdpSockets();
    await helper.load([snmpConfigNode, trapInNode], flow(port, { filter: 'IF-MIB::linkDown' }, second), creds);
    const ok = collect('ok');
    const ok2 = collect('ok2');
    await listeningOn('trap');
    await listeningOn('trap2');
    assert.equal(openUdpSockets() - sockets, 1, 'one socket for two nodes');
    await sender.send(packet('v1-generic'), port); // linkDown (v1, mapped)
    await sender.send(packet('v1-specific'), port); // enterprise 8072
    await sender.send(v3Trap(freshEngine(), 1, 10, 1), port); // linkDown, but trap2 has no v3 user
    await ok.wait(2);
    await ok2.wait(1);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(ok.msgs.map((m) => `${m.trap.version}:${m.topic}`), ['1:IF-MIB::linkDown', '3:IF-MIB::linkDown']);
    assert.deepEqual(ok2.msgs.map((m) => m.trap.oid), ['1.3.6.1.4.1.8072.2.3.1.0.17']);
  });

  it('gives the later node a red status naming conflicting listener settings', async () => {
    const second = [{ id: 'trap2', type: 'trap-in', z: 'tab', snmp: 'cfg', port, address: '127.0.0.1', rcvbuf: 65536, wires: [[], []] }];
    await helper.load([snmpConfigNode, trapInNode], flow(port, {}, second), creds);
    await listeningOn('trap');
    await waitFor(() => lastStatus('trap2')?.fill === 'red', 'the conflict status');
    assert.deepEqual(lastStatus('trap2'), { fill: 'red', shape: 'ring', text: 'trap-in.status.conflict' });
    assert.equal(logged('trap-in.errors.conflict').length, 1);
    assert.equal(findListener('127.0.0.1', port)?.subscriberCount, 1);
  });

  it('shows EADDRINUSE and EACCES as red status with the remedy, without crashing', async () => {
    const blocker = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => blocker.bind(port, '127.0.0.1', () => resolve()));
    try {
      await helper.load([snmpConfigNode, trapInNode], flow(port), creds);
      await waitFor(() => lastStatus('trap')?.fill === 'red', 'the bind failure');
      assert.deepEqual(lastStatus('trap'), { fill: 'red', shape: 'ring', text: 'trap-in.status.eaddrinuse' });
      assert.equal(logged('trap-in.errors.eaddrinuse').length, 1);
      await helper.unload();
    } finally {
      blocker.close();
    }

    // running as root, port 162 would bind: stand in for the kernel's refusal
    const real = dgram.createSocket;
    sinon.stub(dgram, 'createSocket').callsFake(((...args: Parameters<typeof dgram.createSocket>) => {
      const opts = args[0] as Dgram.SocketOptions;
      if (typeof opts === 'object' && opts.type === 'udp4') {
        const fake = Object.assign(new EventEmitter(), {
          bind() { process.nextTick(() => fake.emit('error', Object.assign(new Error('bind EACCES 0.0.0.0:162'), { code: 'EACCES' }))); },
          close() { /* never bound */ },
        });
        return fake as unknown as Dgram.Socket;
      }
      return real(...args);
    }) as typeof dgram.createSocket);
    await helper.load([snmpConfigNode, trapInNode], flow(162, { address: '' }), creds);
    await waitFor(() => lastStatus('trap')?.fill === 'red', 'EACCES');
    assert.deepEqual(lastStatus('trap'), { fill: 'red', shape: 'ring', text: 'trap-in.status.eacces' });
    assert.equal(logged('trap-in.errors.eacces').length, 1);
  });

  it('reports a missing config, an invalid property and an unknown filter name with a red status', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ snmp: '', snmp2: '' }, 'trap-in.status.no-config'],
      [{ rcvbuf: 'lots' }, 'trap-in.status.bad-property'],
      [{ filter: 'IF-MIB::noSuchNotification' }, 'trap-in.status.bad-filter'],
    ];
    for (const [props, key] of cases) {
      await helper.load([snmpConfigNode, trapInNode], flow(port, props), creds);
      assert.deepEqual(lastStatus('trap'), { fill: 'red', shape: 'ring', text: key });
      assert.equal(openListenerCount(), 0, 'nothing listens');
      await helper.unload();
    }
  });

  it('keeps its engine ID in the node context and derives the same one after a restart', async () => {
    await helper.load([snmpConfigNode, trapInNode], flow(port), creds);
    await listeningOn('trap');
    const first = helper.getNode('trap').context().get('engine');
    assert.match(first.id, /^8000b98380[0-9a-f]{24}$/);
    assert.ok(Number.isInteger(first.boots) && first.boots > 1);
    assert.equal(findListener('127.0.0.1', port)?.engine.id.toString('hex'), first.id);
    // without a configured context store Node-RED drops a node's context when it stops
    await helper.setFlows(flow(port, { name: 'renamed' }) as never, 'full' as never);
    await listeningOn('trap');
    assert.equal(findListener('127.0.0.1', port)?.engine.id.toString('hex'), first.id);
  });

  it('restarts with a greater (boots, time) on the default memory store, refusing an inform captured before', async () => {
    // a node id of its own: the memory-store warning comes once per node and process
    const restartFlow = () => flow(port, { id: 'trap-restart' });
    await helper.load([snmpConfigNode, trapInNode], restartFlow(), creds);
    let ok = collect('ok');
    await listeningOn('trap-restart');
    const first = findListener('127.0.0.1', port) as NonNullable<ReturnType<typeof findListener>>;
    const inform = v3Inform({ id: first.engine.id, boots: first.engine.boots, time: first.engine.time }, 4711);
    await sender.send(inform, port);
    const [accepted] = await ok.wait(1);
    assert.equal(accepted.trap.pdu, 'inform');
    assert.equal(first.stats.informs, 1);
    assert.equal(logged('trap-in.errors.context-not-persistent', helper.log().WARN).length, 1, 'warned that the store forgets');
    const before = { boots: first.engine.boots, time: first.engine.time };
    await helper.unload();

    // the helper's context store is Node-RED's default memory store, cleaned on unload
    await helper.load([snmpConfigNode, trapInNode], restartFlow(), creds);
    ok = collect('ok');
    const rejected = collect('rejected');
    await listeningOn('trap-restart');
    const second = findListener('127.0.0.1', port) as NonNullable<ReturnType<typeof findListener>>;
    assert.notEqual(second, first);
    assert.ok(second.engine.id.equals(first.engine.id), 'the same engine ID');
    const after = { boots: second.engine.boots, time: second.engine.time };
    assert.ok(after.boots > before.boots || (after.boots === before.boots && after.time > before.time),
      `(boots, time) ${JSON.stringify(after)} after ${JSON.stringify(before)}`);
    await sender.send(inform, port);
    const [r] = await rejected.wait(1);
    assert.equal(r.payload.reason, 'not-in-time-window');
    assert.equal(ok.msgs.length, 0, 'the captured inform is not delivered again');
    assert.equal(second.stats.informs, 0, 'nor acknowledged');
    assert.equal(logged('trap-in.errors.context-not-persistent').length, 0, 'warned once');
  });

  it('lets a 2,000-trap burst from one source through at the defaults (issue 14 defect 10)', async () => {
    await helper.load([snmpConfigNode, trapInNode], flow(port), creds);
    await listeningOn('trap');
    const listener = findListener('127.0.0.1', port) as NonNullable<ReturnType<typeof findListener>>;
    const trap = packet('v2c-trap');
    for (let i = 0; i < 2000; i++) await sender.send(trap, port);
    await waitFor(() => listener.stats.received === 2000, 'the burst counted', 20_000);
    assert.equal(listener.stats.accepted, 2000, 'a fixed window of 1,000 a second cut about half of it');
    assert.equal(listener.stats.rateLimited, 0);
  });

  it('holds a flood to the rate, counts what it cuts per source and shows it in the status', async () => {
    await helper.load([snmpConfigNode, trapInNode], flow(port, { rateLimit: 10, burst: 500 }), creds);
    const rejected = collect('rejected');
    await listeningOn('trap');
    const listener = findListener('127.0.0.1', port) as NonNullable<ReturnType<typeof findListener>>;
    const trap = packet('v2c-trap');
    for (let i = 0; i < 1500; i++) await sender.send(trap, port);
    await waitFor(() => listener.stats.received === 1500, 'the flood counted', 20_000);
    const { accepted, rateLimited } = listener.stats;
    // the burst, then 10 a second for as long as the sending took
    assert.ok(accepted >= 500 && accepted < 1000, `accepted ${accepted}`);
    assert.equal(accepted + rateLimited, 1500);
    assert.deepEqual(listener.rateLimitCuts.bySource(), [{ source: '127.0.0.1', cut: rateLimited }]);
    await waitFor(() => lastStatus('trap')?.text === 'trap-in.status.counts-cut', 'the cut in the status', 5000);
    assert.equal(lastStatus('trap').fill, 'yellow', 'yellow while cutting');
    const reports = rejected.msgs.filter((m) => m.payload.reason === 'rate-limited');
    assert.ok(reports.length >= 1 && reports[0].payload.from === '127.0.0.1', 'the first cut of the flood is reported');
    // once the flood is over the status turns green again, the count stays
    await waitFor(() => lastStatus('trap')?.fill === 'green', 'green after the flood', 5000);
    assert.equal(lastStatus('trap').text, 'trap-in.status.counts-cut');
  });

  it('keeps what its v3 senders\' clocks were across a redeploy: a captured trap stays refused (issue 14 defect 5)', async () => {
    await helper.load([snmpConfigNode, trapInNode], flow(port), creds);
    let ok = collect('ok');
    await listeningOn('trap');
    const engine = freshEngine();
    const captured = v3Trap(engine, 7, 1000, 1);
    await sender.send(captured, port);
    // the sender's clock has run on: 400 s later by its own account
    await sender.send(v3Trap(engine, 7, 1400, 2), port);
    await ok.wait(2);
    const before = findListener('127.0.0.1', port);
    await helper.setFlows(flow(port, { name: 'redeployed' }) as never, 'full' as never);
    await listeningOn('trap');
    assert.notEqual(findListener('127.0.0.1', port), before, 'a new listener');
    ok = collect('ok');
    const rejected = collect('rejected');
    await sender.send(captured, port);
    const [r] = await rejected.wait(1);
    assert.equal(r.payload.reason, 'not-in-time-window');
    assert.equal(ok.msgs.length, 0);
    // and the context holds what a restart needs, next to the engine ID
    const saved = () => helper.getNode('trap').context().get('engine');
    await waitFor(() => (saved()?.clocks ?? []).some((c: any) => c.engine === engine.toString('hex') && c.boots === 7), 'the clock saved', 5000);
    assert.match(saved().id, /^8000b98380/);
  });

  it('pins a v3 profile\'s user to its trapEngineIds: traps from other engines are refused and counted', async () => {
    const pinnedEngine = freshEngine();
    const other = freshEngine();
    await helper.load([snmpConfigNode, trapInNode], flow(port, {}, [], { trapEngineIds: `# the core router\n0x${pinnedEngine.toString('hex').toUpperCase()}` }), creds);
    const ok = collect('ok');
    const rejected = collect('rejected');
    await listeningOn('trap');
    await sender.send(v3Trap(pinnedEngine, 1, 5, 1), port);
    await sender.send(v3Trap(other, 1, 5, 1), port);
    const [accepted] = await ok.wait(1);
    const [r] = await rejected.wait(1);
    assert.equal(accepted.trap.engine, pinnedEngine.toString('hex'));
    assert.equal(r.payload.reason, 'engine-not-allowed');
    assert.equal(r.payload.user, 'alice');
    assert.equal(findListener('127.0.0.1', port)?.rejections['engine-not-allowed'], 1);
  });

  it('survives 50 redeploys of two nodes on one port: no EADDRINUSE, no leaked socket, port freed', async () => {
    const second = [{ id: 'trap2', type: 'trap-in', z: 'tab', snmp: 'cfg', port, address: '127.0.0.1', wires: [[], []] }];
    const sockets = openUdpSockets();
    await helper.load([snmpConfigNode, trapInNode], flow(port, {}, second), creds);
    await listeningOn('trap');
    for (let i = 0; i < 50; i++) {
      await helper.setFlows(flow(port, { name: `n${i}` }, second.map((n) => ({ ...n, name: `m${i}` }))) as never, 'full' as never);
      await listeningOn('trap');
      await listeningOn('trap2');
      assert.equal(openListenerCount(), 1);
    }
    assert.equal(logged('trap-in.errors', helper.log().ERROR).length, 0, 'no bind error in 50 redeploys');
    assert.equal(openUdpSockets() - sockets, 1);
    const ok = collect('ok');
    await sender.send(packet('v2c-trap'), port);
    await ok.wait(1);
    await helper.unload();
    assert.ok(await canBind(port), 'the port is free right after unload');
    assert.equal(openListenerCount(), 0);
    assert.equal(openUdpSockets() - sockets, 0);
  });
});
