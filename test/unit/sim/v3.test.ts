import '../../../src/lib/snmp/des';
import { strict as assert } from 'assert';
import { execFile } from 'child_process';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as snmp from 'net-snmp';
import type { AuthProtocol, PrivProtocol, V3User } from '../../../src/lib/common/types';
import { decodeCommunityRequest, encodeOid, Tag } from '../../../src/sim/ber';
import { startFleet, trapOid, type Fleet } from '../../../src/sim/fleet';

const AUTHS: AuthProtocol[] = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'];
const PRIVS: PrivProtocol[] = ['des', 'aes', 'aes256b', 'aes256r'];
const AUTH_KEY = 'auth-secret-1';
const PRIV_KEY = 'priv-secret-1';

function allUsers(): V3User[] {
  const users: V3User[] = [{ name: 'plain', level: 'noAuthNoPriv' }];
  for (const a of AUTHS) {
    users.push({ name: `auth-${a}`, level: 'authNoPriv', authProtocol: a, authKey: AUTH_KEY });
    for (const p of PRIVS) users.push({ name: `priv-${a}-${p}`, level: 'authPriv', authProtocol: a, authKey: AUTH_KEY, privProtocol: p, privKey: PRIV_KEY });
  }
  return users;
}

function netSnmpUser(u: V3User): Record<string, unknown> {
  const user: Record<string, unknown> = { name: u.name, level: snmp.SecurityLevel[u.level] };
  if (u.authProtocol) Object.assign(user, { authProtocol: snmp.AuthProtocols[u.authProtocol], authKey: u.authKey });
  if (u.privProtocol) Object.assign(user, { privProtocol: snmp.PrivProtocols[u.privProtocol], privKey: u.privKey });
  return user;
}

