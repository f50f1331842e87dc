#!/usr/bin/env node
'use strict';
/**
 * `npm start`: the shipped examples running against a simulated fleet, on this machine only.
 *
 * - first, that no other demo (or what is left of one) holds the editor or trap port or
 *   the demo directory: if one does, one line says so and nothing starts;
 * - the build (scripts/build.js);
 * - a fleet of simulated SNMP agents, each on its own loopback address (127.0.0.2, ...),
 *   so its traps are named like its polls (normal traffic, one link that saturates and
 *   recovers, one device that goes dark and comes back, one that reboots, one that sends
 *   link traps to the trap receiver);
 * - InfluxDB: INFLUX_URL when set; else a private influxd on a temp dir when Debian's
 *   influxd is installed; else a stand-in that appends the line protocol to a bounded
 *   file (scripts/lib/line-protocol-file.js);
 * - MariaDB for example 06: a private mariadbd on a temp dir with the example's table,
 *   its rows pointing at six simulated devices, when Debian's mariadb-server is installed;
 * - Slack / PagerDuty: the real endpoints when SLACK_WEBHOOK_URL / PAGERDUTY_ROUTING_KEY
 *   are set, else alerts go to <demo dir>/snmp-fleet-alerts.log and the debug sidebar;
 * - Node-RED (userDir .demo/ or SNMP_FLEET_DEMO_DIR, bound to 127.0.0.1, port PORT or 1880)
 *   with this pack, node-red-contrib-influxdb, @flowfuse/node-red-dashboard and
 *   node-red-node-mysql, and the examples deployed against the fleet, as
 *   scripts/lib/demo-flows.js adapts them.
 *
 * Ctrl-C (SIGINT), SIGTERM, closing the terminal (SIGHUP) or npm exiting stops everything it
 * started.
 *
 * Settings (environment): PORT, SNMP_FLEET_DEMO_DIR, SNMP_FLEET_DEMO_POLL (seconds between
 * polls, default 10; the examples say 60 and their alert durations are scaled alike),
 * SNMP_FLEET_DEMO_DEVICES (default 50), TRAP_PORT (default 10162), INFLUX_URL
 * (http://host:port[/database]), INFLUX_DB, INFLUX_USERNAME, INFLUX_PASSWORD,
 * SLACK_WEBHOOK_URL, PAGERDUTY_ROUTING_KEY, SNMP_FLEET_DEMO_LP_MAX_MB (size at which the
 * line-protocol file is rotated, default 100).
 */
const { spawn, spawnSync } = require('child_process');
const dgram = require('dgram');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { startInfluxd, influxQuery, influxdInstalled } = require('./lib/influxd');
const { loadExamples, prepareExamples } = require('./lib/examples');
const { startMariadb, mariadbInstalled, sqlString } = require('./lib/mariadb');
const { demoFlows } = require('./lib/demo-flows');
const { startLineProtocolFile } = require('./lib/line-protocol-file');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const userDir = path.resolve(process.env.SNMP_FLEET_DEMO_DIR || path.join(root, '.demo'));
const port = intSetting('PORT', 1880, 1, 65535);
const pollSeconds = intSetting('SNMP_FLEET_DEMO_POLL', 10, 1, 3600);
const deviceCount = intSetting('SNMP_FLEET_DEMO_DEVICES', 50, 14, 5000);
const trapPort = intSetting('TRAP_PORT', 10162, 1, 65535);
const lineProtocolMaxMb = intSetting('SNMP_FLEET_DEMO_LP_MAX_MB', 100, 1, 1000000);
const pidFile = path.join(userDir, 'demo.pid');
const DATABASE_DEFAULT = 'snmp_fleet';
/** The devices the scenario acts on (their names are sim-0003 and so on). */
const SATURATING = { device: 3, ifIndex: 5 };
const DARK = 7;
const REBOOTING = 11;
const TRAPPING = { device: 13, ifIndex: 2 };

function intSetting(name, fallback, min, max) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`snmp-fleet demo: ${name} must be a whole number from ${min} to ${max}, got "${text}"`);
    process.exit(2);
  }
  return n;
}

function say(text) {
  process.stdout.write(`[demo] ${text}\n`);
}

// After the terminal has gone (SIGHUP) a write to it fails with EIO; the demo must still
// get to the end of its shutdown, so such failures are not errors.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

// ------------------------------------------------------------------ before anything starts

