/**
 * The layout's import rules (.dependency-cruiser.cjs, docs/architecture.md), held by
 * dependency-cruiser: the tree keeps them, and the rules do catch each kind of breach
 * in a small tree of deliberate mistakes (test/fixtures/architecture).
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function cruise(cwd: string): Violation[] {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'src', '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (!r.stdout) throw new Error(`dependency-cruiser gave no output: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('architecture: import rules', function () {
  this.timeout(60000);

  it('the tree keeps every rule', () => {
    const violations = cruise(ROOT);
    assert.deepEqual(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`), []);
  });

  it('catches node-red outside the adapter, features importing each other, the engine importing the adapter, and a base importing up', () => {
    const found = cruise(path.join(ROOT, 'test/fixtures/architecture'))
      .map((v) => `${v.rule.name}: ${v.from} -> ${v.to.replace(/^.*node_modules\//, 'node_modules/')}`)
      .sort();
    assert.deepEqual(found, [
      'common-is-common: src/lib/common/reaches-up.ts -> src/lib/poll/reaches-into-alert.ts',
      'engine-not-to-adapter: src/lib/poll/imports-adapter.ts -> src/lib/red/facade.ts',
      'features-apart: src/lib/poll/imports-adapter.ts -> src/lib/red/facade.ts',
      'features-apart: src/lib/poll/ok.ts -> src/lib/alert/thing.ts',
      'features-apart: src/lib/poll/reaches-into-alert.ts -> src/lib/alert/thing.ts',
      'node-red-only-in-adapter: src/lib/poll/knows-node-red.ts -> node_modules/node-red/lib/red.js',
      'snmp-on-common: src/lib/snmp/session.ts -> src/lib/poll/ok.ts',
    ]);
  });
});
