/**
 * The compat cache (test/support/compat-cache.ts) without the network: a cached release
 * is used as it is, and one that is neither cached nor fetchable fails with one line that
 * names what is missing, never a skip.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { nodeBinary, nodeRedRelease } from '../support/compat-cache';

describe('compat cache, offline', function () {
  this.timeout(120000);
  const saved: Record<string, string | undefined> = {};
  let dir = '';
  let closedPort = 0;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compat-cache-test-'));
    // a registry that refuses every connection: a port that was free a moment ago
    closedPort = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const env: Record<string, string> = {
      SNMP_FLEET_CACHE: dir,
      npm_config_registry: `http://127.0.0.1:${closedPort}/`,
      npm_config_fetch_retries: '0',
      npm_config_fetch_timeout: '5000',
      npm_config_cache: path.join(dir, 'npm-cache'),
      npm_config_offline: 'false',
    };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });

  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uses the newest complete cached release of a line, without asking the registry', async () => {
    for (const v of ['77.1.2', '77.10.0', '77.9.9']) {
      fs.mkdirSync(path.join(dir, `node-${v}`, 'bin'), { recursive: true });
      fs.writeFileSync(path.join(dir, `node-${v}`, 'bin', 'node'), `#!/bin/sh\necho v${v}\n`, { mode: 0o755 });
    }
    for (const v of ['77.1.2', '77.9.9']) fs.writeFileSync(path.join(dir, `node-${v}`, '.complete'), '');
    // 77.10.0 has no .complete: an interrupted fetch, never used
    assert.deepEqual(await nodeBinary('77'), { version: '77.9.9', bin: path.join(dir, 'node-77.9.9', 'bin', 'node') });
    fs.mkdirSync(path.join(dir, 'node-red-9.3.4', 'node_modules', 'node-red'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'node-red-9.3.4', '.complete'), '');
    assert.equal((await nodeRedRelease('9.3')).version, '9.3.4');
  });

  it('fails with one line naming what is missing when it is neither cached nor fetchable', async () => {
    for (const [fetch, what] of [
      [() => nodeBinary('99'), /^compat: Node\.js 99 is missing: not in .* and npm pack node-[a-z0-9]+-[a-z0-9]+@99 failed \(.+\)$/],
      [() => nodeRedRelease('0.7'), /^compat: Node-RED 0\.7 is missing: not in .* and npm install node-red@~0\.7\.0 failed \(.+\)$/],
    ] as const) {
      const err = await (fetch as () => Promise<unknown>)().then(() => undefined, (e: Error) => e);
      assert.ok(err, 'it fails');
      assert.match(err.message, what);
      assert.doesNotMatch(err.message, /\n/, 'one line');
      assert.equal(err.stack, err.message, 'mocha prints the line alone');
    }
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith('.fetch-')), [], 'no half-fetched entry left');
  });
});
