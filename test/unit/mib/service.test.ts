import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { getMibService, MibService, type MibProblem } from '../../../src/lib/mib';
import { bundledMibDir, ParseCache } from '../../../src/lib/mib/sources';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'mibs');
const VENDOR = path.join(FIXTURES, 'vendor');
const BROKEN = path.join(FIXTURES, 'broken');
const BUNDLED = bundledMibDir()!;

describe('mib service: bundled MIBs', () => {
  const mib = new MibService({ defaults: false, dirs: [BUNDLED] });

  it('finds net-snmp bundled MIB folder', () => {
    assert.ok(fs.existsSync(path.join(BUNDLED, 'IF-MIB.mib')));
  });

  it('resolves every form a user types', () => {
    assert.equal(mib.resolve('sysUpTime.0'), '1.3.6.1.2.1.1.3.0');
    assert.equal(mib.resolve('SNMPv2-MIB::sysDescr.0'), '1.3.6.1.2.1.1.1.0');
    assert.equal(mib.resolve('IF-MIB::ifHCInOctets'), '1.3.6.1.2.1.31.1.1.1.6');
    assert.equal(mib.resolve('IF-MIB::ifHCInOctets.3'), '1.3.6.1.2.1.31.1.1.1.6.3');
    assert.equal(mib.resolve('ifDescr'), '1.3.6.1.2.1.2.2.1.2');
    assert.equal(mib.resolve('IF-MIB::ifXTable'), '1.3.6.1.2.1.31.1.1');
    assert.equal(mib.resolve('.1.3.6.1.2.1.1.1.0'), '1.3.6.1.2.1.1.1.0');
    assert.equal(mib.resolve('1.3.6.1.2.1.1.1.0'), '1.3.6.1.2.1.1.1.0');
    assert.equal(mib.resolve('  sysName.0 '), '1.3.6.1.2.1.1.5.0');
    assert.equal(mib.resolve('system.sysDescr.0'), '1.3.6.1.2.1.1.1.0');
    assert.equal(mib.resolve('iso.3.6'), '1.3.6');
    assert.equal(mib.resolve('ifDescr."ab"'), '1.3.6.1.2.1.2.2.1.2.2.97.98');
    assert.equal(mib.resolve("ifDescr.'ab'"), '1.3.6.1.2.1.2.2.1.2.97.98');
  });

  it('throws an error naming what is unknown', () => {
    assert.throws(() => mib.resolve('noSuchThing.0'), /unknown MIB object name "noSuchThing"/);
    assert.throws(() => mib.resolve('IF-MIB::sysDescr'), /"sysDescr" is not defined in module IF-MIB/);
    assert.throws(() => mib.resolve('NO-SUCH-MIB::x'), /unknown MIB module "NO-SUCH-MIB"/);
    assert.throws(() => mib.resolve('sysDescr.'), /ends with a dot/);
    assert.throws(() => mib.resolve(''), /empty/);
    assert.throws(() => mib.resolve('1.3.6.99999999999'), /out of range/);
    assert.throws(() => mib.resolve('sysDescr.0.x y'), /not a valid part/);
    assert.throws(() => mib.resolve('IF-MIB::'), /no object name/);
  });

  it('describes instance OIDs by longest prefix', () => {
    const info = mib.describe('1.3.6.1.2.1.31.1.1.1.6.3')!;
    assert.equal(info.module, 'IF-MIB');
    assert.equal(info.name, 'ifHCInOctets');
    assert.equal(info.instance, '3');
    assert.equal(info.syntax, 'Counter64');
    assert.equal(info.oid, '1.3.6.1.2.1.31.1.1.1.6');
    assert.equal(info.kind, 'column');
    const oper = mib.describe('1.3.6.1.2.1.2.2.1.8.3')!;
    assert.equal(oper.enums![1], 'up');
    assert.equal(oper.enums![2], 'down');
    assert.equal(mib.describe('1.3.6.1.2.1.2.2.1.2.1')!.syntax, 'DisplayString');
    assert.equal(mib.describe('1.3.6.1.2.1.2.2.1.3.1')!.enums![6], 'ethernetCsmacd', 'IANAifType TC enums');
    assert.equal(mib.describe('.1.3.6.1.2.1.1.3.0')!.name, 'sysUpTime');
    assert.equal(mib.describe('1.3.6.1.2.1.2.2')!.instance, '');
    assert.equal(mib.describe('1.3.6.1.2.1.2.2')!.kind, 'table');
    assert.equal(mib.describe('1.3.6.1.2.1.2.2.1')!.kind, 'row');
    assert.equal(mib.describe('1.3.6.1.2.1.1.5')!.kind, 'scalar');
  });

  it('names OIDs both ways: qualified for varbinds, short for payload keys', () => {
    assert.equal(mib.qualifiedName('1.3.6.1.2.1.1.3.0'), 'SNMPv2-MIB::sysUpTime.0');
    assert.equal(mib.shortName('1.3.6.1.2.1.31.1.1.1.6.3'), 'ifHCInOctets.3');
    assert.equal(mib.qualifiedName('1.3.6.1.2.1.2.2'), 'IF-MIB::ifTable');
    // the snmptranslate form under a structural node
    assert.equal(mib.qualifiedName('1.3.6.1.4.1.99999.1.2'), 'SNMPv2-SMI::enterprises.99999.1.2');
    assert.equal(mib.qualifiedName('1.5.7'), '1.5.7');
    assert.equal(mib.shortName('.1.5.7'), '1.5.7');
  });

  it('prefers the SMIv2 module when several define one OID', () => {
    assert.equal(mib.describe('1.3.6.1.2.1.2.2.1.2.1')!.module, 'IF-MIB');
    assert.equal(mib.describe('1.3.6.1.2.1.1.1.0')!.module, 'SNMPv2-MIB');
    assert.equal(mib.resolve('RFC1213-MIB::ifDescr'), '1.3.6.1.2.1.2.2.1.2');
  });

  it('returns undefined for malformed OIDs and OIDs under no object', () => {
    for (const bad of ['', 'abc', '1.3..6', '1.3.6.', '1.3.6.1.2.1.x', '5.1', '1.3.6.1.99999999999', '.']) {
      assert.equal(mib.describe(bad), undefined, bad);
    }
  });

  it('returns frozen, cached answers', () => {
    const a = mib.describe('1.3.6.1.2.1.2.2.1.10.7')!;
    const b = mib.describe('1.3.6.1.2.1.2.2.1.10.7')!;
    assert.equal(a, b);
    assert.ok(Object.isFrozen(a));
    assert.ok(Object.isFrozen(mib.describe('1.3.6.1.2.1.2.2.1.8.7')!.enums));
    try { (a as { instance: string }).instance = 'x'; } catch { /* strict mode throws */ }
    assert.equal(mib.describe('1.3.6.1.2.1.2.2.1.10.7')!.instance, '7');
  });

  it('decodes table indexes: ipNetToMediaTable gives ifIndex and IP address', () => {
    assert.deepEqual(mib.decodeIndex('1.3.6.1.2.1.4.22.1.2', '3.10.0.0.1'), { ipNetToMediaIfIndex: 3, ipNetToMediaNetAddress: '10.0.0.1' });
    assert.deepEqual(mib.decodeIndex('1.3.6.1.2.1.31.1.1.1.6', '12'), { ifIndex: 12 }, 'ifXEntry AUGMENTS ifEntry');
    assert.equal(mib.decodeIndex('1.3.6.1.2.1.4.22.1.2', '3.10.0.0'), undefined, 'too short');
    assert.equal(mib.decodeIndex('1.3.6.1.2.1.4.22.1.2', '3.10.0.0.1.9'), undefined, 'left over');
    assert.equal(mib.decodeIndex('1.3.6.1.2.1.4.22.1.2', '3.10.0.0.256'), undefined, 'octet > 255');
    assert.equal(mib.decodeIndex('1.3.6.1.2.1.4.22.1.2', '3.a'), undefined, 'not numeric');
    assert.equal(mib.decodeIndex('1.3.6.1.2.1.1.5', '0'), undefined, 'scalar');
  });

  it('lists a table\'s readable columns in OID order, any other OID as itself', () => {
    const ifColumns = Array.from({ length: 22 }, (_, i) => `1.3.6.1.2.1.2.2.1.${i + 1}`);
    assert.deepEqual(mib.tableColumns('1.3.6.1.2.1.2.2'), ifColumns, 'ifTable: ifIndex .. ifSpecific, 2 before 10');
    assert.deepEqual(mib.tableColumns('1.3.6.1.2.1.2.2.1'), ifColumns, 'ifEntry gives the same columns');
    assert.deepEqual(mib.tableColumns('1.3.6.1.2.1.31.1.2'), ['1.3.6.1.2.1.31.1.2.1.3'], 'ifStackTable: not-accessible index columns left out');
    assert.deepEqual(mib.tableColumns('1.3.6.1.2.1.1.3'), ['1.3.6.1.2.1.1.3'], 'scalar sysUpTime');
    assert.deepEqual(mib.tableColumns('1.3.6.1.2.1.2.2.1.2'), ['1.3.6.1.2.1.2.2.1.2'], 'a column is not expanded');
    assert.deepEqual(mib.tableColumns('1.3.6.1.4.1.99999.7'), ['1.3.6.1.4.1.99999.7'], 'unknown OID');
    assert.equal(mib.tableColumns('1.3.6.1.2.1.2.2'), mib.tableColumns('1.3.6.1.2.1.2.2'), 'cached');
  });

  it('searches names: exact, then prefix, then substring, one hit per object', () => {
    const hits = mib.search('ifDescr');
    assert.equal(hits[0].qualified, 'IF-MIB::ifDescr');
    assert.equal(hits.filter((h) => h.oid === '1.3.6.1.2.1.2.2.1.2').length, 1);
    const inOctets = mib.search('inoctets').map((h) => h.name);
    assert.ok(inOctets.indexOf('ifInOctets') < inOctets.indexOf('ifHCInOctets'));
    const prefix = mib.search('ifHC').map((h) => h.name);
    assert.ok(prefix.every((n) => n.startsWith('ifHC')));
    assert.ok(mib.search('IF-MIB::ifHC').every((h) => h.module === 'IF-MIB'));
    assert.ok(mib.search('1.3.6.1.2.1.2.2.1').some((h) => h.name === 'ifDescr'));
    assert.equal(mib.search('if', 5).length, 5);
    assert.deepEqual(mib.search(''), []);
  });
});

