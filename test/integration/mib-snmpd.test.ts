/**
 * The MIB service on real answers of Debian's snmpd: UCD-SNMP-MIB::memTotalReal.0 and a
 * walk of UCD-SNMP-MIB::laTable named and decoded, compared with snmpwalk's own naming
 * and rendering through the same MIB folders.
 */
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as snmp from 'net-snmp';
import { decodeVarbind } from '../../src/lib/common/codec';
import { MibService } from '../../src/lib/mib';
import { bundledMibDir } from '../../src/lib/mib/sources';
import { startSnmpd, type Snmpd } from '../support/snmpd';

const DEBIAN_MIBS = '/usr/share/snmp/mibs';

describe('MIB service on a real snmpd', function () {
  this.timeout(30000);
  let agent: Snmpd;
  let session: any;
  let tmp: string;
  const dirs = [bundledMibDir()!, DEBIAN_MIBS];
  const mib = new MibService({ defaults: false, dirs });

  before(async () => {
    if (!fs.existsSync('/usr/bin/snmpwalk') || !fs.existsSync(path.join(DEBIAN_MIBS, 'UCD-SNMP-MIB.txt'))) {
      throw new Error('Debian snmp tools and MIBs are needed: apt-get install snmp snmpd (or npm run system-deps)');
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mib-snmpd-'));
    agent = await startSnmpd({ community: 'mib-test' });
    session = snmp.createSession(agent.host, 'mib-test', { port: agent.port, version: snmp.Version2c, timeout: 2000, retries: 1 });
    session.on('error', () => undefined);
  });

  after(async () => {
    if (session) session.close();
    if (agent) await agent.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  function snmpwalk(oid: string): string[] {
    return execFileSync('/usr/bin/snmpwalk', ['-v2c', '-c', 'mib-test', '-M', dirs.join(':'), '-m', 'ALL', '-OS', '-Ob', '-Oe', `${agent.host}:${agent.port}`, oid], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, SNMPCONFPATH: tmp, SNMP_PERSISTENT_DIR: tmp, MIBS: '', MIBDIRS: '' },
    }).toString().split('\n').filter((l) => l.trim() !== '');
  }

  it('polls UCD-SNMP-MIB::memTotalReal.0 and names it module-qualified', async () => {
    const oid = mib.resolve('UCD-SNMP-MIB::memTotalReal.0');
    assert.equal(oid, '1.3.6.1.4.1.2021.4.5.0');
    const varbinds: any[] = await new Promise((resolve, reject) => session.get([oid], (e: Error | null, vb: any[]) => (e ? reject(e) : resolve(vb))));
    assert.equal(snmp.isVarbindError(varbinds[0]), false);
    assert.equal(mib.qualifiedName(varbinds[0].oid), 'UCD-SNMP-MIB::memTotalReal.0');
    assert.equal(mib.shortName(varbinds[0].oid), 'memTotalReal.0');
    assert.ok(varbinds[0].value > 0);
    const info = mib.describe(varbinds[0].oid)!;
    assert.equal(info.units, 'kB');
  });

  it('walks UCD-SNMP-MIB::laTable into named, index-decoded rows matching snmpwalk', async () => {
    const table = mib.resolve('UCD-SNMP-MIB::laTable');
    const varbinds: any[] = [];
    await new Promise<void>((resolve, reject) => session.subtree(table, 20, (vbs: any[]) => { varbinds.push(...vbs); }, (e: Error | null) => (e ? reject(e) : resolve())));
    assert.ok(varbinds.length >= 3 * 6, `${varbinds.length} varbinds`);

    const theirs = snmpwalk('UCD-SNMP-MIB::laTable');
    assert.equal(theirs.length, varbinds.length);
    const rows = new Map<string, Record<string, unknown>>();
    let floats = 0;
    varbinds.forEach((vb, i) => {
      const info = mib.describe(vb.oid)!;
      const name = mib.qualifiedName(vb.oid);
      // snmpwalk: "UCD-SNMP-MIB::laNames.1 = STRING: Load-1"
      const [theirName, theirValue] = theirs[i].split(' = ');
      assert.equal(name, theirName);
      const row = rows.get(info.instance) ?? { ...mib.decodeIndex(info.oid, info.instance) };
      let value: unknown = vb.value;
      if (vb.type === snmp.ObjectType.OctetString) {
        value = mib.formatOctets(info, vb.value) ?? vb.value.toString('hex');
        assert.equal(`STRING: ${value}`, theirValue, `${name} rendered as snmpwalk does`);
      }
      if (vb.type === snmp.ObjectType.Opaque) {
        // "Opaque: Float: 0.150000": the float net-snmp wraps in an Opaque
        const float = /^Opaque: Float: (\S+)$/.exec(theirValue);
        assert.ok(float, theirValue);
        const display = decodeVarbind({ oid: vb.oid, type: vb.type, value: vb.value }, info, mib).display;
        assert.ok(display !== undefined && Math.abs(Number(display) - Number(float[1])) < 5e-7, `${name}: ${display} for ${theirValue}`);
        floats++;
      }
      if (info.enums && typeof value === 'number') {
        assert.ok(theirValue.endsWith(`: ${value}`) || theirValue.includes(info.enums[value]), theirValue);
      }
      row[info.name] = value;
      rows.set(info.instance, row);
    });
    assert.equal(floats, 3, 'laLoadFloat of each row shown as its number');
    assert.deepEqual([...rows.keys()], ['1', '2', '3']);
    const one = rows.get('1')!;
    assert.equal(one.laIndex, 1);
    assert.equal(one.laNames, 'Load-1');
    assert.equal(typeof one.laLoadInt, 'number');
    assert.equal(mib.describe(mib.resolve('laErrorFlag.1'))!.enums![0], 'noError');
  });
});