/** Resolves with the error code when `port` cannot be bound on 127.0.0.1, else null. */
function portTaken(kind, port) {
  return new Promise((resolve) => {
    if (kind === 'tcp') {
      const server = net.createServer();
      server.once('error', (err) => resolve(err.code || 'error'));
      server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(null)));
    } else {
      const socket = dgram.createSocket('udp4');
      socket.once('error', (err) => { socket.close(); resolve(err.code || 'error'); });
      socket.bind({ port, address: '127.0.0.1', exclusive: true }, () => socket.close(() => resolve(null)));
    }
  });
}

/** The pid of a demo that still runs with this userDir, if any. */
function runningDemo() {
  let pid;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('demo.js') ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A second `npm start` must not deploy into the first one's Node-RED nor share its
 * userDir: one line naming what is held, and nothing started.
 */
async function refuseIfHeld() {
  const other = runningDemo();
  const held = other !== undefined
    ? `a demo (pid ${other}) is already running in ${userDir}; stop it first (Ctrl-C in its terminal, or kill ${other})`
    : await portTaken('tcp', port) !== null
      ? `port ${port} on 127.0.0.1 is in use (another npm start, or what is left of one?); stop it, or choose another with PORT=`
      : await portTaken('udp', trapPort) !== null
        ? `UDP port ${trapPort} on 127.0.0.1 is in use (another npm start, or what is left of one?); stop it, or choose another with TRAP_PORT=`
        : undefined;
  if (held) {
    console.error(`snmp-fleet demo: ${held}`);
    process.exit(1);
  }
}

function build() {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('snmp-fleet demo: the build failed (above); nothing was started');
    process.exit(1);
  }
}

// ------------------------------------------------------------------ the user directory

/** Installs a package of this repository's node_modules into userDir/node_modules as a symlink. */
function linkModule(name, target) {
  const link = path.join(userDir, 'node_modules', ...name.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(target, link, 'dir');
}

function installModules() {
  const thirdParty = ['node-red-contrib-influxdb', '@flowfuse/node-red-dashboard', 'node-red-node-mysql'];
  for (const name of thirdParty) {
    const dir = path.join(root, 'node_modules', ...name.split('/'));
    if (!fs.existsSync(path.join(dir, 'package.json'))) {
      console.error(`snmp-fleet demo: ${name} is missing; run npm install first (it is a devDependency)`);
      process.exit(1);
    }
    linkModule(name, dir);
  }
  linkModule(pkg.name, root);
  const dependencies = { [pkg.name]: `file:${root}` };
  for (const name of thirdParty) dependencies[name] = pkg.devDependencies[name];
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'snmp-fleet-demo', private: true, dependencies }, null, 2));
}

function writeSettings() {
  const file = path.join(userDir, 'settings.js');
  fs.writeFileSync(file, `// Written by scripts/demo.js at every start.
module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${port},
  flowFile: 'flows.json',
  credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET || 'snmp-fleet-demo-only',
  // the examples' relative files (snmp-fleet-alerts.log, inventory.csv) live here
  fileWorkingDirectory: ${JSON.stringify(userDir)},
  logging: { console: { level: 'info', metrics: false, audit: false } },
  editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
  diagnostics: { enabled: false },
  telemetry: { enabled: false },
  externalModules: { palette: { allowInstall: false }, modules: { allowInstall: false } },
};
`);
  return file;
}

// ------------------------------------------------------------------ InfluxDB

/** The InfluxDB the flows write to, and how it is stopped. */
async function chooseInflux() {
  const database = process.env.INFLUX_DB || DATABASE_DEFAULT;
  if (process.env.INFLUX_URL) {
    let url;
    try {
      url = new URL(process.env.INFLUX_URL);
    } catch {
      throw new Error(`INFLUX_URL is not a URL: ${process.env.INFLUX_URL}`);
    }
    const db = process.env.INFLUX_DB || url.pathname.replace(/^\/+|\/+$/g, '') || DATABASE_DEFAULT;
    const base = `${url.protocol}//${url.host}`;
    try {
      await influxQuery(base, `CREATE DATABASE "${db.replace(/"/g, '')}"`);
    } catch (err) {
      say(`could not create database ${db} at ${base} (${err.message}); writing to it anyway`);
    }
    const influx = {
      hostname: url.hostname,
      port: Number(url.port) || (url.protocol === 'https:' ? 443 : 8086),
      database: db,
      usetls: url.protocol === 'https:',
      username: process.env.INFLUX_USERNAME,
      password: process.env.INFLUX_PASSWORD,
    };
    return { influx, text: `InfluxDB: ${base}, database ${db} (INFLUX_URL)`, stop: async () => {} };
  }
  if (influxdInstalled()) {
    // own process group: the terminal's Ctrl-C reaches only this script, which stops it in order
    const db = await startInfluxd({ database, detached: true, onSpawn: (pid) => children.add({ name: 'influxd', pid }) });
    return {
      influx: { hostname: '127.0.0.1', port: db.port, database },
      text: `InfluxDB: a private influxd at ${db.url}, database ${database} (data in ${db.dir}, removed on exit; set INFLUX_URL to use yours)`,
      stop: async () => {
        await db.stop();
        forgetChild(db.pid);
      },
    };
  }
  const file = path.join(userDir, 'influx-points.lp');
  const sink = await startLineProtocolFile(file, {
    database,
    maxBytes: lineProtocolMaxMb * 1024 * 1024,
    onRotate: (rotated) => say(`${file} reached ${lineProtocolMaxMb} MB: moved to ${rotated}, the previous one is gone`),
  });
  return {
    influx: { hostname: sink.hostname, port: sink.port, database },
    text: `InfluxDB: none found (no INFLUX_URL, no influxd); points are appended as line protocol (ms timestamps) to ${file}, moved to ${file}.1 at ${lineProtocolMaxMb} MB`,
    stop: sink.stop,
  };
}