describe('mib service: vendor MIBs', () => {
  const mib = new MibService({ defaults: false, dirs: [BUNDLED, VENDOR] });

  it('finds modules by declared name whatever the file is called, imports across files', () => {
    assert.deepEqual(mib.problems(), []);
    assert.equal(mib.resolve('ACME-SMI::acme'), '1.3.6.1.4.1.64999');
    assert.ok(mib.modulesLoaded().some((m) => m.name === 'ACME-SYSTEM-MIB' && m.file.endsWith('acme-system.mib')));
    const temp = mib.describe(mib.resolve('acmeSysTemperature.0'))!;
    assert.equal(temp.syntax, 'AcmeTemperature');
    assert.equal(temp.base, 'Integer32');
    assert.equal(temp.hint, 'd-1');
    assert.equal(temp.units, '0.1 degrees Celsius');
    assert.equal(mib.formatInteger(temp, 235), '23.5');
    assert.equal(mib.describe(mib.resolve('acmeSysLed.0'))!.enums![2], 'amber');
    assert.equal(mib.resolve('acmeLegacyColdStart'), '1.3.6.1.4.1.64998.0.1');
    assert.equal(mib.describe('1.3.6.1.4.1.64999.2.2.0.1')!.kind, 'notification');
  });

  it('renders values by convention', () => {
    const d = (n: string) => mib.describe(mib.resolve(n))!;
    assert.equal(mib.formatOctets(d('acmePortMac.1'), Buffer.from('001122aabbcc', 'hex')), '00:11:22:aa:bb:cc');
    assert.equal(mib.formatOctets(d('ifPhysAddress.1'), Buffer.from('001122aabbcc', 'hex')), '00:11:22:aa:bb:cc');
    assert.equal(mib.formatOctets(d('acmeSysBootTime.0'), Buffer.from([0x07, 0xe8, 12, 31, 23, 59, 60, 9, 0x2d, 5, 30])), '2024-12-31T23:59:60.9-05:30');
    assert.equal(mib.formatOctets(d('acmeSysName.0'), Buffer.from('core-1')), 'core-1');
    assert.equal(mib.formatOctets(d('acmeSysOwner.0'), Buffer.from('Zoë', 'utf8')), 'Zoë');
    assert.equal(mib.formatOctets(d('acmeSysSerial.0'), Buffer.from('0a0b0c0d0e0f1011', 'hex')), '0a0b-0c0d-0e0f-1011');
    assert.equal(mib.formatOctets(d('sysDescr.0'), Buffer.from('Linux')), 'Linux');
    const remote = d('acmeNbrRemote.1');
    assert.equal(remote.addressTypeColumn, mib.resolve('acmeNbrRemoteType'));
    assert.equal(mib.formatOctets(remote, Buffer.from([192, 0, 2, 1]), 1), '192.0.2.1');
    assert.equal(mib.formatOctets(remote, Buffer.from('20010db8000000000000000000000001', 'hex'), 2), '2001:db8::1');
    assert.equal(mib.formatOctets(remote, Buffer.from([192, 0, 2, 1])), '192.0.2.1', 'by length without the type');
    assert.equal(mib.formatOctets(d('acmeUserPeer.1'), Buffer.from([1, 2, 3, 4])), undefined, 'IpAddress is not an octet string');
    assert.equal(mib.formatOctets(d('acmeSysUptime.0'), Buffer.from([1])), undefined);
  });

  it('decodes every kind of INDEX', () => {
    const col = (n: string) => mib.resolve(n);
    assert.deepEqual(mib.decodeIndex(col('acmePortLed'), '7'), { acmePortIfIndex: 7 });
    assert.deepEqual(mib.decodeIndex(col('acmePortXAlias'), '7'), { acmePortIfIndex: 7 }, 'AUGMENTS');
    assert.deepEqual(mib.decodeIndex(col('acmeNbrState'), '3.1.4.10.0.0.1'), { acmeNbrIfIndex: 3, acmeNbrAddrType: 1, acmeNbrAddr: '10.0.0.1' });
    assert.deepEqual(mib.decodeIndex(col('acmeNbrState'), '3.2.16.254.128.0.0.0.0.0.0.0.0.0.0.0.0.0.1'), { acmeNbrIfIndex: 3, acmeNbrAddrType: 2, acmeNbrAddr: 'fe80::1' });
    assert.deepEqual(mib.decodeIndex(col('acmeNbrState'), '3.16.3.102.111.111'), { acmeNbrIfIndex: 3, acmeNbrAddrType: 16, acmeNbrAddr: 'foo' });
    assert.deepEqual(mib.decodeIndex(col('acmeMacPort'), '10.0.17.34.51.68.85'), { acmeMacVlan: 10, acmeMacAddress: '00:11:22:33:44:55' }, 'fixed-size string, no length');
    assert.deepEqual(mib.decodeIndex(col('acmeUserStatus'), '3.111.112.115.97.108.105.99.101'), { acmeUserGroup: 'ops', acmeUserName: 'alice' }, 'IMPLIED');
    assert.deepEqual(mib.decodeIndex(col('acmeNbrState'), '3.16.2.1.255'), { acmeNbrIfIndex: 3, acmeNbrAddrType: 16, acmeNbrAddr: '01:ff' }, 'binary as hex');
    assert.deepEqual(mib.decodeIndex(col('acmeLegacyPeerPackets'), '1.192.168.1.1.7'), { acmeLegacyPeerAddr: '192.168.1.1', INTEGER: 7 }, 'SMIv1 NetworkAddress and INTEGER');
    assert.equal(mib.decodeIndex(col('acmeMacPort'), '10.0.17.34.51.68'), undefined);
    assert.equal(mib.decodeIndex(col('acmeUserStatus'), '9.111'), undefined);
    assert.deepEqual(mib.indexObjects(col('acmeUserStatus'))!.map((p) => [p.name, p.implied]), [['acmeUserGroup', false], ['acmeUserName', true]]);
  });

  it('round-trips string indexes (property)', () => {
    const printable = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => /^[\x20-\x7e]+$/.test(s));
    fc.assert(fc.property(printable, printable, (group, name) => {
      const oid = mib.resolve(`acmeUserStatus."${group.replace(/["']/g, 'x')}".'${name.replace(/["']/g, 'x')}'`);
      const info = mib.describe(oid)!;
      assert.deepEqual(mib.decodeIndex(info.oid, info.instance), { acmeUserGroup: group.replace(/["']/g, 'x'), acmeUserName: name.replace(/["']/g, 'x') });
    }), { numRuns: 200 });
  });
});

describe('mib service: names both ways (property)', () => {
  const mib = new MibService({ defaults: false, dirs: [BUNDLED, VENDOR] });

  it('resolve(qualifiedName(oid)) and resolve(shortName(oid)) give the OID back', () => {
    const oids = [...new Set(mib.definitions().map((n) => n.oid))];
    assert.ok(oids.length > 300, String(oids.length));
    fc.assert(fc.property(fc.constantFrom(...oids), fc.array(fc.nat(70000), { maxLength: 6 }), (base, suffix) => {
      const oid = [base, ...suffix].join('.');
      assert.equal(mib.resolve(mib.qualifiedName(oid)), oid);
      const short = mib.shortName(oid);
      const info = mib.describe(oid)!;
      // a short name is ambiguous only where two modules share a label at different OIDs
      if (mib.definitions().filter((n) => n.name === info.name && n.oid !== info.oid).length === 0) assert.equal(mib.resolve(short), oid);
    }), { numRuns: 2000 });
  });

  it('never throws on arbitrary OID text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => {
      mib.describe(s);
      mib.qualifiedName(s);
      try { mib.resolve(s); } catch (e) { assert.ok(e instanceof Error); }
    }), { numRuns: 2000 });
  });
});

