/**
 * The MIB service against Debian's snmptranslate, pointed with -M at the same folders:
 * net-snmp npm's bundled MIBs, /usr/share/snmp/mibs (UCD-SNMP-MIB, NET-SNMP-AGENT-MIB...)
 * and our vendor fixtures. Both directions, for every object and for instance OIDs,
 * in a handful of snmptranslate runs.
 */
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MibService, type MibNode } from '../../src/lib/mib';
import { bundledMibDir } from '../../src/lib/mib/sources';

const SNMPTRANSLATE = '/usr/bin/snmptranslate';
const DEBIAN_MIBS = '/usr/share/snmp/mibs';
const VENDOR = path.join(__dirname, '..', 'fixtures', 'mibs', 'vendor');

describe('mib service vs snmptranslate', function () {
  this.timeout(60000);
  let dirs: string[];
  let mib: MibService;
  let tmp: string;
  let nodes: MibNode[];

  function snmptranslate(args: string[]): string[] {
    let out: string;
    try {
      out = execFileSync(SNMPTRANSLATE, ['-M', dirs.join(':'), '-m', 'ALL', '-Ir', ...args], {
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
      // keep the host's snmp.conf and persistent state out of it
        env: { ...process.env, SNMPCONFPATH: tmp, SNMP_PERSISTENT_DIR: tmp, MIBS: '', MIBDIRS: '' },
      }).toString();
    } catch (err) {
      // snmptranslate stops at the first input it cannot translate
      const e = err as { status?: number; stdout?: Buffer };
      const done = String(e.stdout ?? '').split('\n').filter((l) => l.trim() !== '').length;
      throw new Error(`snmptranslate ${args[0]} failed (exit ${e.status}) at input #${done}: ${args[done + 1] ?? args[done]}`);
    }
    return out.split('\n').filter((l) => l.trim() !== '');
  }

  before(() => {
    if (!fs.existsSync(SNMPTRANSLATE) || !fs.existsSync(path.join(DEBIAN_MIBS, 'UCD-SNMP-MIB.txt'))) {
      throw new Error('snmptranslate and the Debian MIBs are needed: apt-get install snmp (or npm run system-deps)');
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mib-st-'));
    dirs = [bundledMibDir()!, DEBIAN_MIBS, VENDOR];
    mib = new MibService({ defaults: false, dirs });
    mib.load();
    nodes = mib.definitions();
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('loads UCD-SNMP-MIB and NET-SNMP-AGENT-MIB despite their missing imports', () => {
    assert.equal(mib.resolve('UCD-SNMP-MIB::memTotalReal.0'), '1.3.6.1.4.1.2021.4.5.0');
    assert.equal(mib.resolve('UCD-SNMP-MIB::laTable'), '1.3.6.1.4.1.2021.10');
    assert.equal(mib.resolve('NET-SNMP-AGENT-MIB::nsModuleTable'), '1.3.6.1.4.1.8072.1.2.1');
    const missing = mib.problems().find((p) => p.file.endsWith('UCD-SNMP-MIB.txt'))!;
    assert.deepEqual(missing.missingModules, ['HCNUM-TC']);
    assert.equal(missing.line, 37, 'snmptranslate says: At line 37 in UCD-SNMP-MIB.txt');
    assert.ok(nodes.length > 1000, `${nodes.length} objects`);
  });

  it('knows the same OIDs with the same names as snmptranslate -Tz', () => {
    const theirs = new Map<string, string>();
    for (const line of snmptranslate(['-Tz'])) {
      const m = /^"(.*)"\s+"(.*)"$/.exec(line);
      if (m) theirs.set(m[2], m[1]);
    }
    assert.ok(theirs.size > 700);
    const diffs: string[] = [];
    for (const [oid, label] of theirs) {
      // net-snmp's "snmp#"-style pseudo nodes hold a v1 trap's enterprise.0 arc
      if (label.endsWith('#')) continue;
      const info = mib.describe(oid);
      if (!info || info.instance !== '' || info.name !== label) diffs.push(`${oid}: ${label} vs ${info ? mib.qualifiedName(oid) : 'nothing'}`);
    }
    const ours = new Set(nodes.map((n) => n.oid));
    for (const oid of ours) if (!theirs.has(oid)) diffs.push(`${oid}: only we know ${mib.qualifiedName(oid)}`);
    assert.deepEqual(diffs, []);
  });

  it('resolves every MODULE::name and MODULE::name.instance to the same OID', () => {
    const names = nodes.map((n) => `${n.module}::${n.name}`);
    const withInstance = nodes.filter((n) => n.kind === 'column' || n.kind === 'scalar').map((n) => `${n.module}::${n.name}.${n.kind === 'scalar' ? '0' : '7.1'}`);
    const all = names.concat(withInstance);
    const theirs = snmptranslate(['-On', ...all]);
    assert.equal(theirs.length, all.length);
    const diffs = all.filter((q, i) => mib.resolve(q) !== theirs[i].replace(/^\./, '')).map((q, i) => `${q}: ${theirs[i]} vs ${mib.resolve(q)}`);
    assert.deepEqual(diffs, []);
  });

  it('resolves every unqualified name as snmptranslate -IR does', () => {
    const labels = [...new Set(nodes.map((n) => n.name))];
    const theirs = snmptranslate(['-IR', '-On', ...labels]);
    assert.equal(theirs.length, labels.length);
    const diffs = labels.filter((l, i) => mib.resolve(l) !== theirs[i].replace(/^\./, '')).map((l) => l);
    // Where several modules define one label at different OIDs (RFC-1215 and IF-MIB
    // both have linkDown) we take the SMIv2 definition; list any such name.
    for (const l of diffs) {
      const defs = new Set(nodes.filter((n) => n.name === l).map((n) => n.oid));
      assert.ok(defs.size > 1, `${l}: snmptranslate ${theirs[labels.indexOf(l)]}, we ${mib.resolve(l)}`);
    }
  });

  it('names every OID, exact and with instance suffixes, as snmptranslate -OS does', () => {
    const oids = [...new Set(nodes.map((n) => n.oid))];
    const inputs = oids.concat(oids.map((o) => `${o}.3`), oids.map((o) => `${o}.7.10.0.0.1`));
    const theirs = snmptranslate(['-OS', '-Ob', ...inputs]);
    assert.equal(theirs.length, inputs.length);
    const diffs: string[] = [];
    inputs.forEach((oid, i) => {
      const ours = mib.qualifiedName(oid);
      if (ours === theirs[i]) return;
      const [theirModule, theirRest] = theirs[i].split('::');
      const [ourModule, ourRest] = ours.split('::');
      // Same name; the module differs only where several modules define the OID and
      // we name it after the SMIv2 one (IF-MIB::ifDescr, not RFC1213-MIB::ifDescr).
      const info = mib.describe(oid)!;
      const definers = nodes.filter((n) => n.oid === info.oid);
      const ok = theirRest === ourRest && definers.some((n) => n.module === theirModule) && definers.some((n) => n.module === ourModule)
        && mib.modulesLoaded().length > 0 && nodes.find((n) => n.oid === info.oid && n.module === ourModule)!.smiV2;
      if (!ok) diffs.push(`${oid}: ${theirs[i]} vs ${ours}`);
    });
    assert.deepEqual(diffs, []);
  });
});
