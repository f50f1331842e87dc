'use strict';
/**
 * Private Debian `redis-server` and `mosquitto` for the scale-out demo
 * (scripts/scale-demo.js), the bench and the integration tests: each with its own
 * config file and data folder in a temp dir, listening on a free 127.0.0.1 port only.
 * Both can be stopped and started again on the same port and folder (an outage the
 * tests and the demo cause on purpose); stop() ends the process (SIGKILL after a bounded
 * wait) and remove() deletes the folder.
 *
 * Plain CommonJS so that the scripts run it without a TypeScript loader;
 * test/support/servers.ts gives it types.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { freeTcpPort } = require('./influxd');

/** Where Debian installs a binary (mosquitto lives in /usr/sbin), else the bare name for PATH. */
function binary(name) {
  for (const dir of ['/usr/bin', '/usr/sbin']) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  return name;
}

const REDIS_SERVER = binary('redis-server');
const MOSQUITTO = binary('mosquitto');

/** Resolves once a TCP connect to 127.0.0.1:port succeeds; rejects past the deadline or when `gone()`. */
async function waitForPort(port, timeoutMs, gone, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone()) throw new Error(`${what} exited`);
    const ok = await new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.setTimeout(1000);
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => { socket.destroy(); resolve(false); });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A server process that can be stopped and started again with the same arguments.
 * @param {{ what: string, bin: string, args: string[], dir: string, port: number, pkg: string,
 *   detached?: boolean, onSpawn?: (pid: number) => void, startTimeoutMs?: number }} o
 */
function restartable(o) {
  let child;
  let exited = true;
  let log = '';
  let stopping;

  async function start() {
    if (!exited) return;
    stopping = undefined;
    let spawnError;
    child = spawn(o.bin, o.args, { cwd: o.dir, stdio: ['ignore', 'pipe', 'pipe'], detached: Boolean(o.detached) });
    exited = false;
    const mine = child;
    mine.stdout.on('data', (d) => { log = (log + d.toString()).slice(-20000); });
    mine.stderr.on('data', (d) => { log = (log + d.toString()).slice(-20000); });
    mine.once('error', (err) => { spawnError = err; if (child === mine) exited = true; });
    mine.once('exit', () => { if (child === mine) exited = true; });
    if (o.onSpawn && mine.pid) o.onSpawn(mine.pid);
    try {
      await waitForPort(o.port, o.startTimeoutMs || 20000, () => exited, o.what);
    } catch (err) {
      const tail = log.slice(-2000);
      await stop();
      if (spawnError) throw new Error(`cannot run ${o.bin}: ${spawnError.message} (Debian package: ${o.pkg})`);
      throw new Error(`${err.message}\n${tail}`);
    }
  }

  /** Ends the process (SIGTERM: redis-server saves, mosquitto closes its clients); SIGKILL after 5 s. */
  function stop(signal = 'SIGTERM') {
    if (!stopping) {
      stopping = (async () => {
        if (!exited && child) {
          const gone = new Promise((resolve) => child.once('exit', resolve));
          child.kill(signal);
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await gone;
          clearTimeout(killer);
        }
      })();
    }
    return stopping;
  }

  return {
    start,
    stop,
    get pid() { return child && !exited ? child.pid : undefined; },
    get running() { return !exited; },
    output: () => log,
  };
}

/**
 * Starts a private redis-server: append-only file on (so a restart keeps what was
 * written, as a production Redis for state should), no RDB snapshots, protected mode on
 * loopback only.
 * @param {{ dir?: string, password?: string, detached?: boolean, onSpawn?: (pid: number) => void }} [options]
 *   password: clients must AUTH with it (`redis://:<password>@host:port`)
 */
async function startRedis(options = {}) {
  const dir = options.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'redis-'));
  fs.mkdirSync(dir, { recursive: true });
  const port = await freeTcpPort();
  const configFile = path.join(dir, 'redis.conf');
  fs.writeFileSync(configFile, [
    `port ${port}`,
    'bind 127.0.0.1',
    'protected-mode yes',
    `dir ${dir}`,
    'daemonize no',
    'save ""',
    'appendonly yes',
    'appendfsync everysec',
    'loglevel warning',
    'logfile ""',
    'databases 1',
    ...(options.password ? [`requirepass ${options.password}`] : []),
    '',
  ].join('\n'));
  const server = restartable({ what: 'redis-server', bin: REDIS_SERVER, args: [configFile], dir, port, pkg: 'redis-server', ...options });
  await server.start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() { return server.pid; },
    output: server.output,
    /** Starts it again after stop(), same port and data. */
    start: server.start,
    stop: server.stop,
    /** Stops it and deletes its folder; idempotent. */
    async remove() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a private mosquitto (MQTT 3.1.1 and 5) on a free loopback port, anonymous
 * clients allowed (it listens on 127.0.0.1 only), no persistence: clean-session workers
 * and an aggregator need none, and a restart then loses what was queued, as the tests
 * want to see.
 * @param {{ dir?: string, detached?: boolean, onSpawn?: (pid: number) => void }} [options]
 */
async function startMosquitto(options = {}) {
  const dir = options.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'mosquitto-'));
  fs.mkdirSync(dir, { recursive: true });
  const port = await freeTcpPort();
  const configFile = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(configFile, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    // a 10 MB job must be refused by the worker, not by the broker's 256 MB default; room enough
    'max_packet_size 16777216',
    '',
  ].join('\n'));
  const server = restartable({ what: 'mosquitto', bin: MOSQUITTO, args: ['-c', configFile], dir, port, pkg: 'mosquitto', ...options });
  await server.start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    dir,
    get pid() { return server.pid; },
    output: server.output,
    start: server.start,
    stop: server.stop,
    async remove() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU time (user + system, ms) a process used so far, from /proc; undefined when it is gone. */
function cpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 Hz on Linux)
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

module.exports = { startRedis, startMosquitto, cpuMs, REDIS_SERVER, MOSQUITTO };
