import { strict as assert } from 'assert';
import { execFile } from 'child_process';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as snmp from 'net-snmp';
import { Tag, decodeCommunityRequest, encodeMessage, encodeOid, requestIdBytes } from '../../../src/sim/ber';
import { loopbackAddress, startFleet, simOids, type Fleet, type FleetOptions } from '../../../src/sim/fleet';

const T0 = Date.UTC(2025, 0, 1);
const IF_ENTRY = '1.3.6.1.2.1.2.2.1';
const IF_X_ENTRY = '1.3.6.1.2.1.31.1.1.1';
const TWO32 = 2 ** 32;

/** Path of a Debian net-snmp tool; a missing one fails with the install command. */
function tool(name: string): string {
  const path = `/usr/bin/${name}`;
  if (!fs.existsSync(path)) throw new Error(`${path} is missing: run "apt-get install snmp" (or npm run system-deps)`);
  return path;
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 20000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0, stdout, stderr });
    });
  });
}

/** snmp tools: numeric OIDs, no MIB loading, bounded time. */
const QUIET = ['-On', '-m', '', '-t', '1', '-r', '0'];

const sessions: any[] = [];
function session(port: number, o: { version?: number; community?: string; timeout?: number; transport?: string; host?: string } = {}): any {
  const s = snmp.createSession(o.host ?? '127.0.0.1', o.community ?? 'public', {
    port, version: o.version ?? snmp.Version2c, timeout: o.timeout ?? 1000, retries: 0, transport: o.transport ?? 'udp4',
  });
  s.on('error', () => undefined);
  sessions.push(s);
  return s;
}

const get = (s: any, oids: string[]) => new Promise<any[]>((resolve, reject) => s.get(oids, (e: Error, v: any[]) => (e ? reject(e) : resolve(v))));
const getNext = (s: any, oids: string[]) => new Promise<any[]>((resolve, reject) => s.getNext(oids, (e: Error, v: any[]) => (e ? reject(e) : resolve(v))));
const getBulk = (s: any, oids: string[], nonRepeaters: number, maxRepetitions: number) =>
  new Promise<any[]>((resolve, reject) => s.getBulk(oids, nonRepeaters, maxRepetitions, (e: Error, v: any[]) => (e ? reject(e) : resolve(v))));
const set = (s: any, varbinds: any[]) => new Promise<any[]>((resolve, reject) => s.set(varbinds, (e: Error, v: any[]) => (e ? reject(e) : resolve(v))));
/** Walks a subtree (GETBULK for v2c, GETNEXT for v1) and returns every varbind. */
function walk(s: any, oid: string, maxRepetitions = 25): Promise<any[]> {
  const all: any[] = [];
  return new Promise((resolve, reject) => {
    s.subtree(oid, maxRepetitions, (vbs: any[]) => { all.push(...vbs); }, (e: Error) => (e ? reject(e) : resolve(all)));
  });
}
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: any) => e);

/** Parses `.1.3... = TYPE: value` lines of the snmp tools. */
function parseToolLines(text: string): Array<{ oid: string; type: string; value: string }> {
  // At the end of the MIB view the tools print the endOfMibView as one more line.
  return text.trim().split('\n').filter((line) => line && !/No more variables left/.test(line)).map((line) => {
    const m = /^\.?([\d.]+) = (?:([A-Za-z0-9-]+): )?(.*)$/.exec(line);
    if (!m) throw new Error(`unexpected tool output: ${line}`);
    return { oid: m[1], type: m[2] ?? '', value: m[3] };
  });
}

/** The tool's text for a value of the simulator, to compare row for row. */
function toolText(type: string, value: unknown): string {
  switch (type) {
    case 'OctetString': {
      const b = value as Buffer;
      return /^[\x20-\x7e]*$/.test(b.toString('latin1')) ? `"${b.toString()}"` : `${b.toString('hex').toUpperCase().match(/../g)!.join(' ')} `;
    }
    case 'TimeTicks': return `(${value})`;
    case 'OID': return `.${value}`;
    default: return String(value);
  }
}