describe('mib service: broken MIB folder', () => {
  let warned: Array<[string, MibProblem]>;
  let mib: MibService;
  before(() => {
    mib = new MibService({ defaults: false, dirs: [BUNDLED, BROKEN] });
    warned = [];
    mib.onWarning((text, p) => warned.push([text, p]));
    mib.load();
  });

  it('gives exactly one warning per problem file', () => {
    const files = warned.map(([, p]) => path.basename(p.file)).sort();
    assert.deepEqual(files, ['empty.mib', 'garbage.bin', 'missing-import.mib', 'syntax-error.mib', 'zz-duplicate.txt']);
    assert.equal(mib.warnings().length, 5);
    for (const [text, p] of warned) assert.ok(text.includes(p.file), `names the file: ${text}`);
  });

  it('names the line and the missing module', () => {
    const byFile = new Map(warned.map(([text, p]) => [path.basename(p.file), { text, p }]));
    const missing = byFile.get('missing-import.mib')!;
    assert.match(missing.text, /missing-import\.mib:6: .*NO-SUCH-MIB/);
    assert.deepEqual(missing.p.missingModules, ['NO-SUCH-MIB']);
    assert.match(byFile.get('syntax-error.mib')!.text, /syntax-error\.mib:18: /);
    assert.match(byFile.get('zz-duplicate.txt')!.text, /duplicate module GOOD-ONE-MIB/);
    assert.match(byFile.get('empty.mib')!.text, /empty/);
    assert.match(byFile.get('garbage.bin')!.text, /binary/);
  });

  it('still resolves the good modules and the good parts of bad ones', () => {
    assert.equal(mib.resolve('GOOD-ONE-MIB::goodName.0'), '1.3.6.1.4.1.64997.1.0', 'the first GOOD-ONE-MIB wins');
    assert.equal(mib.resolve('sysDescr.0'), '1.3.6.1.2.1.1.1.0');
    assert.equal(mib.resolve('brokenBefore'), '1.3.6.1.4.1.64997.10');
    assert.equal(mib.resolve('brokenAfter'), '1.3.6.1.4.1.64997.12');
    assert.equal(mib.resolve('missingPlaced'), '1.3.6.1.4.1.64997.20');
    assert.equal(mib.describe('1.3.6.1.4.1.64997.21.0')!.syntax, 'NoSuchType');
    assert.throws(() => mib.resolve('missingOrphan'), /missingOrphan/);
    assert.throws(() => mib.resolve('brokenBad'), /brokenBad/);
  });

  it('warns each file once across reloads', () => {
    const before = warned.length;
    mib.addMibDirs([VENDOR]);
    assert.equal(mib.resolve('acmeSysName.0'), '1.3.6.1.4.1.64999.2.2.1.1.0');
    assert.equal(warned.length, before);
    assert.equal(mib.warnings().length, 5);
  });
});

