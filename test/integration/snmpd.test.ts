/**
 * Against Debian's real snmpd on a loopback port: every version and every USM
 * auth × priv combination snmpd accepts, the ifTable walk compared row for row with
 * snmpbulkwalk, and the failure codes for wrong credentials and unknown hosts.
 */
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import { buildProfile } from '../../src/lib/snmp/profile';
import { buildRows } from '../../src/lib/poll/messages';
import { FleetEngine } from '../../src/lib/poll/fleet-engine';
import { resolveOids } from '../../src/lib/poll/targets';
import { pollGet, pollWalk, type PollResult } from '../../src/lib/poll/device-poll';
import { getMibService } from '../../src/lib/mib';
import { startSnmpd, type Snmpd, type SnmpdUser } from '../support/snmpd';
import type { AuthProtocol, PrivProtocol } from '../../src/lib/common/types';

const AUTH: Array<[string, AuthProtocol]> = [['MD5', 'md5'], ['SHA', 'sha'], ['SHA-224', 'sha224'], ['SHA-256', 'sha256'], ['SHA-384', 'sha384'], ['SHA-512', 'sha512']];
// snmpd's AES-256 is the Blumenthal key extension, AES-256-C the Reeder one
const PRIV: Array<[string, PrivProtocol]> = [['DES', 'des'], ['AES', 'aes'], ['AES-256', 'aes256b'], ['AES-256-C', 'aes256r']];
const AUTH_KEY = 'auth-Key-1234';
const PRIV_KEY = 'priv-Key-5678';