// ------------------------------------------------------------------ MariaDB

/**
 * Example 06's database: a private mariadbd with the table of `examples/06 inventory.sql`,
 * its rows pointing at the last simulated devices, when Debian's mariadb-server is
 * installed; otherwise the example's mysql node shows "not connected".
 */
async function chooseMariadb(fleet) {
  if (!mariadbInstalled()) {
    return { text: 'MariaDB: not installed (Debian mariadb-server); example 06 has no inventory database', env: {}, stop: async () => {} };
  }
  const password = require('crypto').randomBytes(12).toString('hex');
  const db = await startMariadb({
    database: DATABASE_DEFAULT, user: 'nodered', password, detached: true,
    onSpawn: (pid) => children.add({ name: 'mariadbd', pid }),
    // a try that met its port taken has exited: its pid may be another process's later
    onGone: forgetChild,
  });
  const stop = async () => {
    await db.stop();
    forgetChild(db.pid);
  };
  try {
    await db.sql(fs.readFileSync(path.join(root, 'examples', '06 inventory.sql'), 'utf8'), db.database);
    // the sample rows name ports 16100-16105: the same roles on the last simulated devices
    const devices = fleet.devices.slice(-6);
    const rows = devices.map((d, i) => {
      const core = i < 2;
      const interval = core ? String(pollSeconds < 5 ? 5 : pollSeconds) : 'NULL';
      const labels = JSON.stringify({ site: d.labels.site || 'lab', role: core ? 'core' : 'access' });
      return `(${sqlString(d.host)}, ${d.port}, ${sqlString(`db-${d.name}`)}, NULL, ${interval}, ${sqlString(labels)}, TRUE)`;
    });
    await db.sql(`DELETE FROM snmp_inventory; INSERT INTO snmp_inventory (host, port, name, profile, poll_interval, labels, enabled) VALUES ${rows.join(', ')};`, db.database);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    mysql: { host: db.host, port: db.port, database: db.database },
    env: { MYSQL_USER: db.user, MYSQL_PASSWORD: password },
    text: `MariaDB: a private mariadbd at ${db.host}:${db.port}, database ${db.database}, table snmp_inventory with 6 simulated devices (example 06; edit the rows with: mariadb --socket=${db.socket} -u root ${db.database}; data in ${db.dir}, removed on exit)`,
    stop,
  };
}

// ------------------------------------------------------------------ Node-RED

/**
 * Resolves once *our* Node-RED serves its editor: its own log said it listens (so an
 * editor that answers is not someone else's on the same port) and /settings answers.
 */
async function waitForEditor(url, red, listening, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (red.exitCode !== null || red.signalCode !== null) throw new Error('Node-RED exited while starting (its log is above)');
    if (listening()) {
      try {
        const res = await fetch(`${url}/settings`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        // not answering yet
      }
    }
    if (Date.now() > deadline) throw new Error(`Node-RED did not answer on ${url} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function deploy(url, flows) {
  const res = await fetch(`${url}/flows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
    body: JSON.stringify({ flows }),
    signal: AbortSignal.timeout(30000),
  });
  if (!res.ok) throw new Error(`deploying the examples failed: ${res.status} ${await res.text()}`);
}

// ------------------------------------------------------------------ the scenario

