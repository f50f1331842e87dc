/**
 * The published package as a user gets it: `npm pack` (prepack builds), the tarball's
 * content, the Flow Library scorecard checks that run offline, then
 * `npm install --omit=dev` of the tarball into a fresh Node-RED userDir and a real
 * Node-RED process that loads every node with no warning and polls a real snmpd with
 * the installed copy.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PACKAGE_NAME, ROOT, startNodeRed, type NodeRed } from '../support/node-red-process';
import { startSnmpd, type Snmpd } from '../support/snmpd';

/**
 * What the tarball may hold, and nothing else: the compiled nodes (js, html, locales,
 * icons), the editor script they share, examples, the Grafana dashboards, and what npm
 * always adds.
 */
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^nodes\/[a-z0-9-]+\.(js|html)$/,
  /^nodes\/lib\/([a-z0-9-]+\/)*[a-z0-9-]+\.js$/,
  /^nodes\/bin\/[a-z0-9-]+\.js$/,
  /^nodes\/context\/[a-z0-9-]+\.js$/,
  /^nodes\/locales\/[a-zA-Z-]+\/[a-z0-9-]+\.json$/,
  /^nodes\/icons\/[a-z0-9-]+\.svg$/,
  /^resources\/[a-z0-9-]+\.js$/,
  /^examples\/[^/]+\.json$/,
  /^examples\/[^/]+\.sql$/,
  /^examples\/scale-out\/[^/]+\.json$/,
  /^grafana\/[a-z0-9-]+\.json$/,
];

