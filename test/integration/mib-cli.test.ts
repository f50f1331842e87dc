/**
 * The snmp-fleet-mib command as a user runs it: a subprocess, its output and exit status.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'src', 'bin', 'snmp-fleet-mib.ts');
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'mibs');

function run(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, MIBDIRS: '', ...env },
    encoding: 'utf8',
    timeout: 30000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('snmp-fleet-mib CLI', function () {
  this.timeout(60000);

  it('is declared as the package bin with a shebang', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.bin['snmp-fleet-mib'], 'nodes/bin/snmp-fleet-mib.js');
    assert.ok(fs.readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n'));
  });

  it('translates names to OIDs and OIDs to names', () => {
    const r = run(['translate', 'sysUpTime.0', 'IF-MIB::ifHCInOctets.3', '.1.3.6.1.2.1.2.2.1.8.5']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      'SNMPv2-MIB::sysUpTime.0 = 1.3.6.1.2.1.1.3.0',
      'IF-MIB::ifHCInOctets.3 = 1.3.6.1.2.1.31.1.1.1.6.3',
      'IF-MIB::ifOperStatus.5 = 1.3.6.1.2.1.2.2.1.8.5',
    ]);
  });

  it('prints details, decoded indexes and JSON', () => {
    const r = run(['translate', '-d', 'RFC1213-MIB::ipNetToMediaPhysAddress.3.10.0.0.1']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /syntax: PhysAddress/);
    assert.match(r.stdout, /decodedIndex: \{"ipNetToMediaIfIndex":3,"ipNetToMediaNetAddress":"10.0.0.1"\}/);
    const j = run(['translate', '--json', '-d', 'ifOperStatus.1']);
    const parsed = JSON.parse(j.stdout);
    assert.equal(parsed[0].oid, '1.3.6.1.2.1.2.2.1.8.1');
    assert.equal(parsed[0].enums['2'], 'down');
  });

  it('exits 1 naming an unknown name, still translating the others', () => {
    const r = run(['translate', 'noSuchObject.0', 'sysName.0']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /noSuchObject\.0: unknown MIB object name "noSuchObject"/);
    assert.equal(r.stdout.trim(), 'SNMPv2-MIB::sysName.0 = 1.3.6.1.2.1.1.5.0');
  });

  it('searches names, prefix matches first', () => {
    const r = run(['search', 'ifHCIn']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^IF-MIB::ifHCInOctets\s+1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6\s+column Counter64$/);
    assert.equal(lines.length, 4);
    assert.equal(run(['search', 'zzzNothingLikeThis']).status, 1);
  });

  it('checks a vendor folder with extra MIB folders and MIBDIRS', () => {
    const r = run(['check', path.join(FIXTURES, 'vendor')]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ok\s+ACME-SYSTEM-MIB \(acme-system\.mib, \d+ objects, 5 types\)/);
    assert.match(r.stdout, /5 module\(s\) loaded, 0 file\(s\) with problems/);
    const t = run(['translate', 'acmeSysName.0'], { MIBDIRS: path.join(FIXTURES, 'vendor') });
    assert.equal(t.stdout.trim(), 'ACME-SYSTEM-MIB::acmeSysName.0 = 1.3.6.1.4.1.64999.2.2.1.1.0');
    const m = run(['-M', path.join(FIXTURES, 'vendor'), 'translate', 'ACME-SMI::acme']);
    assert.equal(m.stdout.trim(), 'ACME-SMI::acme = 1.3.6.1.4.1.64999');
  });

  it('exits non-zero on a folder with broken files, printing each problem', () => {
    const r = run(['check', path.join(FIXTURES, 'broken')]);
    assert.equal(r.status, 1);
    for (const file of ['empty.mib', 'garbage.bin', 'missing-import.mib', 'syntax-error.mib', 'zz-duplicate.txt']) {
      assert.match(r.stdout, new RegExp(`problem  ${file.replace('.', '\\.')}`));
    }
    assert.match(r.stdout, /missing-import\.mib:6: MISSING-IMPORT-MIB imports NoSuchType, noSuchRoot from NO-SUCH-MIB/);
    assert.match(r.stdout, /syntax-error\.mib:18: /);
    assert.match(r.stdout, /ok\s+GOOD-ONE-MIB/);
    assert.match(r.stdout, /5 file\(s\) with problems/);
    const j = JSON.parse(run(['check', '--json', path.join(FIXTURES, 'broken')]).stdout);
    assert.equal(j.problems.length, 5);
  });

  it('prints a file name\'s control characters as "?", so that it cannot write lines or escapes of its own', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mib-cli-evil-'));
    try {
      fs.writeFileSync(path.join(dir, 'evil\n7 Dec 15:00:00 - [error] [trap-in:FAKE] \u001b[31mINJECTED'), 'EVIL-MIB DEFINITIONS ::= BEGIN\nbad ::=\nEND\n');
      const r = run(['--no-defaults', 'check', dir]);
      assert.equal(r.status, 1);
      assert.deepEqual(r.stdout.trim().split('\n'), [
        'problem  evil?7 Dec 15:00:00 - [error] [trap-in:FAKE] ?[31mINJECTED (EVIL-MIB)',
        `  ${dir}/evil?7 Dec 15:00:00 - [error] [trap-in:FAKE] ?[31mINJECTED:2: expected a type or TEXTUAL-CONVENTION after "bad ::=" but found "END"`,
        '1 module(s) loaded, 1 file(s) with problems',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 on usage errors', () => {
    assert.equal(run([]).status, 2);
    assert.equal(run(['frobnicate']).status, 2);
    assert.equal(run(['check']).status, 2);
    assert.equal(run(['check', path.join(FIXTURES, 'nope')]).status, 2);
    assert.equal(run(['--bogus', 'translate', 'x']).status, 2);
    const h = run(['--help']);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /Usage: snmp-fleet-mib/);
  });
});