/** Events on a loop of 36 polls (6 minutes at the default 10 s), printed as they happen. */
function startScenario(fleet) {
  const timers = new Set();
  const name = (i) => fleet.devices[i].name;
  const trapTarget = { host: '127.0.0.1', port: trapPort };
  const at = (polls, fn) => {
    const t = setTimeout(() => { timers.delete(t); fn(); }, polls * pollSeconds * 1000);
    timers.add(t);
  };
  const trap = (i, kind, ifIndex) => {
    fleet.sendTrap(i, trapTarget, kind, { ifIndex }).catch((err) => say(`trap ${kind} from ${name(i)} failed: ${err.message}`));
  };
  const loop = () => {
    at(3, () => {
      fleet.device(SATURATING.device).saturate(SATURATING.ifIndex, 12 * pollSeconds * 1000);
      say(`${name(SATURATING.device)} Gi0/${SATURATING.ifIndex} saturates for ${12 * pollSeconds} s (HighUtilization fires after 5 polls)`);
    });
    at(6, () => {
      fleet.device(DARK).setSilent(true);
      say(`${name(DARK)} goes dark for ${9 * pollSeconds} s (DeviceUnreachable)`);
    });
    at(15, () => {
      fleet.device(DARK).setSilent(false);
      say(`${name(DARK)} answers again`);
    });
    for (const start of [4, 22]) {
      at(start, () => {
        fleet.device(TRAPPING.device).linkDown(TRAPPING.ifIndex);
        trap(TRAPPING.device, 'linkDown', TRAPPING.ifIndex);
        say(`${name(TRAPPING.device)} Gi0/${TRAPPING.ifIndex} goes down (linkDown trap to port ${trapPort})`);
      });
      at(start + 4, () => {
        fleet.device(TRAPPING.device).linkUp(TRAPPING.ifIndex);
        trap(TRAPPING.device, 'linkUp', TRAPPING.ifIndex);
        say(`${name(TRAPPING.device)} Gi0/${TRAPPING.ifIndex} comes back (linkUp trap)`);
      });
    }
    at(20, () => {
      fleet.device(REBOOTING).reboot();
      trap(REBOOTING, 'coldStart');
      say(`${name(REBOOTING)} reboots (counters restart; coldStart trap)`);
    });
    at(36, loop);
  };
  loop();
  return () => { for (const t of timers) clearTimeout(t); timers.clear(); };
}

function inventoryCsv(fleet) {
  const rows = fleet.devices.slice(0, 10).map((d) => [d.host, d.port, d.name, d.labels.site, d.labels.role].join(','));
  return ['host,port,name,site,role', ...rows, ''].join('\n');
}

// ------------------------------------------------------------------ main

/** Processes this script started, for the last-resort kill on exit. */
const children = new Set();
let shutdown = null;

/** Drops the child with this pid from `children` (it stopped, or gave up on a taken port). */
function forgetChild(pid) {
  children.delete([...children].find((c) => c.pid === pid));
}

