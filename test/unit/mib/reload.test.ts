/**
 * Changed MIB files are seen on the next load request (a redeploy), without a restart
 * of Node-RED: a file added to, changed in or removed from a listed folder, and a folder
 * no snmp-config lists any more. An unchanged set of files is not read again, and a
 * lookup never looks at the disk.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getMibService, MibService } from '../../../src/lib/mib';
import { bundledMibDir } from '../../../src/lib/mib/sources';
import { getMib, mibDeployed, releaseMibDirs } from '../../../src/lib/red/mib-access';

const BUNDLED = bundledMibDir()!;
const mibText = (module: string, name: string, arc: number) =>
  `${module} DEFINITIONS ::= BEGIN\nIMPORTS enterprises FROM SNMPv2-SMI;\n${name} OBJECT IDENTIFIER ::= { enterprises ${arc} }\nEND\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mib reload: changed files without a restart', function () {
  this.timeout(30000);
  let tmp = '';
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mib-reload-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('sees a file added to, changed in and removed from a listed folder on the next load(), and does not reload an unchanged set', () => {
    const dir = path.join(tmp, 'service');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'FIRST-MIB.txt'), mibText('FIRST-MIB', 'firstObj', 801));
    const mib = new MibService({ defaults: false, dirs: [BUNDLED, dir] });
    assert.equal(mib.resolve('firstObj'), '1.3.6.1.4.1.801');

    fs.writeFileSync(path.join(dir, 'SECOND-MIB.txt'), mibText('SECOND-MIB', 'secondObj', 802));
    assert.throws(() => mib.resolve('secondObj'), /secondObj/, 'a lookup does not look at the disk');
    mib.load();
    assert.equal(mib.resolve('secondObj'), '1.3.6.1.4.1.802', 'added');
    assert.equal(mib.reloadIfChanged(), false, 'nothing changed: nothing read');

    fs.writeFileSync(path.join(dir, 'FIRST-MIB.txt'), mibText('FIRST-MIB', 'firstObj', 8010));
    assert.equal(mib.reloadIfChanged(), true);
    assert.equal(mib.resolve('firstObj'), '1.3.6.1.4.1.8010', 'changed');

    fs.rmSync(path.join(dir, 'SECOND-MIB.txt'));
    mib.load();
    assert.throws(() => mib.resolve('secondObj'), /secondObj/, 'removed');
    assert.equal(mib.reloadIfChanged(), false);
    assert.equal(mib.reloadIfChanged(60000), false, 'checked just now: not even a stat');
  });

  it('on a redeploy, the shared service sees changed files of a config\'s folder and drops a folder no config lists', async () => {
    const a = path.join(tmp, 'config-a');
    const b = path.join(tmp, 'config-b');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    fs.writeFileSync(path.join(a, 'RELOAD-A-MIB.txt'), mibText('RELOAD-A-MIB', 'reloadA', 811));
    fs.writeFileSync(path.join(b, 'RELOAD-B-MIB.txt'), mibText('RELOAD-B-MIB', 'reloadB', 812));
    const warn = () => {};
    // first deploy: two snmp-config nodes
    const configA = {};
    const configB = {};
    mibDeployed(configA, [a]);
    mibDeployed(configB, [b]);
    assert.equal(getMib([a], warn).resolve('reloadA'), '1.3.6.1.4.1.811');
    assert.equal(getMib([b], warn).resolve('reloadB'), '1.3.6.1.4.1.812');

    fs.writeFileSync(path.join(a, 'RELOAD-C-MIB.txt'), mibText('RELOAD-C-MIB', 'reloadC', 813));
    assert.throws(() => getMib([a], warn).resolve('reloadC'), /reloadC/, 'polls between deploys do not look at the disk');

    // redeploy: config A is recreated, config B deleted
    await sleep(1100);
    releaseMibDirs(configA);
    releaseMibDirs(configB);
    const configA2 = {};
    mibDeployed(configA2, [a]);
    const mib = getMib([a], warn);
    assert.equal(mib.resolve('reloadC'), '1.3.6.1.4.1.813', 'the file added to A is seen');
    assert.equal(mib.resolve('reloadA'), '1.3.6.1.4.1.811');
    assert.throws(() => mib.resolve('reloadB'), /reloadB/, 'B\'s folder no longer contributes');
    assert.ok(!getMibService().mibDirs().includes(b));

    // a redeploy that changes nothing reads nothing
    await sleep(1100);
    releaseMibDirs(configA2);
    const configA3 = {};
    mibDeployed(configA3, [a]);
    const service = getMibService();
    let reloaded = true;
    const original = service.reloadIfChanged.bind(service);
    service.reloadIfChanged = (ms?: number) => (reloaded = original(ms));
    try {
      getMib([a], warn);
    } finally {
      service.reloadIfChanged = original;
    }
    assert.equal(reloaded, false, 'same folders, same files');
    releaseMibDirs(configA3);
  });
  it('keeps a redeployed config\'s folder in its place: the same copy of a module wins, nothing is read again', async () => {
    const a = path.join(tmp, 'dup-a');
    const b = path.join(tmp, 'dup-b');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    fs.writeFileSync(path.join(a, 'DUP-MIB.txt'), mibText('DUP-MIB', 'dupObj', 821));
    fs.writeFileSync(path.join(b, 'DUP-MIB.txt'), mibText('DUP-MIB', 'dupObj', 822));
    const warn = () => {};
    const configA = {};
    const configB = {};
    mibDeployed(configA, [a]);
    mibDeployed(configB, [b]);
    getMib([a], warn);
    assert.equal(getMib([b], warn).resolve('dupObj'), '1.3.6.1.4.1.822', 'the later folder\'s copy wins');
    const order = getMibService().mibDirs();

    // a partial redeploy of config A: closed, a lookup from a node still running, started again
    await sleep(1100);
    releaseMibDirs(configA);
    assert.equal(getMibService().resolve('dupObj'), '1.3.6.1.4.1.822', 'a lookup between close and start reads nothing');
    const configA2 = {};
    mibDeployed(configA2, [a]);
    const service = getMibService();
    let reloaded = true;
    const original = service.reloadIfChanged.bind(service);
    service.reloadIfChanged = (ms?: number) => (reloaded = original(ms));
    try {
      assert.equal(getMib([a], warn).resolve('dupObj'), '1.3.6.1.4.1.822', 'still B\'s copy');
    } finally {
      service.reloadIfChanged = original;
    }
    assert.equal(reloaded, false, 'same folders in the same order, same files');
    assert.deepEqual(getMibService().mibDirs(), order);
    releaseMibDirs(configA2);
    releaseMibDirs(configB);
  });
});
