/**
 * Runs the flow tests (node-red-node-test-helper) on another Node-RED release and Node.js
 * line than the project's own, from the compat cache (fetched once, as the matrix does):
 *
 *     npx tsx test/compat/flow-tests-on.ts 5.0 22 [mocha spec ...]
 *
 * Not part of `npm test` (the matrix there runs the package as users install it); this
 * is the check to make before claiming a new Node-RED release, since the test helper
 * predates some of them.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { nodeBinary, nodeRedRelease } from '../support/compat-cache';

async function main(): Promise<void> {
  const [nodeRed, node, ...specs] = process.argv.slice(2);
  if (!/^\d+\.\d+$/.test(nodeRed ?? '') || !/^\d+$/.test(node ?? '')) {
    process.stderr.write('usage: npx tsx test/compat/flow-tests-on.ts <node-red minor, e.g. 5.0> <node major, e.g. 22> [spec ...]\n');
    process.exit(2);
  }
  const [bin, release] = await Promise.all([nodeBinary(node), nodeRedRelease(nodeRed)]);
  const root = path.resolve(__dirname, '..', '..');
  process.stdout.write(`flow tests on Node-RED ${release.version}, Node ${bin.version}\n`);
  const r = spawnSync(bin.bin, [path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js')], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      SNMP_FLEET_NODE_RED: path.join(path.dirname(release.redJs), 'lib', 'red.js'),
      MOCHA_SPEC: specs.length ? specs.join(',') : 'test/flow/*.test.ts',
    },
  });
  process.exit(r.status ?? 1);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
