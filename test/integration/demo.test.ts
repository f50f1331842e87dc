/**
 * `npm start`, as a user runs it: a process group of its own (as a terminal job), the
 * demo directory in a temp folder, Node-RED on a free port, InfluxDB pointed at the
 * test's own influxd through INFLUX_URL. It must answer on its editor URL, its flows must
 * write points within two poll cycles, a second `npm start` must refuse in one line, and
 * Ctrl-C (SIGINT to the group) must end it cleanly with no process left behind. A second
 * demo, with its own private influxd, must end the same way when its terminal closes
 * (SIGHUP to the group), leaving no process and no temporary folder.
 */
import { strict as assert } from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startInfluxd, influxRows, freeTcpPort, type Influxd } from '../support/influxd';
import { freeUdpPort } from '../support/snmpd';

const ROOT = path.resolve(__dirname, '..', '..');
const POLL_S = 3;
const DEVICES = 20;
/** The demo's device that sends link traps (scripts/demo.js TRAPPING). */
const TRAPPING = 'sim-0013';

interface DemoRun {
  proc: ChildProcess;
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm start` in its own process group, as a shell starts a job. */
function startDemo(env: Record<string, string | undefined>): DemoRun {
  let out = '';
  const proc = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return { proc, output: () => out, exit };
}

function demoEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ...extra };
  delete env.SLACK_WEBHOOK_URL;
  delete env.PAGERDUTY_ROUTING_KEY;
  delete env.INFLUX_DB;
  return env;
}

/**
 * A demo alone in `dir` with no INFLUX_URL, so it starts its own influxd (and mariadbd),
 * whose temporary folders land in `tmp`; 14 devices on the test's poll interval.
 */
async function privateDemoEnv(dir: string, tmp: string, port: number): Promise<Record<string, string | undefined>> {
  const env = demoEnv({
    PORT: String(port),
    SNMP_FLEET_DEMO_DIR: dir,
    SNMP_FLEET_DEMO_POLL: String(POLL_S),
    SNMP_FLEET_DEMO_DEVICES: '14',
    TRAP_PORT: String(await freeUdpPort()),
    TMPDIR: tmp,
  });
  delete env.INFLUX_URL;
  return env;
}

async function waitForOutput(run: DemoRun, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!run.output().includes(text)) {
    if (run.proc.exitCode !== null || Date.now() > deadline) assert.fail(`no "${text}" from the demo:\n${run.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Waits (up to 30 s: stopping Node-RED takes a while on a loaded machine) until nothing
 * of the group or the folder runs any more; returns what still does.
 */
async function settledLeftovers(dir: string, pgid: number): Promise<string[]> {
  let left: string[] = [];
  for (let i = 0; i < 120; i++) {
    left = leftovers(dir, pgid);
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return left;
}

/** Processes whose working directory is inside `dir`, or that belong to process group `pgid`. */
function leftovers(dir: string, pgid: number): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // a zombie is already gone; its parent just has not read its status yet
      if (fields[0] === 'Z') continue;
      const inGroup = Number(fields[2]) === pgid;
      let cwd = '';
      try { cwd = fs.readlinkSync(`/proc/${entry}/cwd`); } catch { /* not ours to read */ }
      if (inGroup || cwd === dir || cwd.startsWith(dir + path.sep)) {
        found.push(`${entry} ${fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`);
      }
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

describe('npm start (the demo)', function () {
  this.timeout(240000);

  let influx: Influxd;
  let demo: DemoRun;
  let dir = '';
  let port = 0;
  let trapPort = 0;
  /** When the demo said the examples were deployed. */
  let deployedAt = 0;

  before(async function () {
    influx = await startInfluxd({});
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snmp-fleet-demo-test-'));
    port = await freeTcpPort();
    trapPort = await freeUdpPort();
    demo = startDemo(demoEnv({
      PORT: String(port),
      SNMP_FLEET_DEMO_DIR: dir,
      SNMP_FLEET_DEMO_POLL: String(POLL_S),
      SNMP_FLEET_DEMO_DEVICES: String(DEVICES),
      TRAP_PORT: String(trapPort),
      INFLUX_URL: `${influx.url}/demo_test`,
    }));
    demo.proc.stdout!.on('data', () => {
      if (!deployedAt && demo.output().includes('[demo] the examples are deployed')) deployedAt = Date.now();
    });
  });

  after(async function () {
    if (demo && demo.proc.exitCode === null && demo.proc.signalCode === null) {
      try { process.kill(-demo.proc.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
    await influx?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('builds, starts and prints its choices and URLs', async function () {
    await waitForOutput(demo, '[demo] dashboard:', 180000);
    const out = demo.output();
    assert.match(out, new RegExp(`InfluxDB: ${influx.url.replace(/[.]/g, '\\.')}, database demo_test \\(INFLUX_URL\\)`));
    // example 06 reads its inventory from a private MariaDB
    assert.match(out, /MariaDB: a private mariadbd at 127\.0\.0\.1:\d+, database snmp_fleet, table snmp_inventory with 6 simulated devices/);
    assert.match(out, /SLACK_WEBHOOK_URL not set; Slack alerts go to .*snmp-fleet-alerts\.log and the debug sidebar/);
    assert.match(out, /PAGERDUTY_ROUTING_KEY not set/);
    assert.match(out, /simulator: 20 devices with 48 interfaces, each on its own address 127\.0\.0\.2 … 127\.0\.0\.21/);
    assert.match(out, new RegExp(`editor: +http://127\\.0\\.0\\.1:${port}/`));
    assert.match(out, new RegExp(`dashboard: http://127\\.0\\.0\\.1:${port}/dashboard/snmp-fleet`));
  });

  it('starts quietly: Debian\'s MIB gaps are one info line that says what to install, blamed on no node', async function () {
    // the MIBs load with the first poll, just after the deploy
    const deadline = Date.now() + 30000;
    while (!/MIB files in \/usr\/share\/snmp\/mibs import modules/.test(demo.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const lines = demo.output().split('\n');
    const mib = lines.filter((l) => /MIB/.test(l) && /\[(info|warn|error)\]/.test(l));
    assert.equal(mib.length, 1, mib.join('\n'));
    assert.match(mib[0], /\[info\] snmp-fleet: \d+ MIB files in \/usr\/share\/snmp\/mibs import modules this machine does not have \(.*HCNUM-TC.*\); .*snmp-mibs-downloader/);
    assert.deepEqual(lines.filter((l) => /\[warn\] \[(snmp-config|snmp-get|snmp-bulkwalk|trap-in|counter-rate)/.test(l)), []);
  });

  it('answers on its editor URL, bound to 127.0.0.1, with the examples deployed', async function () {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Node-RED/);
    const flows = await (await fetch(`http://127.0.0.1:${port}/flows`)).json() as Array<{ type: string; label?: string }>;
    assert.deepEqual(flows.filter((n) => n.type === 'tab').map((n) => n.label), [
      'SNMP fleet poller', 'SNMP trap receiver', 'SNMP inventory from CSV or HTTP', 'SNMP fleet dashboard', 'SNMP fleet for Prometheus',
      'SNMP inventory from a database',
    ]);
    // every shipped example has its tab
    const { loadExamples } = require('../../scripts/lib/examples.js') as { loadExamples(): Array<{ flow: Array<{ label?: string }> }> };
    assert.deepEqual(flows.filter((n) => n.type === 'tab').map((n) => n.label), loadExamples().map((e) => e.flow[0].label));
    // example 05 serves the fleet for Prometheus on the same port
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^snmp_fleet_metrics_series\{/m);
    const settings = fs.readFileSync(path.join(dir, 'settings.js'), 'utf8');
    assert.match(settings, /uiHost: '127\.0\.0\.1'/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/dashboard/snmp-fleet`)).status, 200);
  });

  it('labels each inject with the interval it runs, and leaves the sidebar to alerts and failed deliveries', async function () {
    const flows = await (await fetch(`http://127.0.0.1:${port}/flows`)).json() as Array<Record<string, any>>;
    const injects = flows.filter((n) => n.type === 'inject' && n.repeat);
    assert.ok(injects.length >= 3);
    for (const n of injects) {
      assert.equal(n.repeat, String(POLL_S));
      assert.equal(n.name, `every ${POLL_S} s`, `inject on ${n.z}`);
    }
    assert.deepEqual(flows.filter((n) => n.type === 'comment' && /every 60 s/.test(n.name ?? '')).map((n) => n.name), []);
    // nor do the tab descriptions and step comments state the examples' minute
    const stale = flows.filter((n) => ['tab', 'comment'].includes(n.type) && /\bevery (60 s|minute)\b/i.test(`${n.name ?? ''} ${n.info ?? ''}`));
    assert.deepEqual(stale.map((n) => n.label ?? n.name), []);
    const sidebar = flows.filter((n) => n.type === 'debug' && n.active && n.tosidebar).map((n) => n.name).sort();
    for (const name of sidebar) assert.match(name, /alert|not delivered|failed/i);
    assert.ok(sidebar.includes('alerts'), 'the alerts still reach the sidebar');
    const quiet = flows.filter((n) => n.type === 'debug' && !n.tosidebar);
    assert.ok(quiet.some((n) => n.name === 'device and labels'), 'per-device poll results count in the node status instead');
    for (const n of quiet) assert.deepEqual([n.tostatus, n.statusType], [true, 'counter'], n.name);
  });

  it('writes points within two poll cycles of the deploy', async function () {
    assert.ok(deployedAt > 0);
    // the first poll runs at deploy (the inject's 1 s "once" delay), the second gives the
    // first rates; the margin is the time to walk, rate and write them
    const deadline = deployedAt + 1000 + 2 * POLL_S * 1000 + 4000;
    let points = 0;
    while (Date.now() < deadline && points === 0) {
      await new Promise((r) => setTimeout(r, 500));
      const rows = influxRows(await influx.query('SELECT count(in_bps) FROM snmp_interface', 'demo_test'));
      points = rows.length ? Number(rows[0].count) : 0;
    }
    assert.ok(points > 0, `no snmp_interface points ${Date.now() - deployedAt} ms after the deploy`);
    console.log(`      first points in InfluxDB ${Date.now() - deployedAt} ms after the deploy (poll every ${POLL_S} s)`);
    const devices = influxRows(await influx.query('SHOW TAG VALUES FROM snmp_system WITH KEY = "device"', 'demo_test'));
    assert.ok(devices.length >= DEVICES - 1, `${devices.length} devices in snmp_system`);
  });

  it('names the link traps by device, as the polls are named', async function () {
    // the scenario's first linkDown comes 4 polls after the deploy
    const log = path.join(dir, 'snmp-fleet-alerts.log');
    const deadline = Date.now() + 60000;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((l) => /linkDown/.test(l)) : [];
      if (lines.length > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(lines.length > 0, `no linkDown in ${log}:\n${demo.output().slice(-2000)}`);
    assert.match(lines[0], new RegExp(`\\*linkDown\\* from ${TRAPPING}, `));
    const events = influxRows(await influx.query(`SELECT count, device FROM snmp_trap WHERE trap = 'IF-MIB::linkDown'`, 'demo_test'));
    assert.deepEqual([...new Set(events.map((e) => e.device))], [TRAPPING]);
  });

  it('sends PagerDuty events to the alert log, without warning that PagerDuty would refuse them (no key is set)', async function () {
    // DeviceUnreachable of the device that goes dark, 6 polls after the deploy, goes to PagerDuty
    const log = path.join(dir, 'snmp-fleet-alerts.log');
    const deadline = Date.now() + 90000;
    let events: string[] = [];
    while (Date.now() < deadline) {
      events = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"to":"pagerduty"')) : [];
      if (events.length > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(events.length > 0, `no PagerDuty event in ${log}:\n${demo.output().slice(-2000)}`);
    assert.doesNotMatch(events[0], /routing_key/, 'the key stays out of the log');
    assert.deepEqual(demo.output().split('\n').filter((l) => /routing_key/.test(l)), []);
  });

  it('refuses a second npm start in one line while this one holds the port or the folder', async function () {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'snmp-fleet-demo-second-'));
    try {
      for (const env of [
        { PORT: String(port), SNMP_FLEET_DEMO_DIR: other, TRAP_PORT: String(await freeUdpPort()) },
        { PORT: String(await freeTcpPort()), SNMP_FLEET_DEMO_DIR: other, TRAP_PORT: String(trapPort) },
        { PORT: String(await freeTcpPort()), SNMP_FLEET_DEMO_DIR: dir, TRAP_PORT: String(await freeUdpPort()) },
      ]) {
        const second = startDemo(demoEnv({ ...env, INFLUX_URL: `${influx.url}/demo_second` }));
        const result = await Promise.race([second.exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`a second start still runs after 60 s:\n${second.output()}`)), 60000))]);
        assert.equal(result.code, 1, second.output());
        const ours = second.output().split('\n').filter((l) => /snmp-fleet demo|\[demo\]/.test(l));
        assert.equal(ours.length, 1, second.output());
        assert.match(ours[0], env.SNMP_FLEET_DEMO_DIR === dir
          ? new RegExp(`^snmp-fleet demo: a demo \\(pid \\d+\\) is already running in ${dir.replace(/[.]/g, '\\.')}; stop it first`)
          : env.PORT === String(port)
            ? new RegExp(`^snmp-fleet demo: port ${port} on 127\\.0\\.0\\.1 is in use \\(another npm start, or what is left of one\\?\\); stop it, or choose another with PORT=$`)
            : new RegExp(`^snmp-fleet demo: UDP port ${trapPort} on 127\\.0\\.0\\.1 is in use .*TRAP_PORT=$`));
        assert.doesNotMatch(second.output(), /Welcome to Node-RED|tsc|Error:|\n\s+at /, 'nothing was built or started');
      }
      assert.deepEqual(fs.readdirSync(other), [], 'the second start wrote nothing');
      // the first demo is untouched
      assert.equal((await fetch(`http://127.0.0.1:${port}/settings`)).status, 200);
      assert.equal(demo.proc.exitCode, null);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('stops everything on Ctrl-C (SIGINT to its process group) and leaves no process', async function () {
    const pgid = demo.proc.pid!;
    process.kill(-pgid, 'SIGINT');
    const result = await Promise.race([demo.exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running 30 s after SIGINT:\n${demo.output().slice(-2000)}`)), 30000))]);
    // npm, like any program a terminal's Ctrl-C reaches, ends by SIGINT once its script has ended
    assert.ok(result.code === 0 || result.signal === 'SIGINT', `npm start exited with ${result.code ?? result.signal}:\n${demo.output().slice(-2000)}`);
    assert.match(demo.output(), /\[demo\] SIGINT: stopping[\s\S]*\[demo\] stopped/);
    assert.doesNotMatch(demo.output(), /npm (ERR!|error)/);
    assert.deepEqual(await settledLeftovers(dir, pgid), []);
    assert.equal(fs.existsSync(path.join(dir, 'demo.pid')), false, 'the demo removed its pid file');
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }), 'the editor port is closed');
  });
});

describe('npm start (the demo) when its terminal closes', function () {
  this.timeout(240000);

  let demo: DemoRun;
  let dir = '';
  let tmp = '';
  let port = 0;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snmp-fleet-demo-hup-'));
    // every temporary folder the demo makes (the private influxd's) lands here
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snmp-fleet-demo-hup-tmp-'));
    port = await freeTcpPort();
    const env = await privateDemoEnv(dir, tmp, port);
    // the folder of an earlier start: its flows must not run again before the deploy
    fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify([
      { id: 'stale-tab', type: 'tab', label: 'earlier start' },
      // its On Start code runs the moment its flow starts
      { id: 'stale-function', type: 'function', z: 'stale-tab', func: 'return msg;', initialize: "node.error('a flow of an earlier start ran');", outputs: 1, wires: [[]] },
    ]));
    demo = startDemo(env);
  });

  after(async function () {
    if (demo && demo.proc.exitCode === null && demo.proc.signalCode === null) {
      try { process.kill(-demo.proc.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
    for (const d of [dir, tmp]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('starts without the flows an earlier start left in its folder', async function () {
    await waitForOutput(demo, '[demo] the examples are deployed', 180000);
    assert.doesNotMatch(demo.output(), /a flow of an earlier start ran/);
    assert.deepEqual(demo.output().split('\n').filter((l) => /\[error\]/.test(l)), [], 'no error logged');
  });

  it('stops Node-RED, influxd and the simulator on SIGHUP and leaves no process and no temporary folder', async function () {
    await waitForOutput(demo, '[demo] dashboard:', 180000);
    assert.match(demo.output(), new RegExp(`a private influxd at .* \\(data in ${tmp.replace(/[.]/g, '\\.')}/influxd-`), 'the private influxd is in use');
    assert.ok(fs.readdirSync(tmp).length > 0, 'its data folder exists while it runs');
    const pgid = demo.proc.pid!;
    process.kill(-pgid, 'SIGHUP');
    // npm itself dies of the hangup at once; the demo, orphaned, still stops what it started
    await Promise.race([demo.exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('npm still runs 30 s after SIGHUP')), 30000))]);
    const left = await settledLeftovers(dir, pgid);
    assert.deepEqual(left, []);
    const influxLeft = leftovers(tmp, -1);
    assert.deepEqual(influxLeft, [], 'no influxd left in its temporary folder');
    assert.deepEqual(fs.readdirSync(tmp), [], 'no temporary folder left');
    assert.match(demo.output(), /\[demo\] SIGHUP: stopping/);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }), 'the editor port is closed');
  });
});

describe('npm start (the demo) when npm alone is stopped', function () {
  this.timeout(240000);

  let demo: DemoRun;
  let dir = '';
  let tmp = '';

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snmp-fleet-demo-orphan-'));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snmp-fleet-demo-orphan-tmp-'));
    demo = startDemo(await privateDemoEnv(dir, tmp, await freeTcpPort()));
  });

  after(async function () {
    if (demo) {
      try { process.kill(-demo.proc.pid!, 'SIGKILL'); } catch { /* gone */ }
      // what a failure left to init: Node-RED in the folder, the servers with their data in the temporary one
      for (const entry of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        let cmdline = '';
        try { cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8'); } catch { continue; }
        const ours = leftovers(dir, demo.proc.pid!).some((p) => p.startsWith(`${entry} `)) || (tmp !== '' && cmdline.includes(tmp)) || (dir !== '' && cmdline.includes(dir));
        if (ours) {
          try { process.kill(Number(entry), 'SIGKILL'); } catch { /* gone */ }
        }
      }
    }
    for (const d of [dir, tmp]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('stops everything when npm exits on a SIGTERM of its own (`timeout 60 npm start`), leaving no process', async function () {
    await waitForOutput(demo, '[demo] dashboard:', 180000);
    const pgid = demo.proc.pid!;
    // npm only, not its process group: the demo is left to init, with no signal of its own
    process.kill(pgid, 'SIGTERM');
    await Promise.race([demo.exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('npm still runs 30 s after SIGTERM')), 30000))]);
    const left = await settledLeftovers(dir, pgid);
    assert.deepEqual(left, []);
    assert.deepEqual(leftovers(tmp, -1), [], 'no influxd left in its temporary folder');
  });
});