/** Node-RED's own start-up notices, printed whatever the palette holds. */
const NODE_RED_NOTICES = [/\[warn\] Projects disabled/, /\[warn\] Encrypted credentials not found/];

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stderr || r.stdout || '').slice(-3000)}`);
  return r.stdout;
}

/**
 * Preloaded into node-red-dev: the Flow Library catalogue (catalogue.nodered.org) is out
 * of reach here, and node-red-dev stops at the first failed request. An empty catalogue
 * lets every other check run; the two that read it (P08 similar names, N01 unique node
 * names) are therefore not really evaluated by this test.
 */
const CATALOGUE_STUB = `const path = require('path');
const dir = path.dirname(require.resolve('node-red-dev/package.json', { paths: [process.cwd(), ${JSON.stringify(ROOT)}] }));
const axios = require(require.resolve('axios', { paths: [dir] }));
const get = axios.get.bind(axios);
axios.get = (url, ...rest) => (/^https:\\/\\/catalogue\\.nodered\\.org\\//.test(url) ? Promise.resolve({ data: { modules: [] } }) : get(url, ...rest));
`;

describe('package: npm pack, install into a fresh userDir, load in Node-RED', function () {
  this.timeout(180000);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const nodeTypes = Object.keys(pkg['node-red'].nodes);
  let work = '';
  let tarball = '';
  let files: string[] = [];
  let unpacked = '';
  let userDir = '';
  let red: NodeRed | undefined;
  let snmpd: Snmpd | undefined;

  before(function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'snmp-fleet-pack-'));
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT)) as Array<{ filename: string }>;
    tarball = path.join(work, path.basename(packed[0].filename));
    files = run('tar', ['-tzf', tarball], work).split('\n').filter((l) => l && !l.endsWith('/')).map((l) => l.replace(/^package\//, ''));
    unpacked = path.join(work, 'unpacked');
    fs.mkdirSync(unpacked);
    run('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1'], work);
  });

  after(async () => {
    await red?.stop();
    await snmpd?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('holds the compiled nodes, their editor script, examples, README, LICENSE and package.json, and nothing else', () => {
    const stray = files.filter((f) => !ALLOWED.some((re) => re.test(f)));
    assert.deepEqual(stray, [], 'files that do not belong in the tarball');
    assert.equal(files.some((f) => /(^|\/)(src|test|sim|\.demo|node_modules)\//.test(f) || f.endsWith('.ts')), false, 'no sources, tests or simulator');
    for (const must of ['package.json', 'README.md', 'LICENSE', 'resources/snmp-fleet-editor.js', 'resources/snmp-fleet-inventory.js']) assert.ok(files.includes(must), `${must} is packed`);
    const examples = fs.existsSync(path.join(ROOT, 'examples')) ? fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json')) : [];
    for (const e of examples) assert.ok(files.includes(`examples/${e}`), `example ${e} is packed`);
    // what an example's comment tells to run comes along (06: the SQL that creates its table)
    for (const f of fs.existsSync(path.join(ROOT, 'examples')) ? fs.readdirSync(path.join(ROOT, 'examples')).filter((x) => x.endsWith('.sql')) : []) assert.ok(files.includes(`examples/${f}`), `${f} is packed`);
    for (const d of fs.readdirSync(path.join(ROOT, 'grafana'))) assert.ok(files.includes(`grafana/${d}`), `dashboard ${d} is packed`);
    for (const bin of Object.values<string>(pkg.bin ?? {})) assert.ok(files.includes(bin.replace(/^\.\//, '')), `bin ${bin} is packed`);
    assert.ok(files.includes(pkg.main), `main ${pkg.main} is packed`);
  });

  it('holds, for every node in package.json, its compiled js, editor html, en-US messages and icon', () => {
    for (const type of nodeTypes) {
      const js = String(pkg['node-red'].nodes[type]).replace(/^\.\//, '');
      const html = js.replace(/\.js$/, '.html');
      assert.ok(files.includes(js), `${js} is packed`);
      assert.ok(files.includes(html), `${html} is packed`);
      assert.ok(files.includes(path.posix.join(path.posix.dirname(js), 'locales', 'en-US', `${type}.json`)), `${type} messages are packed`);
      const source = fs.readFileSync(path.join(unpacked, html), 'utf8');
      const icon = /\bicon:\s*"([^"]+)"/.exec(source);
      if (icon && !icon[1].includes('/')) assert.ok(files.includes(`nodes/icons/${icon[1]}`), `${type}'s icon ${icon[1]} is packed`);
      if (!/category:\s*"config"/.test(source)) assert.ok(icon, `${type} has its own icon`);
      for (const src of source.matchAll(/<script[^>]+src="resources\/[^/]+\/[^/]+\/([^"]+)"/g)) {
        assert.ok(files.includes(`resources/${src[1]}`), `${type} loads resources/${src[1]}, which is packed`);
      }
    }
  });

  it('passes node-red-dev validate (the Flow Library scorecard) on the packed package', () => {
    let bin: string;
    try {
      bin = path.join(path.dirname(require.resolve('node-red-dev/package.json')), 'bin', 'run');
    } catch {
      throw new Error('node-red-dev is missing: npm install --save-dev node-red-dev');
    }
    const stub = path.join(work, 'catalogue-stub.js');
    fs.writeFileSync(stub, CATALOGUE_STUB);
    // P06/P07 and D02/D03 ask the npm registry, which this workplace and CI reach
    const r = spawnSync(process.execPath, ['-r', stub, bin, 'validate', '-p', unpacked], { cwd: ROOT, encoding: 'utf8', timeout: 120000 });
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 0, out);
    // One known nag: redis 6 needs Node >= 20, and the pack still runs on Node 18 (Node-RED
    // 3.1), so the Redis context store stays on the redis 5 client.
    const allowed = /D03 redis is not at latest version/;
    const complaints = out.split('\n').filter((l) => /Warning|Error|Unable to parse|NOT Compatible|not at latest/i.test(l) && !allowed.test(l));
    assert.deepEqual(complaints, [], `node-red-dev validate:\n${out}`);
    for (const pass of ['licensed', 'Scoped Name', 'Node-RED Keyword Found', 'Compatible with Node-RED', 'Compatible NodeJS Version', 'Examples found for all nodes', 'dependencies', 'No incompatible packages', 'Complete']) {
      assert.ok(out.includes(pass), `node-red-dev reports "${pass}":\n${out}`);
    }
  });

  it('installs with npm install --omit=dev into a fresh userDir, bringing only the runtime dependencies', () => {
    userDir = path.join(work, 'userDir');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
    // the npm cache holds the runtime dependencies from the project's own install
    run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', tarball], userDir);
    const installed = path.join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
    assert.equal(fs.lstatSync(installed).isDirectory(), true, 'a real copy, not a link to the repository');
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      assert.ok(fs.existsSync(path.join(userDir, 'node_modules', dep, 'package.json')), `${dep} came along`);
    }
    for (const dev of Object.keys(pkg.devDependencies ?? {})) {
      assert.equal(fs.existsSync(path.join(userDir, 'node_modules', dev)), false, `devDependency ${dev} stayed out`);
    }
    // the Redis context store, as settings.js requires it from the userDir, with its own redis client
    const r = spawnSync(process.execPath, ['-e', `const m = require('${PACKAGE_NAME}/nodes/context/redis'); const s = m({ url: 'redis://127.0.0.1:1' }); process.stdout.write(typeof s.get + ' ' + typeof s.clean + ' ' + String(m));`], { cwd: userDir, encoding: 'utf8' });
    assert.equal(r.stdout, `function function ${PACKAGE_NAME} redis`, r.stderr);
  });

  it('loads every node in Node-RED with no warning, with its editor html, messages and script', async () => {
    assert.ok(userDir, 'installed by the previous step');
    red = await startNodeRed({ install: 'none', userDir });
    const sets = (await red.nodeSets()).filter((s) => s.module === PACKAGE_NAME);
    assert.deepEqual(sets.map((s) => s.types).flat().sort(), [...nodeTypes].sort(), 'every node type is registered');
    for (const s of sets) {
      assert.equal(s.enabled, true, `${s.id} is enabled`);
      assert.equal(s.err, undefined, `${s.id} loaded without error`);
    }
    const warnings = red.problems().filter((line) => !NODE_RED_NOTICES.some((re) => re.test(line)));
    assert.deepEqual(warnings, [], 'no warning or error while loading');

    const editorHtml = await (await fetch(`${red.url}/nodes`, { headers: { accept: 'text/html' } })).text();
    for (const type of nodeTypes) {
      assert.ok(editorHtml.includes(`data-template-name="${type}"`), `${type} has an edit dialog`);
      assert.ok(editorHtml.includes(`data-help-name="${type}"`), `${type} has help`);
    }
    const messages = (await red.request('GET', '/nodes/messages?lng=en-US')).body as Record<string, Record<string, unknown>>;
    for (const type of nodeTypes) {
      const catalog = messages[`${PACKAGE_NAME}/${type}`];
      assert.ok(catalog && catalog[type], `${type} messages are served`);
    }
    const script = await fetch(`${red.url}/resources/${PACKAGE_NAME}/snmp-fleet-editor.js`);
    assert.equal(script.status, 200, 'the shared editor script is served');
    assert.match(await script.text(), /window\.SnmpFleetEditor/);
    const grammar = await fetch(`${red.url}/resources/${PACKAGE_NAME}/snmp-fleet-inventory.js`);
    assert.equal(grammar.status, 200, 'the inventory grammar bundled for the editor is served');
    assert.match(await grammar.text(), /^var SnmpFleetInventory = /m);
  });

  it('runs from the installed copy: a deployed snmp-get polls a real snmpd', async () => {
    assert.ok(red, 'started by the previous step');
    snmpd = await startSnmpd({ community: 'pack-test' });
    await red.deploy([
      { id: 'tab', type: 'tab', label: 'pack' },
      { id: 'cfg', type: 'snmp-config', version: '2c', inventory: `127.0.0.1:${snmpd.port} agent`, credentials: { community: 'pack-test' } },
      { id: 'go', type: 'inject', z: 'tab', once: true, onceDelay: 0.1, repeat: '', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['get']] },
      { id: 'get', type: 'snmp-get', z: 'tab', snmp: 'cfg', oids: 'sysName.0\nsysUpTime.0', wires: [[], []] },
    ]);
    const status = await red.waitForStatus('get', (s) => ['green', 'red', 'yellow'].includes(s.fill ?? ''));
    assert.equal(status.fill, 'green', JSON.stringify(status));
    assert.match(status.text ?? '', /^1\/1 ok · /);
    assert.equal(red.output().includes('pack-test'), false, 'the community never reaches the log');
  });
});