async function main() {
  // Signals that arrive before the shutdown below exists: nothing was started yet.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (shutdown) void shutdown(signal);
      else process.exit(1);
    });
  }
  // Under npm, npm stopped alone (`timeout 60 npm start`, `kill <npm's pid>`) leaves this
  // process to init with no signal: stop as if signalled rather than keep Node-RED and the
  // servers running. Read before the build, which npm may not outlive. Not when started
  // directly (`nohup node scripts/demo.js &`), where a parent that goes is no reason to stop.
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid === parent) return;
      if (shutdown) void shutdown('npm exited');
      else process.exit(1);
    }, 1000).unref();
  }
  await refuseIfHeld();
  build();
  let fleetModule;
  try {
    fleetModule = require(path.join(root, 'nodes', 'sim', 'fleet.js'));
  } catch {
    console.error('snmp-fleet demo: nodes/sim/fleet.js is missing after the build');
    process.exit(1);
  }
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(pidFile, `${process.pid}\n`);
  installModules();
  const settingsFile = writeSettings();
  // Node-RED starts with no flows: the examples are deployed once the fleet, InfluxDB and
  // MariaDB are up. The flows of an earlier start name that start's ports, and started
  // first they logged connection errors until the deploy replaced them.
  fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');

  const stops = [];
  let stopScenario = () => {};
  let red;
  shutdown = async (reason, code = 0) => {
    if (shutdown.running) {
      // a second Ctrl-C: stop waiting (the exit handler still kills what is left)
      if (reason === 'SIGINT') process.exit(130);
      return shutdown.running;
    }
    shutdown.running = (async () => {
      say(`${reason}: stopping`);
      stopScenario();
      if (red && red.exitCode === null && red.signalCode === null) {
        const exited = new Promise((resolve) => red.once('exit', resolve));
        red.kill('SIGINT');
        const killer = setTimeout(() => red.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(killer);
      }
      for (const stop of stops.reverse()) {
        try { await stop(); } catch (err) { say(`while stopping: ${err.message}`); }
      }
      try {
        if (fs.readFileSync(pidFile, 'utf8').trim() === String(process.pid)) fs.rmSync(pidFile, { force: true });
      } catch {
        // already gone
      }
      say('stopped');
      process.exit(code);
    })();
    return shutdown.running;
  };

  const fleet = await fleetModule.startFleet({
    count: deviceCount,
    host: 'per-device',
    labels: { site: ['paris', 'lyon', 'london'], role: ['access', 'access', 'access', 'core'] },
    seed: 1,
  });
  stops.push(() => fleet.close());
  const last = fleet.devices[fleet.devices.length - 1];
  say(`simulator: ${deviceCount} devices with 48 interfaces, each on its own address ${fleet.devices[0].host} … ${last.host}, community public`);

  const influx = await chooseInflux();
  stops.push(influx.stop);
  say(influx.text);

  const mariadb = await chooseMariadb(fleet);
  stops.push(mariadb.stop);
  say(mariadb.text);

  fs.writeFileSync(path.join(userDir, 'inventory.csv'), inventoryCsv(fleet));
  const alertLog = path.join(userDir, 'snmp-fleet-alerts.log');
  say(process.env.SLACK_WEBHOOK_URL ? 'Slack: alerts go to SLACK_WEBHOOK_URL' : `Slack: SLACK_WEBHOOK_URL not set; Slack alerts go to ${alertLog} and the debug sidebar`);
  say(process.env.PAGERDUTY_ROUTING_KEY ? 'PagerDuty: events go to the Events API v2 with PAGERDUTY_ROUTING_KEY' : `PagerDuty: PAGERDUTY_ROUTING_KEY not set; PagerDuty events go to ${alertLog} and the debug sidebar`);

  const inventory = fleet.inventoryText();
  const flows = demoFlows(prepareExamples(loadExamples().flatMap((e) => e.flow), {
    inventory,
    pollSeconds,
    timeScale: pollSeconds / 60,
    influx: influx.influx,
    trapPort,
    trapAddress: '127.0.0.1',
    inventoryFile: 'inventory.csv',
    mysql: mariadb.mysql,
    // rows without an interval of their own: three demo cycles instead of five minutes
    intervalSeconds: Math.max(5, 3 * pollSeconds),
  }), { pollSeconds, inventory, pagerDutyKey: Boolean(process.env.PAGERDUTY_ROUTING_KEY) });

  red = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', settingsFile], {
    cwd: userDir,
    // piped, not inherited: the demo reads that Node-RED listens, and a terminal that
    // goes away (SIGHUP) fails only the demo's own writes, which it ignores
    stdio: ['ignore', 'pipe', 'pipe'],
    // own process group: Ctrl-C reaches this script once, and it stops Node-RED in order
    detached: true,
    env: { ...process.env, NODE_RED_ENABLE_TOURS: 'false', ...mariadb.env },
  });
  children.add({ name: 'node-red', pid: red.pid });
  let redLog = '';
  const forward = (to) => (chunk) => {
    if (redLog.length < 100000) redLog += chunk.toString();
    to.write(chunk);
  };
  red.stdout.on('data', forward(process.stdout));
  red.stderr.on('data', forward(process.stderr));
  red.once('exit', (code, signal) => {
    forgetChild(red.pid);
    if (!shutdown.running) void shutdown(`Node-RED exited (${signal || code})`, code || 1);
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForEditor(url, red, () => redLog.includes(`Server now running at ${url}`), 60000);
  await deploy(url, flows);
  stopScenario = startScenario(fleet);

  say(`the examples are deployed, polling every ${pollSeconds} s (the examples say 60 s; their alert durations are scaled by ${pollSeconds}/60)`);
  say(`scenario: ${fleet.devices[SATURATING.device].name} saturates a link, ${fleet.devices[DARK].name} goes dark, ${fleet.devices[REBOOTING].name} reboots, ${fleet.devices[TRAPPING.device].name} sends traps to port ${trapPort}`);
  say(`editor:    ${url}/`);
  say(`dashboard: ${url}/dashboard/snmp-fleet`);
  say(`userDir ${userDir}; Ctrl-C stops everything`);
}

process.on('exit', () => {
  // last resort when something above threw: no child may outlive the demo
  for (const c of children) {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

main().catch((err) => {
  console.error(`snmp-fleet demo: ${err.message}`);
  if (shutdown) void shutdown('error', 1);
  else process.exit(1);
});
