/**
 * trap-in against Debian's snmptrap and snmpinform: v1 (generic and enterprise-specific),
 * v2c trap and inform, v3 authNoPriv and authPriv from two users with different
 * protocols (SHA-256+AES, MD5+DES), traps and informs, varbinds decoded by name; wrong
 * community / user / key give exactly one output-2 message and nothing on output 1; a
 * captured v3 authPriv datagram sent again is rejected as a replay; IPv6 loopback.
 */
import { strict as assert } from 'assert';
import * as dgram from 'dgram';
import { helper, collect, type Collected } from '../support/flow';
import { findListener } from '../../src/lib/trap/registry';
import type { TrapListener } from '../../src/lib/trap/listener';
import { freePort, randomEngineId, requireTool, runTool, Sender, waitFor } from '../fixtures/packets/tools';

const snmpConfigNode = require('../../src/snmp-config');
const trapInNode = require('../../src/trap-in');

const COMMUNITY = 'trap-Community-1';
const ALICE = { user: 'alice', auth: 'SHA-256', authKey: 'alice-auth-pass', priv: 'AES', privKey: 'alice-priv-pass' };
const BOB = { user: 'bob', auth: 'MD5', authKey: 'bob-auth-pass', priv: 'DES', privKey: 'bob-priv-pass' };
const CAROL = { user: 'carol', auth: 'SHA', authKey: 'carol-auth-pass' };

