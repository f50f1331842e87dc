/**
 * MIB warnings quote file and module names from the disk: a file name with a line feed
 * and ANSI escapes must not forge Node-RED log lines (or terminal colours in the CLI),
 * and a name of hundreds of characters is cut. A parse error names the real problem.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MibService, shownFile, shownName } from '../../../src/lib/mib';
import { bundledMibDir } from '../../../src/lib/mib/sources';
import { mibProblemReporter } from '../../../src/lib/red/mib-access';

const BUNDLED = bundledMibDir()!;
const EVIL = 'evil\n7 Dec 15:00:00 - [error] [trap-in:FAKE] \u001b[31mINJECTED';
const EVIL_SHOWN = 'evil?7 Dec 15:00:00 - [error] [trap-in:FAKE] ?[31mINJECTED';
const EVIL_TEXT = `EVIL-MIB DEFINITIONS ::= BEGIN
IMPORTS enterprises FROM SNMPv2-SMI;
good OBJECT IDENTIFIER ::= { enterprises 5 }
bad ::=
END
`;

describe('mib warnings: names from the disk', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mib-names-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('shows control characters of a file name as "?" in the warning, on one line', () => {
    const folder = path.join(dir, 'evil');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, EVIL), EVIL_TEXT);
    const mib = new MibService({ defaults: false, dirs: [BUNDLED, folder] });
    const warnings = mib.warnings();
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.equal(warnings[0], `MIB file ${folder}/${EVIL_SHOWN}:4: expected a type or TEXTUAL-CONVENTION after "bad ::=" but found "END"`);
    assert.doesNotMatch(warnings[0], /[\u0000-\u001f\u007f]/);
    assert.equal(mib.resolve('good'), '1.3.6.1.4.1.5', 'the rest of the module still loads');
  });

  it('says which definition lacks its value instead of "module has no END"', () => {
    const folder = path.join(dir, 'plain');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'EVIL-MIB.txt'), EVIL_TEXT);
    const mib = new MibService({ defaults: false, dirs: [BUNDLED, folder] });
    const [problem] = mib.problems();
    assert.deepEqual(problem.issues, [{ line: 4, message: 'expected a type or TEXTUAL-CONVENTION after "bad ::=" but found "END"' }]);
  });

  it('cuts file and module names at 100 characters', () => {
    const folder = path.join(dir, 'long');
    fs.mkdirSync(folder);
    const longFile = 'L'.repeat(200) + '.mib';
    const longModule = 'M'.repeat(300);
    fs.writeFileSync(path.join(folder, longFile), `${longModule} DEFINITIONS ::= BEGIN\nIMPORTS Foo FROM ${'N'.repeat(300)};\nEND\n`);
    const mib = new MibService({ defaults: false, dirs: [BUNDLED, folder] });
    const [warning] = mib.warnings();
    assert.equal(warning, `MIB file ${folder}/${'L'.repeat(97)}...:2: ${'M'.repeat(97)}... imports Foo from ${'N'.repeat(97)}..., which is not loaded`);
    assert.equal(shownName('x'.repeat(101)).length, 100);
    assert.equal(shownFile(`/${'d'.repeat(300)}/${'f'.repeat(300)}`), `...${'d'.repeat(96)}/${'f'.repeat(97)}...`);
  });

  it('keeps the not-MIB-files summary of the runtime log to one clean line', () => {
    const folder = path.join(dir, 'etc-like');
    fs.mkdirSync(folder);
    for (let i = 0; i < 7; i++) fs.writeFileSync(path.join(folder, `${EVIL}${i}`), `option${i} = yes\n`);
    const mib = new MibService({ defaults: false, dirs: [BUNDLED, folder] });
    mib.load();
    const node: string[] = [];
    const report = mibProblemReporter(() => ({ info: () => {}, warn: () => {}, text: (key, vars) => `${key} ${vars.files}` }));
    report(mib.problems(), [folder], (t) => node.push(t));
    assert.equal(node.length, 1, node.join('\n'));
    assert.equal(node[0], `snmp-config.mib.not-mib-files ${[0, 1, 2, 3, 4].map((i) => `${EVIL_SHOWN}${i}`).join(', ')}, …`);
  });
});