function tool(name: string): string {
  const path = `/usr/bin/${name}`;
  if (!fs.existsSync(path)) throw new Error(`${path} is missing: run "apt-get install snmp" (or npm run system-deps)`);
  return path;
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 20000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('fleet simulator: SNMPv3 and traps', function () {
  this.timeout(30000);
  let fleet: Fleet | undefined;
  const sessions: any[] = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.close();
    if (fleet) await fleet.close();
    fleet = undefined;
  });

  const v3Session = (port: number, user: V3User, timeout = 1500) => {
    const s = snmp.createV3Session('127.0.0.1', netSnmpUser(user), { port, timeout, retries: 0 });
    s.on('error', () => undefined);
    sessions.push(s);
    return s;
  };
  const call = (s: any, method: string, ...args: unknown[]) =>
    new Promise<any[]>((resolve, reject) => s[method](...args, (e: Error, v: any[]) => (e ? reject(e) : resolve(v))));

  it('answers a net-snmp v3 GET and GETBULK for every auth x priv combination', async () => {
    const users = allUsers();
    assert.equal(users.length, 1 + 6 + 24);
    fleet = await startFleet({ count: 2, version: (i) => (i === 0 ? '3' : '2c'), v3Users: users, behaviours: { 0: { counter64Start: 2n ** 63n } } });
    const port = fleet.devices[0].port;
    const failures: string[] = [];
    for (const user of users) {
      try {
        const s = v3Session(port, user);
        const [name, hc] = await call(s, 'get', ['1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.31.1.1.1.6.1']);
        assert.equal(name.value.toString(), 'sim-0000');
        assert.ok(BigInt(`0x${hc.value.toString('hex')}`) >= 2n ** 63n, 'Counter64 with the top bit set');
        const bulk = await call(s, 'getBulk', ['1.3.6.1.2.1.2.2.1.2', '1.3.6.1.2.1.2.2.1.10'], 0, 10);
        assert.deepEqual(bulk.map((c: any[]) => c.length), [10, 10]);
      } catch (err) {
        failures.push(`${user.name}: ${(err as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
    // The v2c device of the same fleet does not speak v3, and the v3 device ignores v2c.
    const wrongVersion = v3Session(fleet.devices[1].port, users[0], 300);
    await assert.rejects(call(wrongVersion, 'get', ['1.3.6.1.2.1.1.5.0']));
    const community = snmp.createSession('127.0.0.1', 'public', { port, version: snmp.Version2c, timeout: 300, retries: 0 });
    sessions.push(community);
    await assert.rejects(call(community, 'get', ['1.3.6.1.2.1.1.5.0']), snmp.RequestTimedOutError);
  });

  it('refuses a wrong auth key and an unknown user', async () => {
    const users = allUsers().filter((u) => u.name === 'priv-sha256-aes');
    fleet = await startFleet({ count: 1, version: '3', v3Users: users });
    const port = fleet.devices[0].port;
    await assert.rejects(call(v3Session(port, { ...users[0], authKey: 'not-the-key' }, 500), 'get', ['1.3.6.1.2.1.1.5.0']));
    await assert.rejects(call(v3Session(port, { ...users[0], name: 'stranger' }, 500), 'get', ['1.3.6.1.2.1.1.5.0']));
    const ok = await call(v3Session(port, users[0]), 'get', ['1.3.6.1.2.1.1.5.0']);
    assert.equal(ok[0].value.toString(), 'sim-0000');
  });

  it('answers Debian snmpget and snmpbulkwalk over v3', async () => {
    const users = allUsers();
    fleet = await startFleet({ count: 1, version: '3', v3Users: users });
    const target = `127.0.0.1:${fleet.devices[0].port}`;
    const quiet = ['-On', '-m', '', '-t', '1', '-r', '0'];
    const cases: Array<[string, string, string]> = [['sha', 'SHA', 'AES'], ['md5', 'MD5', 'DES'], ['sha512', 'SHA-512', 'AES']];
    for (const [auth, a, x] of cases) {
      const name = `priv-${auth}-${x.toLowerCase()}`;
      const out = await run(tool('snmpget'), ['-v3', '-l', 'authPriv', '-u', name, '-a', a, '-A', AUTH_KEY, '-x', x, '-X', PRIV_KEY, ...quiet, target, '1.3.6.1.2.1.1.5.0']);
      assert.equal(out.code, 0, `${name}: ${out.stderr}`);
      assert.match(out.stdout, /STRING: "sim-0000"/);
    }
    const walk = await run(tool('snmpbulkwalk'), ['-v3', '-l', 'authNoPriv', '-u', 'auth-sha256', '-a', 'SHA-256', '-A', AUTH_KEY, ...quiet, target, '1.3.6.1.2.1.2.2.1.2']);
    assert.equal(walk.code, 0, walk.stderr);
    assert.equal(walk.stdout.trim().split('\n').length, 48);
  });

  it('sends v2c, v1 and v3 traps from the device socket that net-snmp receives', async () => {
    const user = allUsers().find((u) => u.name === 'priv-sha-aes')!;
    fleet = await startFleet({ count: 2, version: (i) => (i === 1 ? '3' : '2c'), v3Users: [user] });
    const port = await freePort();
    const received: any[] = [];
    const receiver = snmp.createReceiver({ port, transport: 'udp4', address: '127.0.0.1' }, (err: Error | null, n: any) => {
      if (!err) received.push(n);
    });
    receiver.getAuthorizer().addCommunity('public');
    receiver.getAuthorizer().addUser(netSnmpUser(user));
    try {
      fleet.device(0).linkDown(7);
      await fleet.sendTrap(0, { host: '127.0.0.1', port }, 'linkDown', { ifIndex: 7 });
      await fleet.sendTrap(0, { host: '127.0.0.1', port }, 'coldStart', { version: '1' });
      await fleet.sendTrap(1, { host: '127.0.0.1', port }, 'linkUp', { ifIndex: 2 });
      for (let i = 0; i < 50 && received.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(received.length, 3);
      const [down, cold, up] = received;
      assert.equal(down.pdu.type, snmp.PduType.TrapV2);
      assert.equal(down.rinfo.port, fleet.devices[0].port, 'sent from the device\'s own socket');
      assert.equal(down.pdu.varbinds[1].value, trapOid('linkDown'));
      assert.deepEqual(down.pdu.varbinds.slice(2).map((v: any) => [v.oid, v.value]), [
        ['1.3.6.1.2.1.2.2.1.1.7', 7], ['1.3.6.1.2.1.2.2.1.7.7', 1], ['1.3.6.1.2.1.2.2.1.8.7', 2],
      ]);
      assert.equal(cold.pdu.type, snmp.PduType.Trap);
      assert.equal(cold.pdu.generic, 0);
      assert.equal(cold.pdu.agentAddr, '127.0.0.1');
      assert.equal(cold.rinfo.port, fleet.devices[0].port);
      assert.equal(up.pdu.type, snmp.PduType.TrapV2);
      assert.equal(up.rinfo.port, fleet.devices[1].port);
      assert.equal(up.pdu.varbinds[1].value, trapOid('linkUp'));
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('encodes a v2c trap a raw receiver can read', async () => {
    fleet = await startFleet({ count: 1, community: 'traps-here' });
    const sink = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', () => resolve()));
    try {
      const got = new Promise<[Buffer, dgram.RemoteInfo]>((resolve) => sink.once('message', (m, r) => resolve([m, r])));
      await fleet.sendTrap(0, { host: '127.0.0.1', port: sink.address().port }, 'authenticationFailure');
      const [msg, rinfo] = await got;
      assert.equal(rinfo.port, fleet.devices[0].port);
      const trap = decodeCommunityRequest(msg); // a community message of the same layout
      assert.equal(trap.pduType, Tag.TrapV2);
      assert.equal(trap.community.toString(), 'traps-here');
      assert.deepEqual(trap.oids.map((o) => o.join('.')), ['1.3.6.1.2.1.1.3.0', '1.3.6.1.6.3.1.1.4.1.0']);
      const oidValue = encodeOid([1, 3, 6, 1, 6, 3, 1, 1, 5, 5]).toString('hex');
      assert.ok(msg.toString('hex').endsWith(oidValue), 'snmpTrapOID.0 = authenticationFailure');
    } finally {
      await new Promise<void>((resolve) => sink.close(() => resolve()));
    }
  });
});