function flow(port: number, address = '127.0.0.1') {
  return [
    { id: 'tab', type: 'tab', label: 'traps' },
    { id: 'v2', type: 'snmp-config', z: 'tab', name: 'communities', version: '2c', inventory: '127.0.0.1 lab-agent role=test\n::1 lab-agent6' },
    { id: 'cfg-alice', type: 'snmp-config', z: 'tab', name: 'alice', version: '3', user: 'alice', securityLevel: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes' },
    { id: 'cfg-bob', type: 'snmp-config', z: 'tab', name: 'bob', version: '3', user: 'bob', securityLevel: 'authPriv', authProtocol: 'md5', privProtocol: 'des' },
    { id: 'cfg-carol', type: 'snmp-config', z: 'tab', name: 'carol', version: '3', user: 'carol', securityLevel: 'authNoPriv', authProtocol: 'sha' },
    { id: 'trap', type: 'trap-in', z: 'tab', snmp: 'v2', snmp2: 'cfg-alice', snmp3: 'cfg-bob', snmp4: 'cfg-carol', port, address, wires: [['ok'], ['rejected']] },
    { id: 'ok', type: 'helper', z: 'tab' },
    { id: 'rejected', type: 'helper', z: 'tab' },
  ];
}
const creds = {
  v2: { community: COMMUNITY },
  'cfg-alice': { authKey: ALICE.authKey, privKey: ALICE.privKey },
  'cfg-bob': { authKey: BOB.authKey, privKey: BOB.privKey },
  'cfg-carol': { authKey: CAROL.authKey },
};

const NUMERIC = ['-m', '', '-On'];
const LINK_DOWN = ['1234', '1.3.6.1.6.3.1.1.5.3', '1.3.6.1.2.1.2.2.1.1.5', 'i', '5', '1.3.6.1.2.1.2.2.1.2.5', 's', 'ge-0/0/5', '1.3.6.1.2.1.2.2.1.8.5', 'i', '2'];

function v3Args(u: { user: string; auth: string; authKey: string; priv?: string; privKey?: string }): string[] {
  const args = ['-v3', '-u', u.user, '-l', u.priv ? 'authPriv' : 'authNoPriv', '-a', u.auth, '-A', u.authKey];
  if (u.priv) args.push('-x', u.priv, '-X', u.privKey as string);
  return args;
}

describe('trap-in with snmptrap and snmpinform', function () {
  this.timeout(60000);
  let port: number;
  let target: string;
  let ok: Collected;
  let rejected: Collected;
  let listener: TrapListener;

  before(() => {
    requireTool('snmptrap');
    requireTool('snmpinform');
  });

  beforeEach(async () => {
    port = await freePort();
    target = `udp:127.0.0.1:${port}`;
    await helper.load([snmpConfigNode, trapInNode], flow(port), creds);
    ok = collect('ok');
    rejected = collect('rejected');
    await waitFor(() => findListener('127.0.0.1', port)?.status.state === 'listening', 'listening');
    listener = findListener('127.0.0.1', port) as TrapListener;
  });
  afterEach(async () => {
    await helper.unload();
  });

  async function send(argv: string[], expectExit = 0): Promise<string> {
    const r = await runTool(argv);
    assert.equal(r.code, expectExit, `${argv[0]} exit ${r.code}: ${r.stderr}`);
    return r.stderr;
  }

  it('receives v1 generic and enterprise-specific traps, mapped to SNMPv2 trap OIDs', async () => {
    await send(['snmptrap', '-v1', '-c', COMMUNITY, ...NUMERIC, target, '1.3.6.1.4.1.8072.2.3', '192.0.2.7', '2', '0', '4321', '1.3.6.1.2.1.2.2.1.1.5', 'i', '5']);
    await send(['snmptrap', '-v1', '-c', COMMUNITY, ...NUMERIC, target, '1.3.6.1.4.1.8072.2.3', '192.0.2.7', '6', '99', '4321', '1.3.6.1.2.1.1.5.0', 's', 'edge-7']);
    const [generic, specific] = await ok.wait(2);
    assert.equal(generic.topic, 'IF-MIB::linkDown');
    assert.deepEqual(generic.payload, { 'ifIndex.5': 5 });
    assert.deepEqual(
      { version: generic.trap.version, pdu: generic.trap.pdu, oid: generic.trap.oid, enterprise: generic.trap.enterprise, generic: generic.trap.generic, uptime: generic.trap.uptime, agent: generic.trap.agentAddress },
      { version: '1', pdu: 'trapv1', oid: '1.3.6.1.6.3.1.1.5.3', enterprise: '1.3.6.1.4.1.8072.2.3', generic: 2, uptime: 4321, agent: '192.0.2.7' },
    );
    assert.equal(specific.trap.oid, '1.3.6.1.4.1.8072.2.3.0.99');
    assert.equal(specific.trap.specific, 99);
    assert.deepEqual(specific.payload, { 'sysName.0': 'edge-7' });
    assert.equal(specific.varbinds[0].name, 'SNMPv2-MIB::sysName.0');
    assert.deepEqual(generic.device, { host: '127.0.0.1', port: 161, name: 'lab-agent', labels: { role: 'test' } });
    assert.equal(rejected.msgs.length, 0);
  });

  it('receives a v2c trap and acknowledges a v2c inform', async () => {
    await send(['snmptrap', '-v2c', '-c', COMMUNITY, ...NUMERIC, target, ...LINK_DOWN]);
    await send(['snmpinform', '-v2c', '-c', COMMUNITY, ...NUMERIC, '-t', '1', '-r', '0', target, '1234', '1.3.6.1.6.3.1.1.5.4', '1.3.6.1.2.1.2.2.1.1.5', 'i', '5']);
    const [trap, inform] = await ok.wait(2);
    assert.equal(trap.topic, 'IF-MIB::linkDown');
    assert.deepEqual(trap.payload, { 'ifIndex.5': 5, 'ifDescr.5': 'ge-0/0/5', 'ifOperStatus.5': 2 });
    assert.equal(trap.varbinds.find((v: { name: string }) => v.name === 'IF-MIB::ifOperStatus.5').enum, 'down');
    assert.equal(trap.trap.pdu, 'trap');
    assert.equal(inform.topic, 'IF-MIB::linkUp');
    assert.equal(inform.trap.pdu, 'inform');
    assert.equal(inform.trap.version, '2c');
    assert.equal(listener.stats.informs, 1);
  });

  it('receives v3 traps from two authPriv users with different protocols and an authNoPriv user', async () => {
    await send(['snmptrap', ...v3Args(ALICE), '-e', randomEngineId(), ...NUMERIC, target, ...LINK_DOWN]);
    await send(['snmptrap', ...v3Args(BOB), '-e', randomEngineId(), ...NUMERIC, target, ...LINK_DOWN]);
    await send(['snmptrap', ...v3Args(CAROL), '-e', randomEngineId(), ...NUMERIC, target, ...LINK_DOWN]);
    const msgs = await ok.wait(3);
    assert.deepEqual(msgs.map((m) => `${m.trap.version}/${m.trap.user}/${m.topic}`), ['3/alice/IF-MIB::linkDown', '3/bob/IF-MIB::linkDown', '3/carol/IF-MIB::linkDown']);
    for (const m of msgs) {
      assert.deepEqual(m.payload, { 'ifIndex.5': 5, 'ifDescr.5': 'ge-0/0/5', 'ifOperStatus.5': 2 });
      assert.match(m.trap.engine, /^80001f8880[0-9a-f]{16}$/);
    }
    assert.equal(rejected.msgs.length, 0);
  });

  it('acknowledges v3 informs from both authPriv users (engine discovery, then the inform)', async () => {
    await send(['snmpinform', ...v3Args(ALICE), ...NUMERIC, '-t', '1', '-r', '0', target, '1234', '1.3.6.1.6.3.1.1.5.4', '1.3.6.1.2.1.2.2.1.1.5', 'i', '5']);
    await send(['snmpinform', ...v3Args(BOB), ...NUMERIC, '-t', '1', '-r', '0', target, '1234', '1.3.6.1.6.3.1.1.5.4', '1.3.6.1.2.1.2.2.1.1.5', 'i', '5']);
    const msgs = await ok.wait(2);
    assert.deepEqual(msgs.map((m) => `${m.trap.user}/${m.trap.pdu}/${m.topic}`), ['alice/inform/IF-MIB::linkUp', 'bob/inform/IF-MIB::linkUp']);
    assert.equal(listener.stats.discovery, 2);
    assert.equal(listener.stats.informs, 2);
  });

  it('gives exactly one output-2 message and nothing on output 1 for a wrong community, user or key', async () => {
    const cases: Array<[string, string[], number, string]> = [
      ['wrong community', ['snmptrap', '-v2c', '-c', 'not-the-community', ...NUMERIC, target, ...LINK_DOWN], 0, 'unknown-community'],
      ['wrong v1 community', ['snmptrap', '-v1', '-c', 'not-the-community', ...NUMERIC, target, '1.3.6.1.4.1.8072', '192.0.2.7', '0', '0', '1'], 0, 'unknown-community'],
      ['wrong user', ['snmptrap', ...v3Args({ ...ALICE, user: 'mallory' }), '-e', randomEngineId(), ...NUMERIC, target, ...LINK_DOWN], 0, 'unknown-user'],
      ['wrong auth key', ['snmptrap', ...v3Args({ ...BOB, authKey: 'not-bobs-key' }), '-e', randomEngineId(), ...NUMERIC, target, ...LINK_DOWN], 0, 'wrong-digest'],
      ['wrong priv key', ['snmptrap', ...v3Args({ ...ALICE, privKey: 'not-alices-key' }), '-e', randomEngineId(), ...NUMERIC, target, ...LINK_DOWN], 0, 'decryption-error'],
      ['wrong level', ['snmptrap', ...v3Args({ ...ALICE, priv: undefined }), '-e', randomEngineId(), ...NUMERIC, target, ...LINK_DOWN], 0, 'unsupported-security-level'],
      ['inform with a wrong auth key', ['snmpinform', ...v3Args({ ...BOB, authKey: 'not-bobs-key' }), ...NUMERIC, '-t', '1', '-r', '0', target, '1', '1.3.6.1.6.3.1.1.5.4'], 1, 'wrong-digest'],
    ];
    for (const [what, argv, exit, reason] of cases) {
      const before = listener.stats.rejected;
      const stderr = await send(argv, exit);
      if (exit !== 0) assert.match(stderr, /Authentication failure/, what);
      await waitFor(() => listener.stats.rejected === before + 1, what);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(rejected.msgs.length, before + 1, `${what}: one output-2 message`);
      const last = rejected.msgs[rejected.msgs.length - 1];
      assert.equal(last.payload.reason, reason, what);
      assert.equal(last.payload.from, '127.0.0.1');
      assert.equal(ok.msgs.length, 0, `${what}: nothing on output 1`);
    }
    const text = JSON.stringify(rejected.msgs);
    for (const secret of ['not-the-community', COMMUNITY, 'not-bobs-key', 'not-alices-key']) assert.ok(!text.includes(secret), `no ${secret} in output 2`);
  });

  it('rejects a captured v3 authPriv datagram sent again (replay)', async () => {
    // capture: snmptrap sends to a plain socket of ours
    const capture = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => capture.bind(0, '127.0.0.1', () => resolve()));
    const got = new Promise<Buffer>((resolve) => capture.once('message', resolve));
    await send(['snmptrap', ...v3Args(ALICE), '-e', randomEngineId(), ...NUMERIC, `udp:127.0.0.1:${capture.address().port}`, ...LINK_DOWN]);
    const datagram = await got;
    capture.close();

    const sender = new Sender();
    try {
      await sender.send(datagram, port);
      await ok.wait(1);
      await sender.send(datagram, port);
      await sender.send(datagram, port);
      await waitFor(() => listener.stats.rejected === 2, 'two rejections');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(ok.msgs.length, 1, 'the original only');
      assert.deepEqual(rejected.msgs.map((m) => m.payload.reason), ['replay', 'replay']);
    } finally {
      sender.close();
    }
  });

  it('listens on IPv6 loopback and names the sender from the inventory', async () => {
    await helper.unload();
    port = await freePort('udp6');
    await helper.load([snmpConfigNode, trapInNode], flow(port, '::1'), creds);
    ok = collect('ok');
    await waitFor(() => findListener('::1', port)?.status.state === 'listening', 'listening on ::1');
    await send(['snmptrap', '-v2c', '-c', COMMUNITY, ...NUMERIC, `udp6:[::1]:${port}`, ...LINK_DOWN]);
    const [m] = await ok.wait(1);
    assert.equal(m.device.host, '::1');
    assert.equal(m.device.name, 'lab-agent6');
    assert.equal(m.topic, 'IF-MIB::linkDown');
  });
});