describe('fleet simulator', function () {
  this.timeout(30000);
  let fleet: Fleet | undefined;
  let clock = T0;
  const start = async (o: Partial<FleetOptions> = {}) => {
    clock = T0;
    fleet = await startFleet({ count: 2, now: () => clock, ...o });
    return fleet;
  };

  afterEach(async () => {
    for (const s of sessions.splice(0)) s.close();
    if (fleet) await fleet.close();
    fleet = undefined;
  });

  it('answers the system group and ifNumber over v2c with the values of the model', async () => {
    const f = await start({ labels: { site: ['par', 'lon'] } });
    const s = session(f.devices[1].port);
    const oids = ['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.2.0', '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.4.0', '1.3.6.1.2.1.1.5.0',
      '1.3.6.1.2.1.1.6.0', '1.3.6.1.2.1.1.7.0', '1.3.6.1.2.1.2.1.0'];
    const vbs = await get(s, oids);
    assert.equal(vbs.length, oids.length);
    assert.equal(vbs[4].value.toString(), 'sim-0001');
    assert.equal(vbs[5].value.toString(), 'lon');
    assert.equal(vbs[1].value, '1.3.6.1.4.1.8072.3.2.10');
    assert.equal(vbs[7].value, 48);
    assert.equal(vbs[2].type, snmp.ObjectType.TimeTicks);
    assert.ok(vbs[2].value > 100 * 86400, 'seeded uptime of at least a day');
    for (let i = 0; i < oids.length; i++) {
      const expected = f.device(1).value(oids[i])!;
      assert.deepEqual(vbs[i].value, expected.value, oids[i]);
    }
  });

  it('walks ifTable and ifXTable with GETBULK (v2c) and GETNEXT (v1, without Counter64)', async () => {
    const f = await start({ interfaces: 12 });
    const v2 = session(f.devices[0].port);
    const ifTable = await walk(v2, IF_ENTRY);
    assert.equal(ifTable.length, 22 * 12);
    assert.deepEqual(ifTable.map((v) => v.oid), simOids(12).filter((o) => o.startsWith(`${IF_ENTRY}.`)));
    const ifXTable = await walk(v2, IF_X_ENTRY);
    assert.equal(ifXTable.length, 19 * 12);
    assert.equal(ifXTable.filter((v) => v.type === snmp.ObjectType.Counter64).length, 8 * 12);
    const mac = ifTable.find((v) => v.oid === `${IF_ENTRY}.6.3`);
    assert.equal(mac.value.toString('hex'), '020000000003');

    const v1 = session(f.devices[0].port, { version: snmp.Version1 });
    const v1X = await walk(v1, IF_X_ENTRY);
    assert.equal(v1X.length, 11 * 12, 'SNMPv1 skips the eight ifHC columns (RFC 3584)');
    assert.ok(v1X.every((v) => v.type !== snmp.ObjectType.Counter64));
  });

  it('matches Debian snmpbulkwalk row for row on ifTable and ifXTable', async () => {
    const f = await start();
    const port = f.devices[0].port;
    for (const root of [IF_ENTRY, IF_X_ENTRY]) {
      const out = await run(tool('snmpbulkwalk'), ['-v2c', '-c', 'public', ...QUIET, '-Cr25', `127.0.0.1:${port}`, root]);
      assert.equal(out.code, 0, out.stderr);
      const lines = parseToolLines(out.stdout);
      const mine = await walk(session(port), root);
      assert.equal(lines.length, root === IF_ENTRY ? 22 * 48 : 19 * 48);
      assert.equal(lines.length, mine.length);
      for (let i = 0; i < lines.length; i++) {
        assert.equal(lines[i].oid, mine[i].oid);
        // The clock is frozen, so even the counters must agree exactly.
        const expected = f.device(0).value(lines[i].oid)!;
        const text = lines[i].type === 'Timeticks' ? lines[i].value.replace(/\).*/, ')') : lines[i].value;
        assert.equal(text, toolText(expected.type, expected.value), `${lines[i].oid} (${lines[i].type})`);
      }
    }
  });

  it('returns Counter64 values at and above 2^63 exactly (snmpget and net-snmp)', async () => {
    const f = await start({ behaviours: { 0: { counter64Start: 2n ** 63n + 12345n } } });
    const port = f.devices[0].port;
    const oid = `${IF_X_ENTRY}.6.5`;
    const expected = f.device(0).value(oid)!.value as bigint;
    assert.ok(expected > 2n ** 63n);
    const out = await run(tool('snmpget'), ['-v2c', '-c', 'public', ...QUIET, `127.0.0.1:${port}`, oid]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(parseToolLines(out.stdout)[0].value, expected.toString());
    const [vb] = await get(session(port), [oid]);
    assert.equal(BigInt(`0x${vb.value.toString('hex')}`), expected);

    // The very top: 2^64 - 1, nine content bytes.
    const bytes = f.device(0).value(oid)!.value as bigint;
    f.device(0).setCounter64Start(0n);
    const counted = f.device(0).value(oid)!.value as bigint;
    assert.ok(bytes !== counted);
    f.device(0).setCounter64Start(2n ** 64n - 1n - counted);
    const top = await run(tool('snmpget'), ['-v2c', '-c', 'public', ...QUIET, `127.0.0.1:${port}`, oid]);
    assert.equal(parseToolLines(top.stdout)[0].value, '18446744073709551615');
  });

  it('advances counters at the configured rate from the injected clock', async () => {
    const f = await start({ rate: 1_000_000 });
    const s = session(f.devices[0].port);
    const oids = [`${IF_X_ENTRY}.6.1`, `${IF_X_ENTRY}.10.1`, `${IF_ENTRY}.10.1`, `${IF_ENTRY}.11.1`, '1.3.6.1.2.1.1.3.0'];
    const read = async () => (await get(s, oids)).map((v) => (Buffer.isBuffer(v.value) ? BigInt(`0x${v.value.toString('hex')}`) : BigInt(v.value)));
    const a = await read();
    const again = await read();
    assert.deepEqual(again, a, 'repeated reads at one instant agree');
    clock += 10_000;
    const b = await read();
    assert.equal(b[0] - a[0], 10_000_000n, 'ifHCInOctets: 1 MB/s for 10 s');
    assert.equal(b[1] - a[1], 5_000_000n, 'ifHCOutOctets: half the in rate');
    assert.equal((b[2] - a[2] + BigInt(TWO32)) % BigInt(TWO32), 10_000_000n, 'ifInOctets agrees');
    assert.ok(b[3] > a[3], 'packets move too');
    assert.equal(b[4] - a[4], 1000n, 'sysUpTime: 10 s = 1000 ticks');
  });

  it('wraps Counter32 within seconds with wrapSoon, leaving Counter64 continuous', async () => {
    const f = await start({ rate: 1_000_000, behaviours: { 0: { wrapSoon: 5 } } });
    const s = session(f.devices[0].port);
    const oids = [`${IF_ENTRY}.10.1`, `${IF_X_ENTRY}.6.1`];
    const [c1, h1] = await get(s, oids);
    assert.equal(c1.value, TWO32 - 5_000_000);
    clock += 6000;
    const [c2, h2] = await get(s, oids);
    assert.equal(c2.value, 1_000_000, 'wrapped past 2^32');
    const hc = (v: any) => BigInt(`0x${v.value.toString('hex')}`);
    assert.equal(hc(h2) - hc(h1), 6_000_000n);
  });

  it('reboot restarts sysUpTime and counters; resetCounters moves ifCounterDiscontinuityTime', async () => {
    const f = await start({ rate: 1_000_000 });
    const s = session(f.devices[0].port);
    const oids = ['1.3.6.1.2.1.1.3.0', `${IF_X_ENTRY}.6.1`, `${IF_X_ENTRY}.19.1`, `${IF_ENTRY}.9.1`];
    const before = await get(s, oids);
    assert.ok(before[0].value > 8_640_000);
    assert.equal(before[2].value, 0);
    f.device(0).reboot();
    let after = await get(s, oids);
    assert.equal(after[0].value, 0);
    assert.equal(after[1].value.toString('hex'), '00');
    clock += 6000; // interfaces come up 1 s after boot, then count 5 s
    after = await get(s, oids);
    assert.equal(after[0].value, 600);
    assert.equal(BigInt(`0x${after[1].value.toString('hex')}`), 5_000_000n);
    assert.equal(after[2].value, 100, 'ifCounterDiscontinuityTime: counters restarted at 1 s');
    assert.equal(after[3].value, 100, 'ifLastChange: interface up at 1 s');

    clock += 10_000;
    f.device(0).resetCounters();
    after = await get(s, oids);
    assert.equal(after[2].value, 1600);
    assert.equal(after[1].value.toString('hex'), '00');
  });

  it('linkDown reports ifOperStatus down(2) and stops the traffic; linkUp resumes it', async () => {
    const f = await start({ rate: 1_000_000 });
    const s = session(f.devices[0].port);
    const oids = [`${IF_ENTRY}.8.3`, `${IF_X_ENTRY}.6.3`, `${IF_ENTRY}.9.3`, '1.3.6.1.2.1.1.3.0'];
    clock += 1000;
    f.device(0).linkDown(3);
    const down = await get(s, oids);
    assert.equal(down[0].value, 2);
    assert.equal(down[2].value, down[3].value, 'ifLastChange = sysUpTime at the change');
    clock += 10_000;
    const still = await get(s, oids);
    assert.deepEqual(still[1].value, down[1].value, 'no traffic while down');
    f.device(0).linkUp(3);
    clock += 1000;
    const up = await get(s, oids);
    assert.equal(up[0].value, 1);
    const hc = (v: any) => BigInt(`0x${v.value.toString('hex')}`);
    assert.equal(hc(up[1]) - hc(down[1]), 1_000_000n);
    assert.throws(() => f.device(0).linkDown(49), RangeError);
  });

  it('saturates one interface near its ifSpeed for a while, then goes back', async () => {
    const f = await start({ rate: 1_000_000 });
    const s = session(f.devices[0].port);
    const oid = `${IF_X_ENTRY}.6.2`;
    const hc = async () => BigInt(`0x${(await get(s, [oid]))[0].value.toString('hex')}`);
    f.device(0).saturate(2, 10_000);
    const a = await hc();
    clock += 10_000;
    const b = await hc();
    const [speed] = await get(s, [`${IF_ENTRY}.5.2`]);
    const bps = Number(b - a) * 8 / 10;
    assert.ok(bps > 0.95 * speed.value && bps <= speed.value, `${bps} bit/s near ${speed.value}`);
    clock += 10_000;
    assert.equal((await hc()) - b, 10_000_000n, 'back to 1 MB/s');
  });

  it('silent devices and wrong communities get no answer, counted as dropped', async () => {
    const f = await start({ behaviours: { 1: { silent: true } } });
    const dead = await failure(get(session(f.devices[1].port, { timeout: 300 }), ['1.3.6.1.2.1.1.5.0']));
    assert.ok(dead instanceof snmp.RequestTimedOutError, String(dead));
    const wrong = await failure(get(session(f.devices[0].port, { timeout: 300, community: 'private' }), ['1.3.6.1.2.1.1.5.0']));
    assert.ok(wrong instanceof snmp.RequestTimedOutError, String(wrong));
    const stats = f.stats();
    assert.equal(stats.perDevice[1].requests, 1);
    assert.equal(stats.perDevice[1].dropped, 1);
    assert.equal(stats.perDevice[0].dropped, 1);
    assert.equal(stats.responses, 0);
    f.device(1).setSilent(false);
    const [vb] = await get(session(f.devices[1].port), ['1.3.6.1.2.1.1.5.0']);
    assert.equal(vb.value.toString(), 'sim-0001');
    assert.equal(f.stats().responses, 1);
  });

  it('slow devices answer after their delay', async () => {
    const f = await start({ behaviours: { 0: { slowMs: 600 } } });
    const early = await failure(get(session(f.devices[0].port, { timeout: 100 }), ['1.3.6.1.2.1.1.5.0']));
    assert.ok(early instanceof snmp.RequestTimedOutError);
    const [vb] = await get(session(f.devices[0].port, { timeout: 5000 }), ['1.3.6.1.2.1.1.5.0']);
    assert.equal(vb.value.toString(), 'sim-0000');
    f.device(0).setSlow(0);
    assert.equal(f.device(0).behaviour().slowMs, 0);
  });

  it('answers tooBig to an oversized GET and cuts GETBULK answers to 1472 bytes', async () => {
    const f = await start({ maxMessageSize: 1472 });
    const s = session(f.devices[0].port);
    const big = await failure(get(s, new Array(40).fill('1.3.6.1.2.1.1.1.0')));
    assert.ok(big instanceof snmp.RequestFailedError);
    assert.equal(big.status, snmp.ErrorStatus.TooBig);

    // Raw GETBULK of 11 columns x 200 repetitions: the answer is cut, never an error.
    const columns = [1, 2, 3, 4, 5, 6, 7, 8, 10, 16, 11].map((c) => encodeOid([1, 3, 6, 1, 2, 1, 2, 2, 1, c]));
    const vbl = Buffer.concat(columns.map((o) => Buffer.concat([Buffer.from([0x30, o.length + 2]), o, Buffer.from([5, 0])])));
    const request = encodeMessage({
      version: 1, community: Buffer.from('public'), pduType: Tag.GetBulkRequest, requestId: requestIdBytes(4242),
      errorStatus: 0, errorIndex: 200, varbinds: vbl, varbindsLength: vbl.length,
    });
    const answer = async (port: number) => {
      const client = dgram.createSocket('udp4');
      try {
        return await new Promise<Buffer>((resolve) => {
          client.once('message', (m) => resolve(m));
          client.send(request, port, '127.0.0.1');
        });
      } finally {
        client.close();
      }
    };
    const msg = await answer(f.devices[0].port);
    assert.ok(msg.length <= 1472, `${msg.length} bytes`);
    const decoded = decodeCommunityRequest(msg); // same layout: error-status in the nonRepeaters slot
    assert.equal(decoded.pduType, Tag.Response);
    assert.equal(decoded.nonRepeaters, 0, 'no error-status');
    assert.ok(decoded.oids.length > 11 && decoded.oids.length < 11 * 200);
    // net-snmp returns one array of repetitions per repeating OID.
    const bulk = await getBulk(s, ['1.3.6.1.2.1.2.2.1.2', '1.3.6.1.2.1.31.1.1.1.6'], 0, 20);
    assert.deepEqual(bulk.map((column) => column.length), [20, 20], 'a small GETBULK is whole');

    await fleet!.close();
    const roomy = await start({ maxMessageSize: 65507 });
    const full = decodeCommunityRequest(await answer(roomy.devices[0].port));
    assert.ok(full.oids.length > decoded.oids.length * 10, 'a larger max message size carries more');
  });

  it('follows RFC 3416 exceptions in v2c and RFC 1157 errors in v1', async () => {
    const f = await start();
    const port = f.devices[0].port;
    const v2 = session(port);
    const [obj, inst] = await get(v2, ['1.3.6.1.2.1.1.9.0', '1.3.6.1.2.1.2.2.1.2.49']);
    assert.equal(obj.type, snmp.ObjectType.NoSuchObject);
    assert.equal(inst.type, snmp.ObjectType.NoSuchInstance);
    const [end] = await getNext(v2, [`${IF_X_ENTRY}.19.48`]);
    assert.equal(end.type, snmp.ObjectType.EndOfMibView);
    const bulk = await getBulk(v2, ['1.3.6.1.2.1.1.1', `${IF_X_ENTRY}.19.47`], 1, 3);
    assert.equal(bulk[0].type, snmp.ObjectType.OctetString);
    // The column ends after one row; the answer stops once every column has ended.
    assert.deepEqual(bulk[1].map((v: any) => v.type), [snmp.ObjectType.TimeTicks, snmp.ObjectType.EndOfMibView]);
    assert.equal(bulk[1][1].oid, `${IF_X_ENTRY}.19.48`, 'endOfMibView names the last OID reached');
    const notWritable = await failure(set(v2, [{ oid: '1.3.6.1.2.1.1.5.0', type: snmp.ObjectType.OctetString, value: 'x' }]));
    assert.equal(notWritable.status, snmp.ErrorStatus.NotWritable);

    const v1 = session(port, { version: snmp.Version1 });
    const hc = await failure(get(v1, [`${IF_X_ENTRY}.6.1`]));
    assert.equal(hc.status, snmp.ErrorStatus.NoSuchName, 'Counter64 does not exist for v1');
    const missing = await failure(get(v1, ['1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.9.0']));
    assert.equal(missing.status, snmp.ErrorStatus.NoSuchName);
    const past = await failure(getNext(v1, [`${IF_X_ENTRY}.19.48`]));
    assert.equal(past.status, snmp.ErrorStatus.NoSuchName);
    const readOnly = await failure(set(v1, [{ oid: '1.3.6.1.2.1.1.5.0', type: snmp.ObjectType.OctetString, value: 'x' }]));
    assert.equal(readOnly.status, snmp.ErrorStatus.ReadOnly);
    const v1Walk = await run(tool('snmpwalk'), ['-v1', '-c', 'public', ...QUIET, `127.0.0.1:${port}`, '1.3.6.1.2.1.1']);
    assert.equal(parseToolLines(v1Walk.stdout).length, 7);
    assert.ok(f.stats().errors >= 5);
  });

  it('starts 500 devices with an inventory and closes every socket', async () => {
    const handles = () => (process as any)._getActiveHandles().length;
    const before = handles();
    const f = await startFleet({ count: 500, labels: { site: ['par', 'lon'], role: ['edge', 'core'] } });
    assert.equal(handles(), before + 500);
    const lines = f.inventoryText().trimEnd().split('\n');
    assert.equal(lines.length, 500);
    assert.equal(new Set(f.devices.map((d) => d.port)).size, 500);
    lines.forEach((line, i) => {
      const role = i % 2 ? 'core' : 'edge';
      assert.match(line, new RegExp(`^127\\.0\\.0\\.1:${f.devices[i].port} sim-${String(i).padStart(4, '0')} site=(par|lon) role=${role}$`));
    });
    const [vb] = await get(session(f.devices[499].port), ['1.3.6.1.2.1.1.5.0']);
    assert.equal(vb.value.toString(), 'sim-0499');
    for (const s of sessions.splice(0)) s.close();
    await f.close();
    await f.close(); // idempotent
    assert.equal(handles(), before);
  });

  it('binds consecutive ports from basePort and fails clearly when one is taken', async () => {
    const handles = () => (process as any)._getActiveHandles().length;
    const blocker = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', () => resolve()));
    const taken = blocker.address().port;
    const before = handles();
    try {
      await assert.rejects(startFleet({ count: 5, basePort: taken - 2 }), /already in use/);
      assert.equal(handles(), before, 'no socket left behind by a failed start');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
    let ok = false;
    for (let attempt = 0; attempt < 5 && !ok; attempt++) {
      const base = 20000 + Math.floor(Math.random() * 30000);
      try {
        fleet = await startFleet({ count: 3, basePort: base });
        assert.deepEqual(fleet.devices.map((d) => d.port), [base, base + 1, base + 2]);
        ok = true;
      } catch (err) {
        if (!/already in use/.test((err as Error).message)) throw err;
      }
    }
    assert.ok(ok, 'found three free consecutive ports');
    await assert.rejects(startFleet({ count: 3, basePort: 65534 }), /65535/);
  });

  it('gives each device its own loopback address with host per-device, and sends its traps from it', async () => {
    assert.deepEqual([0, 1, 249, 250, 251].map(loopbackAddress), ['127.0.0.2', '127.0.0.3', '127.0.0.251', '127.0.1.2', '127.0.1.3']);
    const f = await start({ count: 3, host: 'per-device', basePort: 0 });
    assert.deepEqual(f.devices.map((d) => d.host), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    assert.match(f.inventoryText().split('\n')[1], /^127\.0\.0\.3:\d+ sim-0001$/);
    const [vb] = await get(session(f.devices[2].port, { host: '127.0.0.4' }), ['1.3.6.1.2.1.1.5.0']);
    assert.equal(vb.value.toString(), 'sim-0002');
    // the same port on another device's address is not this device
    const other = await failure(get(session(f.devices[2].port, { host: '127.0.0.3', timeout: 300 }), ['1.3.6.1.2.1.1.5.0']));
    assert.match(String(other.message ?? other), /timed out|Request timed out/i);
    const sink = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', () => resolve()));
    try {
      const from = new Promise<dgram.RemoteInfo>((resolve) => sink.once('message', (_m, rinfo) => resolve(rinfo)));
      await f.sendTrap(1, { host: '127.0.0.1', port: sink.address().port }, 'linkDown', { ifIndex: 2 });
      const rinfo = await from;
      assert.deepEqual([rinfo.address, rinfo.port], ['127.0.0.3', f.devices[1].port]);
    } finally {
      await new Promise<void>((resolve) => sink.close(() => resolve()));
    }
  });

  it('serves devices on the IPv6 loopback', async () => {
    const f = await start({ host: '::1' });
    assert.match(f.inventoryText().split('\n')[0], /^\[::1\]:\d+ sim-0000$/);
    const [vb] = await get(session(f.devices[0].port, { host: '::1', transport: 'udp6' }), ['1.3.6.1.2.1.1.5.0']);
    assert.equal(vb.value.toString(), 'sim-0000');
  });
});
