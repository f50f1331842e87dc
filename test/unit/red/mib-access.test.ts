/**
 * Who hears about MIB problems (red/mib-access.ts over mib/problem-report.ts): a stock
 * system folder whose files miss imports is one info line for the runtime, naming the
 * modules; a folder a config lists is that node's warning; anything else a runtime
 * warning blamed on no node. Each problem is said once.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MibService, groupProblems } from '../../../src/lib/mib';
import { bundledMibDir } from '../../../src/lib/mib/sources';
import { mibProblemReporter, type MibRuntimeLog } from '../../../src/lib/red/mib-access';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'mibs');
const BROKEN = path.join(FIXTURES, 'broken');

/** A module that imports from two modules nobody has, as Debian's NET-SNMP-*-MIB files do. */
const STOCK_FILE = (name: string, missing: string[]) => `${name} DEFINITIONS ::= BEGIN
IMPORTS
    MODULE-IDENTITY, OBJECT-TYPE, Integer32, enterprises FROM SNMPv2-SMI
${missing.map((m, i) => `    Missing${i} FROM ${m}`).join('\n')};
stockMib${name.length} OBJECT IDENTIFIER ::= { enterprises 99${name.length} }
END
`;

interface Logged { info: string[]; warn: string[]; node: string[] }

function logFor(): { log: MibRuntimeLog; logged: Logged } {
  const logged: Logged = { info: [], warn: [], node: [] };
  return {
    logged,
    log: {
      info: (t) => logged.info.push(t),
      warn: (t) => logged.warn.push(t),
      text: (key, vars) => `${key} ${JSON.stringify(vars)}`,
    },
  };
}

describe('MIB problems: who hears about them', function () {
  let tmp = '';
  let system = '';
  let own = '';

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mib-report-'));
    system = path.join(tmp, 'usr-share-snmp-mibs');
    own = path.join(tmp, 'vendor');
    fs.mkdirSync(system);
    fs.mkdirSync(own);
    fs.writeFileSync(path.join(system, 'STOCK-A-MIB.txt'), STOCK_FILE('STOCK-A-MIB', ['SNMP-FRAMEWORK-MIB']));
    fs.writeFileSync(path.join(system, 'STOCK-BB-MIB.txt'), STOCK_FILE('STOCK-BB-MIB', ['SNMP-FRAMEWORK-MIB', 'INET-ADDRESS-MIB']));
    fs.writeFileSync(path.join(system, 'STOCK-CCC-MIB.txt'), STOCK_FILE('STOCK-CCC-MIB', ['HCNUM-TC']));
    fs.writeFileSync(path.join(own, 'VENDOR-MIB.txt'), STOCK_FILE('VENDOR-MIB', ['VENDOR-TC']));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const load = (dirs: string[]) => {
    const service = new MibService({ defaults: false, dirs: [bundledMibDir()!, ...dirs] });
    service.load();
    return service.problems();
  };

  it('folds the system folders\' missing imports into one info line that names the modules', () => {
    const { log, logged } = logFor();
    const report = mibProblemReporter(() => log, [system]);
    report(load([system]), [], (t) => logged.node.push(t));
    assert.deepEqual(logged.warn, []);
    assert.deepEqual(logged.node, [], 'no node is blamed');
    assert.deepEqual(logged.info, [`snmp-config.mib.system-imports-missing ${JSON.stringify({ count: 3, dirs: system, modules: 'HCNUM-TC, INET-ADDRESS-MIB, SNMP-FRAMEWORK-MIB' })}`]);
  });

  it('says it once: a later load with the same problems is quiet', () => {
    const { log, logged } = logFor();
    const report = mibProblemReporter(() => log, [system]);
    report(load([system]), [], (t) => logged.node.push(t));
    report(load([system]), [], (t) => logged.node.push(t));
    report(load([system, own]), [own], (t) => logged.node.push(t));
    assert.equal(logged.info.length, 1);
    assert.equal(logged.node.length, 1, 'only the new folder\'s problem');
  });

  it('warns the node whose folder has the problem, and the runtime about folders no node lists', () => {
    const { log, logged } = logFor();
    const report = mibProblemReporter(() => log, [system]);
    report(load([system, own, BROKEN]), [own], (t) => logged.node.push(t));
    assert.deepEqual(logged.node.map((t) => /MIB file ([^:]+):/.exec(t)?.[1]), [path.join(own, 'VENDOR-MIB.txt')]);
    assert.match(logged.node[0], /imports Missing0 from VENDOR-TC, which is not loaded/);
    // the broken fixture folder is nobody's: runtime warnings, one per file
    assert.equal(logged.warn.length, 5, logged.warn.join('\n'));
    for (const w of logged.warn) assert.match(w, new RegExp(`^snmp-fleet: MIB file ${BROKEN.replace(/[.]/g, '\\.')}/`));
    assert.equal(logged.info.length, 1);
  });

  it('says in one line that a folder a config lists holds many files that are not MIBs, and still each MIB file\'s problem', () => {
    const etc = path.join(tmp, 'etc-like');
    fs.mkdirSync(etc);
    for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(etc, `conf-${i}.conf`), `option${i} = yes\n`);
    fs.writeFileSync(path.join(etc, 'VENDOR-MIB.txt'), STOCK_FILE('VENDOR-MIB', ['VENDOR-TC']));
    const { log, logged } = logFor();
    const report = mibProblemReporter(() => log, [system]);
    report(load([etc]), [etc], (t) => logged.node.push(t));
    assert.equal(logged.node.length, 2, logged.node.join('\n'));
    assert.match(logged.node[0], /VENDOR-MIB\.txt/, 'the MIB file\'s own problem, as before');
    assert.match(logged.node[1], /^snmp-config\.mib\.not-mib-files /);
    const vars = JSON.parse(logged.node[1].slice('snmp-config.mib.not-mib-files '.length));
    assert.deepEqual(vars, { count: 8, dirs: etc, files: 'conf-0.conf, conf-1.conf, conf-2.conf, conf-3.conf, conf-4.conf, …' });
  });

  it('a missing folder a config lists is that node\'s warning', () => {
    const { log, logged } = logFor();
    const report = mibProblemReporter(() => log, [system]);
    const gone = path.join(tmp, 'not-there');
    report(load([gone]), [gone], (t) => logged.node.push(t));
    assert.deepEqual(logged.node, [`MIB folder ${gone}: not found or not a folder`]);
  });

  it('without a runtime log (outside Node-RED) every problem goes to the node, as before', () => {
    const node: string[] = [];
    const report = mibProblemReporter(() => undefined, [system]);
    report(load([system]), [], (t) => node.push(t));
    assert.equal(node.length, 3);
  });

  it('counts Debian\'s stock MIB folder as a system folder: a stock install gives no warning', function () {
    assert.ok(fs.existsSync('/usr/share/snmp/mibs/UCD-SNMP-MIB.txt'), 'Debian\'s MIBs (libsnmp-base, with the snmp package): npm run system-deps');
    const service = new MibService();
    service.load();
    const groups = groupProblems(service.problems(), []);
    assert.deepEqual(groups.other.map((p) => p.message), [], 'nothing on a stock install is a warning');
    assert.ok(groups.systemImports.modules.includes('HCNUM-TC'), JSON.stringify(groups.systemImports));
  });
});
