/**
 * `npm start`, as a user runs it: a process group of its own (as a terminal job), the
 * demo directory in a temp folder, Node-RED on a free port, InfluxDB pointed at the
 * test's own influxd through INFLUX_URL. It must answer on its editor URL, its flows must
 * write points within two poll cycles, and Ctrl-C (SIGINT to the group) must end it
 * cleanly with no process left behind.
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
  let demo: ChildProcess;
  let out = '';
  let dir = '';
  let port = 0;
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** When the demo said the examples were deployed. */
  let deployedAt = 0;

  before(async function () {
    influx = await startInfluxd({});
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snmp-fleet-demo-test-'));
    port = await freeTcpPort();
    const env: Record<string, string | undefined> = {
      ...process.env,
      PORT: String(port),
      SNMP_FLEET_DEMO_DIR: dir,
      SNMP_FLEET_DEMO_POLL: String(POLL_S),
      SNMP_FLEET_DEMO_DEVICES: String(DEVICES),
      TRAP_PORT: String(await freeUdpPort()),
      INFLUX_URL: `${influx.url}/demo_test`,
    };
    delete env.SLACK_WEBHOOK_URL;
    delete env.PAGERDUTY_ROUTING_KEY;
    delete env.INFLUX_DB;
    // detached: its own process group, as a job started from a shell
    demo = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    demo.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!deployedAt && out.includes('[demo] the four examples are deployed')) deployedAt = Date.now();
    });
    demo.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    exit = new Promise((resolve) => demo.once('exit', (code, signal) => resolve({ code, signal })));
  });

  after(async function () {
    if (demo && demo.exitCode === null && demo.signalCode === null) {
      try { process.kill(-demo.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
    await influx?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('builds, starts and prints its choices and URLs', async function () {
    const deadline = Date.now() + 180000;
    while (!out.includes('[demo] dashboard:')) {
      if (demo.exitCode !== null || Date.now() > deadline) assert.fail(`the demo did not come up:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(out, new RegExp(`InfluxDB: ${influx.url.replace(/[.]/g, '\\.')}, database demo_test \\(INFLUX_URL\\)`));
    assert.match(out, /SLACK_WEBHOOK_URL not set; Slack alerts go to .*snmp-fleet-alerts\.log and the debug sidebar/);
    assert.match(out, /PAGERDUTY_ROUTING_KEY not set/);
    assert.match(out, new RegExp(`editor: +http://127\\.0\\.0\\.1:${port}/`));
    assert.match(out, new RegExp(`dashboard: http://127\\.0\\.0\\.1:${port}/dashboard/snmp-fleet`));
  });

  it('answers on its editor URL, bound to 127.0.0.1, with the examples deployed', async function () {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Node-RED/);
    const flows = await (await fetch(`http://127.0.0.1:${port}/flows`)).json() as Array<{ type: string; label?: string }>;
    assert.deepEqual(flows.filter((n) => n.type === 'tab').map((n) => n.label), [
      'SNMP fleet poller', 'SNMP trap receiver', 'SNMP inventory from CSV or HTTP', 'SNMP fleet dashboard', 'SNMP fleet for Prometheus',
    ]);
    // example 05 serves the fleet for Prometheus on the same port
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^snmp_fleet_metrics_series\{/m);
    const settings = fs.readFileSync(path.join(dir, 'settings.js'), 'utf8');
    assert.match(settings, /uiHost: '127\.0\.0\.1'/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/dashboard/snmp-fleet`)).status, 200);
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

  it('stops everything on Ctrl-C (SIGINT to its process group) and leaves no process', async function () {
    const pgid = demo.pid!;
    process.kill(-pgid, 'SIGINT');
    const result = await Promise.race([exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running 30 s after SIGINT:\n${out.slice(-2000)}`)), 30000))]);
    // npm, like any program a terminal's Ctrl-C reaches, ends by SIGINT once its script has ended
    assert.ok(result.code === 0 || result.signal === 'SIGINT', `npm start exited with ${result.code ?? result.signal}:\n${out.slice(-2000)}`);
    assert.match(out, /\[demo\] SIGINT: stopping[\s\S]*\[demo\] stopped/);
    assert.doesNotMatch(out, /npm (ERR!|error)/);
    // give the kernel a moment to reap what just exited
    let left: string[] = [];
    for (let i = 0; i < 20; i++) {
      left = leftovers(dir, pgid);
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(left, []);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }), 'the editor port is closed');
  });
});
