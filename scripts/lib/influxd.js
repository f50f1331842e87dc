'use strict';
/**
 * A private InfluxDB 1.x (Debian's `influxd`) for the demo and the integration tests:
 * its own config file, meta/data/wal folders in a temp dir, every listener on a free
 * 127.0.0.1 port, reporting and the self-monitoring store disabled. stop() ends the
 * process (SIGKILL after a bounded wait) and removes the folder.
 *
 * Plain CommonJS so that scripts/demo.js runs it without a TypeScript loader;
 * test/support/influxd.ts gives it types.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const INFLUXD = fs.existsSync('/usr/bin/influxd') ? '/usr/bin/influxd' : 'influxd';

/** @returns {Promise<number>} a free TCP port on 127.0.0.1 (bound, then released). */
function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** True when an influxd binary is installed where Debian puts it (or on PATH). */
function influxdInstalled() {
  if (fs.existsSync('/usr/bin/influxd')) return true;
  return (process.env.PATH || '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, 'influxd')));
}

function configText(dir, httpPort, rpcPort) {
  // Every section that opens a port either binds 127.0.0.1 or is disabled: the
  // defaults listen on all interfaces (:8086, :8088, :8082).
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${path.join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${path.join(dir, 'data')}"
  wal-dir = "${path.join(dir, 'wal')}"
  query-log-enabled = false
  wal-fsync-delay = "0s"

[monitor]
  store-enabled = false

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false

[ifql]
  enabled = false

[logging]
  level = "warn"
  suppress-logo = true
`;
}

/**
 * Sends an InfluxQL statement to /query (POST, so CREATE/DROP are allowed).
 * @param {string} url base URL, e.g. http://127.0.0.1:8086
 * @param {string} q InfluxQL
 * @param {string} [db] database
 * @returns {Promise<any>} the parsed JSON answer; rejects on HTTP or statement errors
 */
async function influxQuery(url, q, db) {
  const params = new URLSearchParams({ q, epoch: 'ms' });
  if (db) params.set('db', db);
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: params.toString(),
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`influx /query answered ${res.status}: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new Error(`influx /query answered ${res.status}: ${body.error || text.slice(0, 200)}`);
  const failed = (body.results || []).find((r) => r.error);
  if (failed) throw new Error(`influx: ${failed.error}`);
  return body;
}

/**
 * The rows of a SELECT or SHOW as objects (`{time, field...}` or `{fieldKey, fieldType}`),
 * with the series' tags merged in (GROUP BY).
 * @returns {Array<Record<string, any>>}
 */
function influxRows(body) {
  const rows = [];
  for (const result of body.results || []) {
    for (const series of result.series || []) {
      for (const values of series.values || []) {
        const row = { ...(series.tags || {}) };
        if (series.name !== undefined) row._measurement = series.name;
        series.columns.forEach((c, i) => { row[c] = values[i]; });
        rows.push(row);
      }
    }
  }
  return rows;
}

/** Resolves when GET /ping answers 204, rejects after `timeoutMs` or when `gone()` is true. */
async function waitForPing(url, timeoutMs, gone) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone()) throw new Error('influxd exited');
    try {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 204) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`influxd did not answer ${url}/ping within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts influxd and, when `database` is given, creates it.
 * @param {{ database?: string, dir?: string, startTimeoutMs?: number, detached?: boolean, onSpawn?: (pid: number) => void }} [options]
 *   dir: folder to use (created; removed by stop()), default a new temp folder;
 *   detached: own process group (a terminal's Ctrl-C then reaches only the caller, which stops it);
 *   onSpawn: told the pid at once, so a caller interrupted while influxd starts can still end it
 * @returns {Promise<{ url: string, port: number, dir: string, pid: number, output(): string,
 *   query(q: string, db?: string): Promise<any>, halt(): Promise<void>, restart(): Promise<void>, stop(): Promise<void> }>}
 *   halt() ends the process as an outage would (SIGTERM), keeping its data; restart()
 *   starts it again on the same port and data (the outage is over); stop() ends it for good.
 */
async function startInfluxd(options = {}) {
  const dir = options.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'influxd-'));
  fs.mkdirSync(dir, { recursive: true });
  const httpPort = await freeTcpPort();
  let rpcPort = await freeTcpPort();
  while (rpcPort === httpPort) rpcPort = await freeTcpPort();
  const configFile = path.join(dir, 'influxdb.conf');
  fs.writeFileSync(configFile, configText(dir, httpPort, rpcPort));

  let log = '';
  let child;
  let exited = true;
  let spawnError;
  const launch = () => {
    child = spawn(INFLUXD, ['-config', configFile], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: Boolean(options.detached),
      env: { ...process.env, INFLUXDB_DATA_QUERY_LOG_ENABLED: 'false' },
    });
    exited = false;
    child.stdout.on('data', (d) => { log = (log + d.toString()).slice(-20000); });
    child.stderr.on('data', (d) => { log = (log + d.toString()).slice(-20000); });
    child.once('error', (err) => { spawnError = err; exited = true; });
    child.once('exit', () => { exited = true; });
    if (options.onSpawn && child.pid) options.onSpawn(child.pid);
  };
  launch();

  const url = `http://127.0.0.1:${httpPort}`;
  const halt = async () => {
    if (exited) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(killer);
  };
  let stopping;
  const stop = () => {
    if (!stopping) {
      stopping = (async () => {
        await halt();
        fs.rmSync(dir, { recursive: true, force: true });
      })();
    }
    return stopping;
  };

  try {
    await waitForPing(url, options.startTimeoutMs || 20000, () => exited);
    if (options.database) await influxQuery(url, `CREATE DATABASE "${options.database.replace(/"/g, '')}"`);
  } catch (err) {
    const tail = log.slice(-2000);
    await stop();
    if (spawnError) throw new Error(`cannot run ${INFLUXD}: ${spawnError.message} (Debian package: influxdb)`);
    throw new Error(`${err.message}\n${tail}`);
  }

  return {
    url,
    port: httpPort,
    dir,
    get pid() { return child.pid; },
    output: () => log,
    query: (q, db) => influxQuery(url, q, db),
    halt,
    async restart() {
      if (stopping) throw new Error('influxd was stopped for good');
      if (!exited) return;
      launch();
      await waitForPing(url, options.startTimeoutMs || 20000, () => exited);
    },
    stop,
  };
}

module.exports = { startInfluxd, influxQuery, influxRows, influxdInstalled, freeTcpPort, INFLUXD };
