/**
 * The versions users run: the packed tarball installed with `npm install --omit=dev` into
 * a fresh userDir of each Node-RED release on each Node.js line the package promises,
 * started as a real process, all at once (each waits mostly on its own start-up):
 *
 *     Node-RED 3.1 on Node 18 · 4.1 on Node 20 · 5.0 on Node 22 · 5.0 on Node 24
 *
 * In each: the eight nodes package.json registers load with no warning; snmp-get polls a
 * real Debian snmpd over SNMPv2c and over SNMPv3 authPriv; trap-in receives one trap from Debian's snmptrap;
 * every example is listed by the runtime's example library (Import → Examples), fetched
 * from it, deployed and run once against the snmpd, a real influxd and, for example 06, a
 * real MariaDB whose inventory table lists the snmpd, with no warning or error. Node
 * binaries and Node-RED releases come from the npm registry into a cache outside the
 * repository (test/support/compat-cache.ts); a second run is offline.
 *
 * The examples' own third-party nodes (node-red-contrib-influxdb, @flowfuse/node-red-
 * dashboard, node-red-node-mysql) are linked from the project's node_modules, as the
 * end-to-end test does: what is checked is this package as installed, on each runtime.
 */
import { strict as assert } from 'assert';
import { execFile } from 'child_process';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { nodeBinary, nodeRedRelease, oneLineError, type NodeBinary, type NodeRedRelease } from '../support/compat-cache';
import { startHttpReceiver, type HttpReceiver } from '../support/http-receiver';
import { startInfluxd, type Influxd } from '../support/influxd';
import { startMariadb, sqlString, type Mariadb } from '../support/mariadb';
import { startTogether, stopQuietly } from '../support/together';
import { PACKAGE_NAME, ROOT, startNodeRed, type FlowNode, type NodeRed } from '../support/node-red-process';
import { startSnmpd, type Snmpd } from '../support/snmpd';

const { loadExamples, prepareExamples } = require('../../scripts/lib/examples.js') as {
  loadExamples(): Array<{ file: string; name: string; flow: FlowNode[] }>;
  prepareExamples(nodes: FlowNode[], o: Record<string, unknown>): FlowNode[];
};

const { loadScaleOutExamples } = require('../../scripts/lib/scale-out.js') as {
  loadScaleOutExamples(): { aggregator: FlowNode[]; worker: FlowNode[] };
};

/** The tested matrix; the README's table says the same. */
export const MATRIX = [
  { nodeRed: '3.1', node: '18' },
  { nodeRed: '4.1', node: '20' },
  { nodeRed: '5.0', node: '22' },
  { nodeRed: '5.0', node: '24' },
];

const COMMUNITY = 'compat-community-5d1e';
const V3 = { name: 'compat-ops', auth: 'SHA-256', authKey: 'compat-auth-key-91', priv: 'AES', privKey: 'compat-priv-key-27' };
const SNMPTRAP = fs.existsSync('/usr/bin/snmptrap') ? '/usr/bin/snmptrap' : 'snmptrap';
/** Node-RED's own start-up notices, printed whatever the palette holds. */
const NODE_RED_NOTICES = [/\[warn\] Projects disabled/, /\[warn\] Encrypted credentials not found/];
/** Node.js process warnings (deprecations, experimental features) on stderr. */
const NODE_WARNING = /\(node:\d+\) \[?[A-Z]*\d*\]? ?\w*Warning/;
const DB = 'compat';
const MYSQL = { user: 'compat-reader', password: 'compat-Inventory-7' };
/** Example 06 polls the rows of its table this often (its shipped default is 300 s). */
const DB_INTERVAL_S = 5;