describe('mib service: sources', () => {
  it('getMibService is a lazily loaded singleton', () => {
    const a = getMibService();
    assert.equal(a, getMibService());
    assert.ok(a instanceof MibService);
  });

  it('reads nothing until the first lookup, then loads folders added later', () => {
    const mib = new MibService({ defaults: false, dirs: [BUNDLED] });
    assert.equal(mib.isLoaded(), false);
    assert.equal(mib.resolve('ifIndex'), '1.3.6.1.2.1.2.2.1.1');
    assert.equal(mib.isLoaded(), true);
    assert.throws(() => mib.resolve('acmeSysName'));
    mib.addMibDirs([VENDOR, VENDOR]);
    assert.equal(mib.resolve('acmeSysName'), '1.3.6.1.4.1.64999.2.2.1.1');
    assert.equal(mib.mibDirs().length, 2);
  });

  it('expands a table into its columns once a folder added later defines it', () => {
    const mib = new MibService({ defaults: false, dirs: [BUNDLED] });
    const acmePortTable = '1.3.6.1.4.1.64999.2.2.1.10';
    assert.deepEqual(mib.tableColumns(acmePortTable), [acmePortTable]);
    mib.addMibDirs([VENDOR]);
    assert.deepEqual(mib.tableColumns(acmePortTable), [2, 3, 4].map((c) => `${acmePortTable}.1.${c}`));
  });

  it('reads a folder of files that report no size and never end (/proc/self) in bounded memory, refusing what is too large', function () {
    if (!fs.existsSync('/proc/self/pagemap')) this.skip();
    this.timeout(20000);
    // pagemap reports 0 bytes and reads as long as the address space: it is cut at the cap
    const parsed = new ParseCache().parse('/proc/self/pagemap');
    assert.match(parsed.fatal?.message ?? '', /too large for a MIB file \(over 16777216 bytes\)/);
    const rssBefore = process.memoryUsage().rss;
    const mib = new MibService({ defaults: false, dirs: [BUNDLED, '/proc/self'] });
    assert.equal(mib.resolve('ifIndex'), '1.3.6.1.2.1.2.2.1.1', 'the MIBs still load');
    assert.ok(mib.problems().some((p) => p.file === '/proc/self/pagemap' && /too large/.test(p.message)), 'pagemap refused, and said');
    assert.ok(process.memoryUsage().rss - rssBefore < 512 * 1024 * 1024, 'memory stayed bounded');
  });

  it('takes folders from MIBDIRS (colon-separated, leading + allowed) after the defaults', () => {
    const mib = new MibService({ mibDirsEnv: `+${VENDOR}:/nonexistent/mibs` });
    assert.equal(mib.resolve('acmeSysName'), '1.3.6.1.4.1.64999.2.2.1.1');
    assert.equal(mib.resolve('sysName'), '1.3.6.1.2.1.1.5');
    const dirs = mib.mibDirs();
    assert.equal(dirs[0], BUNDLED);
    assert.ok(dirs.indexOf(VENDOR) > 0);
    if (fs.existsSync('/usr/share/snmp/mibs')) {
      assert.ok(dirs.includes('/usr/share/snmp/mibs'));
      assert.equal(mib.resolve('UCD-SNMP-MIB::memTotalReal.0'), '1.3.6.1.4.1.2021.4.5.0');
    }
  });

  it('warns once about a configured folder that does not exist, not about optional ones', () => {
    const mib = new MibService({ defaults: false, dirs: [BUNDLED] });
    mib.addMibDirs(['/nonexistent/snmp-fleet/mibs']);
    mib.addMibDirs(['/nonexistent/snmp-fleet/user/mibs'], { optional: true });
    assert.deepEqual(mib.warnings(), ['MIB folder /nonexistent/snmp-fleet/mibs: not found or not a folder']);
    assert.equal(mib.resolve('sysName.0'), '1.3.6.1.2.1.1.5.0');
  });

  it('of two files of a folder declaring one module, uses the one named after it and says so', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mib-dup-'));
    try {
      const text = (n: number) => `ACME-MIB DEFINITIONS ::= BEGIN\nIMPORTS enterprises FROM SNMPv2-SMI;\nacmeDup OBJECT IDENTIFIER ::= { enterprises ${n} }\nEND\n`;
      // ACME-DUP.txt sorts first; net-snmp's snmptrapd reads ACME-MIB.txt
      fs.writeFileSync(path.join(dir, 'ACME-DUP.txt'), text(1));
      fs.writeFileSync(path.join(dir, 'ACME-MIB.txt'), text(2));
      fs.writeFileSync(path.join(dir, 'ZZ-COPY.mib'), text(3));
      const mib = new MibService({ defaults: false, dirs: [BUNDLED, dir] });
      assert.equal(mib.resolve('ACME-MIB::acmeDup'), '1.3.6.1.4.1.2');
      assert.equal(mib.modulesLoaded().find((m) => m.name === 'ACME-MIB')!.file, path.join(dir, 'ACME-MIB.txt'));
      assert.deepEqual(mib.warnings(), [
        `MIB file ${path.join(dir, 'ACME-DUP.txt')}:1: duplicate module ACME-MIB, also defined in ACME-MIB.txt, which is used; this copy is ignored`,
        `MIB file ${path.join(dir, 'ZZ-COPY.mib')}:1: duplicate module ACME-MIB, also defined in ACME-MIB.txt, which is used; this copy is ignored`,
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets a module in a later folder replace an earlier copy, and picks up edited files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mib-src-'));
    try {
      const text = (n: number) => `OVERRIDE-MIB DEFINITIONS ::= BEGIN\nIMPORTS enterprises FROM SNMPv2-SMI;\novr OBJECT IDENTIFIER ::= { enterprises ${n} }\nEND\n`;
      fs.mkdirSync(path.join(dir, 'a'));
      fs.mkdirSync(path.join(dir, 'b'));
      fs.writeFileSync(path.join(dir, 'a', 'o.txt'), text(1));
      fs.writeFileSync(path.join(dir, 'b', 'o.txt'), text(2));
      const mib = new MibService({ defaults: false, dirs: [BUNDLED, path.join(dir, 'a')] });
      assert.equal(mib.resolve('ovr'), '1.3.6.1.4.1.1');
      mib.addMibDirs([path.join(dir, 'b')]);
      assert.equal(mib.resolve('ovr'), '1.3.6.1.4.1.2');
      assert.deepEqual(mib.problems(), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