interface Combo { user: SnmpdUser; level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv'; auth?: AuthProtocol; priv?: PrivProtocol }

const combos: Combo[] = [{ user: { name: 'u-noauth' }, level: 'noAuthNoPriv' }];
for (const [sa, a] of AUTH) {
  combos.push({ user: { name: `u-${a}`, auth: sa, authKey: AUTH_KEY }, level: 'authNoPriv', auth: a });
  for (const [sp, p] of PRIV) {
    combos.push({ user: { name: `u-${a}-${p}`, auth: sa, authKey: AUTH_KEY, priv: sp, privKey: PRIV_KEY }, level: 'authPriv', auth: a, priv: p });
  }
}

function device(d: Snmpd) {
  return { host: d.host, port: d.port, name: 'snmpd', labels: { role: 'test' } };
}

async function get(raw: Record<string, unknown>, creds: Record<string, string>, d: Snmpd, oids: string[]): Promise<PollResult> {
  const profile = buildProfile({ port: d.port, timeout: 800, retries: 0, ...raw }, creds);
  const engine = new FleetEngine(profile);
  try {
    return await pollGet({ pool: engine.pool, profile, mib: getMibService() }, device(d), oids);
  } finally {
    engine.close();
  }
}

/** snmpbulkwalk's view of a subtree: numeric OID → comparable value. */
function snmpbulkwalk(d: Snmpd, root: string, version = '2c'): Map<string, string | number> {
  const out = execFileSync('snmpbulkwalk', [`-v${version}`, '-c', 'public', '-m', '', '-On', '-Oe', '-Cr25', '-t', '2', '-r', '1', `${d.host}:${d.port}`, root], { encoding: 'utf8' });
  const map = new Map<string, string | number>();
  for (const line of out.split('\n')) {
    const m = /^\.(\S+) = (?:([\w-]+): )?(.*)$/.exec(line);
    if (!m) continue;
    const [, oid, type, rest] = m;
    if (type === 'INTEGER') map.set(oid, Number(rest));
    else if (type === 'STRING') map.set(oid, rest.replace(/^"|"$/g, ''));
    else if (type === 'Hex-STRING') map.set(oid, rest.trim().toLowerCase().split(/\s+/).join(':'));
    else if (type === 'Gauge32') map.set(oid, Number(rest));
    else if (type === undefined && rest === '""') map.set(oid, '');
  }
  return map;
}

describe('integration: real snmpd', function () {
  this.timeout(60000);
  let snmpd: Snmpd;
  const mib = getMibService();
  const sysName = resolveOids(['sysName.0'], mib)[0];
  const sysUpTime = resolveOids(['sysUpTime.0'], mib)[0];

  before(async () => {
    snmpd = await startSnmpd({ users: combos.map((c) => c.user), sysName: 'snmpd-test' });
  });
  after(async () => {
    if (snmpd) await snmpd.stop();
  });

  for (const version of ['1', '2c']) {
    it(`GETs sysName and sysUpTime with SNMPv${version}`, async () => {
      const r = await get({ version }, { community: 'public' }, snmpd, [sysName, sysUpTime]);
      assert.ok(r.ok, !r.ok ? r.failure.message : '');
      if (r.ok) {
        assert.equal(r.varbinds[0].value, 'snmpd-test');
        assert.equal(r.varbinds[0].name, 'SNMPv2-MIB::sysName.0');
        assert.equal(r.varbinds[1].type, 'TimeTicks');
        assert.equal(typeof r.varbinds[1].value, 'number');
      }
    });
  }

  it(`GETs over SNMPv3 with each of the ${combos.length} security combinations snmpd accepts`, async () => {
    const failures: string[] = [];
    for (const c of combos) {
      const raw: Record<string, unknown> = { version: '3', user: c.user.name, securityLevel: c.level };
      if (c.auth) raw.authProtocol = c.auth;
      if (c.priv) raw.privProtocol = c.priv;
      const r = await get(raw, { authKey: AUTH_KEY, privKey: PRIV_KEY }, snmpd, [sysName]);
      if (!r.ok) failures.push(`${c.user.name}: ${r.failure.code} ${r.failure.message}`);
      else if (r.varbinds[0].value !== 'snmpd-test') failures.push(`${c.user.name}: wrong value ${r.varbinds[0].value}`);
    }
    assert.deepEqual(failures, []);
  });

  it('sends the configured context engine ID in the scoped PDU', async () => {
    // snmpd serves any context engine ID, so look at the wire: a relay records what
    // the client sends (noAuthNoPriv keeps the scoped PDU readable)
    const dgram = await import('dgram');
    const relay = dgram.createSocket('udp4');
    const sent: Buffer[] = [];
    let client: { address: string; port: number } | undefined;
    relay.on('message', (buf, rinfo) => {
      if (rinfo.port === snmpd.port) {
        if (client) relay.send(buf, client.port, client.address);
      } else {
        client = { address: rinfo.address, port: rinfo.port };
        sent.push(buf);
        relay.send(buf, snmpd.port, snmpd.host);
      }
    });
    await new Promise<void>((res) => relay.bind(0, '127.0.0.1', () => res()));
    const engineId = '80001f88801122334455';
    try {
      const profile = buildProfile({ version: '3', user: 'u-noauth', securityLevel: 'noAuthNoPriv', contextEngineId: engineId, port: relay.address().port, timeout: 800, retries: 0 }, {});
      const engine = new FleetEngine(profile);
      try {
        const r = await pollGet({ pool: engine.pool, profile, mib }, { host: '127.0.0.1', port: relay.address().port, name: 'via-relay', labels: {} }, [sysName]);
        assert.ok(r.ok, !r.ok ? r.failure.message : '');
      } finally {
        engine.close();
      }
      const needle = Buffer.concat([Buffer.from([0x04, engineId.length / 2]), Buffer.from(engineId, 'hex')]);
      const carrying = sent.filter((b) => b.includes(needle));
      assert.ok(carrying.length >= 1, 'a GET carried the context engine ID');
      assert.ok(sent.length > carrying.length, 'the discovery request did not');
    } finally {
      relay.close();
    }
  });

  for (const [label, version, columns] of [
    ['the ifTable subtree with SNMPv2c GETBULK', '2c', ['ifTable']],
    ['ifTable columns in lock-step with SNMPv2c GETBULK', '2c', ['ifIndex', 'ifDescr', 'ifType', 'ifMtu', 'ifSpeed', 'ifPhysAddress', 'ifAdminStatus', 'ifOperStatus']],
    ['ifTable columns in lock-step with SNMPv1 GETNEXT', '1', ['ifIndex', 'ifDescr', 'ifType', 'ifMtu', 'ifSpeed', 'ifPhysAddress', 'ifAdminStatus', 'ifOperStatus']],
  ] as const) {
    it(`walks ${label} equal to snmpbulkwalk on the non-changing columns`, async () => {
      const profile = buildProfile({ version, port: snmpd.port, timeout: 1000, retries: 1 }, { community: 'public' });
      const engine = new FleetEngine(profile);
      try {
        const roots = resolveOids([...columns], mib);
        const r = await pollWalk({ pool: engine.pool, profile, mib }, device(snmpd), roots, { nonRepeaters: 0, maxRepetitions: 25, maxVarbinds: 100000 });
        assert.ok(r.ok, !r.ok ? r.failure.message : '');
        if (!r.ok) return;
        const reference = snmpbulkwalk(snmpd, '1.3.6.1.2.1.2.2.1');
        const stableColumns = ['1', '2', '3', '4', '5', '6', '7', '8'].map((c) => `1.3.6.1.2.1.2.2.1.${c}.`);
        const ours = new Map<string, string | number>();
        for (const vb of r.varbinds) {
          if (stableColumns.some((p) => vb.oid.startsWith(p))) {
            ours.set(vb.oid, vb.type === 'OctetString' && vb.oid.startsWith('1.3.6.1.2.1.2.2.1.6.') ? (vb.display ?? vb.value) as string : vb.value as string | number);
          }
        }
        const expected = new Map([...reference].filter(([oid]) => stableColumns.some((p) => oid.startsWith(p))));
        assert.ok(expected.size >= 8, 'snmpbulkwalk saw the table');
        assert.deepEqual(ours, expected);
        const { rows, types } = buildRows(r, mib);
        const rowCount = [...expected.keys()].filter((o) => o.startsWith('1.3.6.1.2.1.2.2.1.1.')).length;
        assert.equal(rows.length, rowCount);
        assert.deepEqual(rows.map((row) => row.index), [...rows.map((row) => row.index)].sort((a, b) => Number(a) - Number(b)));
        assert.equal(types.ifDescr, 'OctetString');
        if (version === '2c' && columns.length > 1) assert.ok(r.requests <= 2, `lock-step took ${r.requests} requests`);
      } finally {
        engine.close();
      }
    });
  }

  it('honours maxVarbinds and stops with an error', async () => {
    const profile = buildProfile({ version: '2c', port: snmpd.port, timeout: 1000 }, { community: 'public' });
    const engine = new FleetEngine(profile);
    try {
      const r = await pollWalk({ pool: engine.pool, profile, mib }, device(snmpd), resolveOids(['system'], mib), { nonRepeaters: 0, maxRepetitions: 5, maxVarbinds: 3 });
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.failure.message, /cap of 3 varbinds/);
    } finally {
      engine.close();
    }
  });

  it('fetches non-repeaters once beside the walked columns', async () => {
    const profile = buildProfile({ version: '2c', port: snmpd.port, timeout: 1000 }, { community: 'public' });
    const engine = new FleetEngine(profile);
    try {
      const r = await pollWalk({ pool: engine.pool, profile, mib }, device(snmpd), resolveOids(['sysUpTime', 'ifDescr'], mib), { nonRepeaters: 1, maxRepetitions: 25, maxVarbinds: 1000 });
      assert.ok(r.ok);
      if (!r.ok) return;
      assert.equal(r.nonRepeaterCount, 1);
      assert.equal(r.varbinds[0].oid, '1.3.6.1.2.1.1.3.0');
      assert.ok(r.varbinds.slice(1).every((vb) => vb.oid.startsWith('1.3.6.1.2.1.2.2.1.2.')));
    } finally {
      engine.close();
    }
  });

  describe('failures, each classified within timeout × (retries + 1)', () => {
    const timeout = 400;
    const retries = 1;
    const bound = timeout * (retries + 1) + 1500; // slack for a loaded CI machine
    const cases: Array<[string, Record<string, unknown>, Record<string, string>, string, RegExp?]> = [
      ['wrong community', { version: '2c' }, { community: 'not-the-community' }, 'timeout'],
      // the agent's Report names the cause (usmStats), as snmpget says it
      ['wrong v3 auth key', { version: '3', user: 'u-sha256-aes', securityLevel: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes' }, { authKey: 'wrong-auth-key', privKey: PRIV_KEY }, 'auth', /^wrong authentication key or protocol/],
      ['unknown v3 user', { version: '3', user: 'nobody', securityLevel: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes' }, { authKey: AUTH_KEY, privKey: PRIV_KEY }, 'auth', /^unknown SNMPv3 user$/],
      ['wrong v3 privacy key', { version: '3', user: 'u-sha256-aes', securityLevel: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes' }, { authKey: AUTH_KEY, privKey: 'wrong-priv-key' }, 'timeout'],
    ];
    for (const [label, raw, creds, code, words] of cases) {
      it(`${label} → ${code}`, async () => {
        const started = Date.now();
        const r = await get({ ...raw, timeout, retries }, creds, snmpd, [sysName]);
        const elapsed = Date.now() - started;
        assert.equal(r.ok, false);
        if (r.ok) return;
        assert.equal(r.failure.code, code, r.failure.message);
        if (words) assert.match(r.failure.message, words);
        for (const secret of Object.values(creds)) assert.ok(!r.failure.message.includes(secret));
        assert.ok(elapsed <= bound, `classified after ${elapsed} ms`);
      });
    }

    it('unknown host → unreachable', async () => {
      const profile = buildProfile({ version: '2c', timeout, retries }, { community: 'public' });
      const engine = new FleetEngine(profile);
      try {
        const r = await pollGet({ pool: engine.pool, profile }, { host: 'host.that.does.not.exist.invalid', port: 161, name: 'ghost', labels: {} }, [sysName]);
        assert.equal(r.ok, false);
        if (!r.ok) assert.equal(r.failure.code, 'unreachable');
      } finally {
        engine.close();
      }
    });
  });
});