function run(cmd: string, args: string[], cwd: string, timeoutMs = 300000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 16 << 20, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${(stderr || stdout || err.message).slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

function linkModule(userDir: string, name: string): void {
  const link = path.join(userDir, 'node_modules', ...name.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules', ...name.split('/')), link, 'dir');
}

/** What one Node-RED/Node pair showed; a step that failed holds its error. */
interface Outcome {
  label: string;
  versions?: string;
  steps: Map<string, Error | true>;
  notes: string[];
  ms: number;
}

const STEPS = ['install', 'load', 'poll', 'trap', 'examples'] as const;
type Step = typeof STEPS[number];

interface Shared {
  tarball: string;
  snmpd: Snmpd;
  influx: Influxd;
  /** Example 06's inventory table, one row: the snmpd. */
  db: Mariadb;
  rx: HttpReceiver;
  /** The first of two free UDP ports of a pair: its test flow's trap-in, then its example's. */
  trapPort(pair: { nodeRed: string; node: string }): number;
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => { s.close(); resolve(false); });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * `count` first ports p with p and p + 1 both free, none closer than 2 to another. They
 * are taken below Linux's ephemeral range (32768-60999): a port the kernel handed out to
 * probe it could go to the next socket that binds port 0 (a poller's, in the same
 * Node-RED) before trap-in binds it.
 */
async function udpPortPairs(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count && attempt < 200; attempt++) {
    const p = 20000 + 2 * Math.floor(Math.random() * 6000);
    if (!ports.some((q) => Math.abs(q - p) < 2) && await udpFree(p) && await udpFree(p + 1)) ports.push(p);
  }
  if (ports.length < count) throw new Error('no free UDP port pairs on 127.0.0.1');
  return ports;
}

function testFlow(snmpd: Snmpd, trapPort: number): FlowNode[] {
  const agent = `127.0.0.1:${snmpd.port}`;
  // x and y make a node a flow node (without them the runtime takes it for a config node)
  const at = (y: number) => ({ x: 200, y });
  const show = (id: string, value: string, y: number) => ({
    id, type: 'debug', z: 'tab', name: `shows ${value}`, ...at(y), active: true, tosidebar: false, console: false, tostatus: true,
    complete: 'payload', targetType: 'msg', statusVal: value, statusType: 'msg', wires: [],
  });
  return [
    { id: 'tab', type: 'tab', label: 'compat' },
    { id: 'cfg-v2c', type: 'snmp-config', name: 'v2c', version: '2c', inventory: `${agent} v2c-agent`, credentials: { community: COMMUNITY } },
    {
      id: 'cfg-v3', type: 'snmp-config', name: 'v3', version: '3', user: V3.name, securityLevel: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes',
      inventory: `${agent} v3-agent`, credentials: { authKey: V3.authKey, privKey: V3.privKey },
    },
    { id: 'go', type: 'inject', z: 'tab', ...at(40), once: true, onceDelay: 0.5, repeat: '', props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['get-v2c', 'get-v3']] },
    { id: 'get-v2c', type: 'snmp-get', z: 'tab', ...at(100), snmp: 'cfg-v2c', oids: 'sysName.0\nsysUpTime.0', wires: [['show-v2c'], []] },
    { id: 'get-v3', type: 'snmp-get', z: 'tab', ...at(160), snmp: 'cfg-v3', oids: 'sysName.0\nsysUpTime.0', wires: [['show-v3'], []] },
    show('show-v2c', 'payload["sysName.0"]', 220),
    show('show-v3', 'payload["sysName.0"]', 280),
    { id: 'traps', type: 'trap-in', z: 'tab', ...at(340), snmp: 'cfg-v2c', snmp2: '', snmp3: '', snmp4: '', port: trapPort, address: '127.0.0.1', filter: '', allow: '', rateLimit: 1000, rcvbuf: 4194304, outputs: 2, wires: [['show-trap'], []] },
    show('show-trap', 'topic', 400),
  ];
}

/** Runs the steps for one pair, each after the previous succeeded; never rejects. */
async function exercise(pair: { nodeRed: string; node: string }, shared: Shared): Promise<Outcome> {
  const outcome: Outcome = { label: `Node-RED ${pair.nodeRed} on Node ${pair.node}`, steps: new Map(), notes: [], ms: 0 };
  const started = Date.now();
  let red: NodeRed | undefined;
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), `compat-${pair.nodeRed}-node${pair.node}-`));
  let failed = false;
  const step = async (name: Step, fn: () => Promise<void>) => {
    if (failed) {
      outcome.steps.set(name, oneLineError(`not run: an earlier step failed for ${outcome.label}`));
      return;
    }
    try {
      await fn();
      outcome.steps.set(name, true);
    } catch (err) {
      failed = true;
      const e = err as Error;
      outcome.steps.set(name, red ? Object.assign(new Error(`${e.message}\n--- Node-RED log (tail) ---\n${red.output().slice(-3000)}`), { stack: e.stack }) : e);
    }
  };
  let node: NodeBinary;
  let release: NodeRedRelease;
  try {
    await step('install', async () => {
      [node, release] = await Promise.all([nodeBinary(pair.node), nodeRedRelease(pair.nodeRed)]);
      outcome.versions = `Node-RED ${release.version} on Node ${node.version}`;
      fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
      await run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', shared.tarball], userDir);
      const installed = path.join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
      assert.ok(fs.lstatSync(installed).isDirectory() && !fs.lstatSync(installed).isSymbolicLink(), 'a real copy of the package');
      linkModule(userDir, 'node-red-contrib-influxdb');
      linkModule(userDir, '@flowfuse/node-red-dashboard');
      linkModule(userDir, 'node-red-node-mysql');
      fs.writeFileSync(path.join(userDir, 'inventory.csv'), `host,port,name,site\n127.0.0.1,${shared.snmpd.port},csv-agent,lab\n`);
    });

    await step('load', async () => {
      red = await startNodeRed({
        install: 'none',
        userDir,
        node: node.bin,
        redJs: release.redJs,
        settings: { fileWorkingDirectory: userDir },
        env: { SLACK_WEBHOOK_URL: `${shared.rx.url}/services/compat`, PAGERDUTY_ROUTING_KEY: 'compat-routing-key', INVENTORY_URL: '', MYSQL_USER: MYSQL.user, MYSQL_PASSWORD: MYSQL.password },
        startTimeoutMs: 180000,
      });
      assert.match(red.output(), new RegExp(`Node-RED version: v${release.version.replace(/\./g, '\\.')}`));
      assert.match(red.output(), new RegExp(`Node.js {2}version: v${node.version.replace(/\./g, '\\.')}`));
      const types = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))['node-red'].nodes).sort();
      const sets = (await red.nodeSets()).filter((s) => s.module === PACKAGE_NAME);
      assert.deepEqual(sets.map((s) => s.types).flat().sort(), types, 'every node type is registered');
      for (const s of sets) assert.ok(s.enabled && !s.err, `${s.id}: ${s.err}`);
      assertQuiet(red, 'at start');
    });

    await step('poll', async () => {
      const r = red!;
      await r.deploy(testFlow(shared.snmpd, shared.trapPort(pair)));
      for (const v of ['v2c', 'v3']) {
        const status = await r.waitForStatus(`get-${v}`, (s) => ['green', 'red', 'yellow'].includes(s.fill ?? ''), 60000);
        assert.equal(status.fill, 'green', `${v}: ${JSON.stringify(status)}`);
        assert.match(status.text ?? '', /^1\/1 ok · /, v);
        const shown = await r.waitForStatus(`show-${v}`, (s) => (s.text ?? '') !== '', 30000);
        assert.equal(shown.text, 'compat-snmpd', `${v} answer's sysName.0`);
      }
      assert.ok(!r.output().includes(COMMUNITY) && !r.output().includes(V3.authKey) && !r.output().includes(V3.privKey), 'no secret in the log');
    });

    await step('trap', async () => {
      const r = red!;
      await run(SNMPTRAP, ['-v', '2c', '-c', COMMUNITY, '-m', '', '-On', `127.0.0.1:${shared.trapPort(pair)}`, '', '1.3.6.1.6.3.1.1.5.3',
        '1.3.6.1.2.1.2.2.1.1.3', 'i', '3', '1.3.6.1.2.1.2.2.1.8.3', 'i', '2'], userDir, 30000);
      const shown = await r.waitForStatus('show-trap', (s) => (s.text ?? '') !== '', 30000);
      assert.equal(shown.text, 'IF-MIB::linkDown');
    });

    await step('examples', async () => {
      const r = red!;
      const listed = await r.request('GET', '/library/examples/flows/');
      assert.ok(Array.isArray(listed.body) && listed.body.includes(PACKAGE_NAME), `the example library lists ${PACKAGE_NAME}: ${JSON.stringify(listed.body)}`);
      const entries = await r.request('GET', `/library/examples/flows/${PACKAGE_NAME}`);
      const shipped = loadExamples();
      // the library lists a folder by its name, a flow as {fn}
      const listedEntries = entries.body as Array<{ fn: string } | string>;
      assert.deepEqual(listedEntries.filter((e): e is { fn: string } => typeof e === 'object').map((e) => e.fn).sort(), shipped.map((e) => e.name).sort());
      assert.deepEqual(listedEntries.filter((e): e is string => typeof e === 'string').sort(), ['scale-out'], 'the scale-out folder');
      const imported: FlowNode[] = [];
      for (const e of shipped) {
        const res = await r.request('GET', `/library/examples/flows/${PACKAGE_NAME}/${encodeURIComponent(e.name)}`);
        assert.equal(res.status, 200, `${e.name}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(res.body, e.flow, `${e.name} is served as shipped`);
        imported.push(...(res.body as FlowNode[]));
      }
      // served as shipped; run by test/integration/scale-out-examples.test.ts (they need an MQTT
      // broker and the Redis context store in settings.js)
      const scaleOut = loadScaleOutExamples();
      for (const [name, flow] of [['1 scheduler and aggregator', scaleOut.aggregator], ['2 worker', scaleOut.worker]] as const) {
        const res = await r.request('GET', `/library/examples/flows/${PACKAGE_NAME}/scale-out/${encodeURIComponent(name)}`);
        assert.equal(res.status, 200, `scale-out/${name}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(res.body, flow, `scale-out/${name} is served as shipped`);
      }
      const flows = prepareExamples(imported, {
        inventory: `127.0.0.1:${shared.snmpd.port} example-agent`,
        community: COMMUNITY,
        influx: { hostname: '127.0.0.1', port: shared.influx.port, database: DB },
        trapPort: shared.trapPort(pair) + 1,
        trapAddress: '127.0.0.1',
        inventoryFile: 'inventory.csv',
        mysql: { host: shared.db.host, port: shared.db.port, database: DB },
        intervalSeconds: DB_INTERVAL_S,
      });
      await r.deploy(flows);
      // each poll of the examples runs once at deploy; example 06's walk polls its table's row on its own schedule
      for (const n of flows.filter((x) => x.type === 'snmp-get' || x.type === 'snmp-bulkwalk')) {
        const scheduled = n.schedule === 'interval';
        const done = (s: { fill?: string; text?: string }) => (scheduled ? /· [1-9][\d,]*\/min/.test(s.text ?? '') || s.fill === 'red' : ['green', 'red', 'yellow'].includes(s.fill ?? ''));
        const status = await r.waitForStatus(n.id, done, 60000);
        assert.equal(status.fill, 'green', `${n.name}: ${JSON.stringify(status)}`);
      }
      assert.equal((await fetch(`${r.url}/dashboard/snmp-fleet`)).status, 200, 'the dashboard example serves its page');
      assert.doesNotMatch(r.output(), /Waiting for missing types/);
      assertQuiet(r, 'after deploying the examples');
    });
  } finally {
    if (red) {
      const mib = red.output().split('\n').filter((l) => /MIB files in .* import modules/.test(l));
      if (mib.length) outcome.notes.push(`MIB notice: ${mib.length} info line`);
      await red.stop();
    } else {
      fs.rmSync(userDir, { recursive: true, force: true });
    }
    outcome.ms = Date.now() - started;
  }
  return outcome;
}

/** No warning or error line, and no Node.js process warning, apart from Node-RED's own notices. */
function assertQuiet(red: NodeRed, when: string): void {
  const lines = red.output().split('\n');
  const problems = red.problems().filter((l) => !NODE_RED_NOTICES.some((re) => re.test(l)));
  const processWarnings = lines.filter((l) => NODE_WARNING.test(l));
  assert.deepEqual([...problems, ...processWarnings], [], `no warning ${when}`);
}

describe('compatibility: the packed package on each Node-RED and Node.js it promises', function () {
  const outcomes = new Map<string, Outcome>();
  let shared: Shared | undefined;
  let work = '';
  let setupError: Error | undefined;

  before(async function () {
    // a cold cache downloads four Node.js binaries and three Node-RED releases first
    this.timeout(20 * 60 * 1000);
    const t0 = Date.now();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'compat-pack-'));
    // what started, stopped again when the setup fails after it (after() only sees `shared`)
    let started: unknown[] = [];
    try {
      const ports = await udpPortPairs(MATRIX.length);
      const trapPorts = new Map(MATRIX.map((pair, i) => [`${pair.nodeRed}/${pair.node}`, ports[i]]));
      const [packed, snmpd, influx, db, rx] = await startTogether([
        run('npm', ['pack', '--json', '--pack-destination', work], ROOT),
        startSnmpd({ community: COMMUNITY, sysName: 'compat-snmpd', users: [V3] }),
        startInfluxd({ database: DB }),
        startMariadb({ database: DB, ...MYSQL }),
        startHttpReceiver(),
      ]);
      started = [snmpd, influx, db, rx];
      // example 06's table as its SQL file makes it, its one row the snmpd
      await db.sql(fs.readFileSync(path.join(ROOT, 'examples', '06 inventory.sql'), 'utf8'), DB);
      await db.sql(`DELETE FROM snmp_inventory; INSERT INTO snmp_inventory (host, port, name) VALUES ('127.0.0.1', ${snmpd.port}, ${sqlString('db-agent')});`, DB);
      shared = {
        tarball: path.join(work, path.basename(JSON.parse(packed)[0].filename)),
        snmpd,
        influx,
        db,
        rx,
        trapPort: (pair) => trapPorts.get(`${pair.nodeRed}/${pair.node}`)!,
      };
    } catch (err) {
      setupError = err as Error;
      if (!shared) await stopQuietly(started);
      return;
    }
    const results = await Promise.all(MATRIX.map((pair) => exercise(pair, shared!)));
    for (const o of results) outcomes.set(o.label, o);
    console.log(`      matrix: ${results.map((o) => `${o.versions ?? o.label} ${(o.ms / 1000).toFixed(0)} s`).join(', ')}; all in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  });

  after(async function () {
    await shared?.snmpd.stop();
    await shared?.influx.stop();
    await shared?.db.stop();
    await shared?.rx.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  for (const pair of MATRIX) {
    const label = `Node-RED ${pair.nodeRed} on Node ${pair.node}`;
    const check = (step: Step) => () => {
      if (setupError) throw setupError;
      const result = outcomes.get(label)?.steps.get(step);
      assert.ok(result, `${label}: ${step} did not run`);
      if (result !== true) throw result;
    };
    describe(label, function () {
      it('installs the packed tarball with npm install --omit=dev into a fresh userDir', check('install'));
      it('loads every node package.json registers with no warning', check('load'));
      it('polls a real snmpd over SNMPv2c and SNMPv3 authPriv', check('poll'));
      it('receives a trap from snmptrap', check('trap'));
      it('lists, imports and runs every example with no warning', check('examples'));
    });
  }
});

