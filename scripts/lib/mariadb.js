'use strict';
/**
 * A private MariaDB (Debian's `mariadb-server`) for the integration tests and the demo:
 * a data folder made by mariadb-install-db in a temp dir, `mariadbd` listening on a free
 * 127.0.0.1 port and on a socket in that folder, no option file read (--no-defaults, so
 * the machine's /etc/mysql never applies), never the system service. The root account
 * (no password, reachable only over the private socket) creates a database and a user
 * with a password, as a real deployment would give Node-RED. stop() ends the process
 * (SIGKILL after a bounded wait) and removes the folder.
 *
 * Plain CommonJS so that scripts run it without a TypeScript loader;
 * test/support/mariadb.ts gives it types.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { freeTcpPort } = require('./influxd');

const MARIADBD = fs.existsSync('/usr/sbin/mariadbd') ? '/usr/sbin/mariadbd' : 'mariadbd';
const INSTALL_DB = fs.existsSync('/usr/bin/mariadb-install-db') ? '/usr/bin/mariadb-install-db' : 'mariadb-install-db';
const CLIENT = fs.existsSync('/usr/bin/mariadb') ? '/usr/bin/mariadb' : 'mariadb';
const INSTALL_HINT = 'Debian package: mariadb-server (and mariadb-client)';

/** True when the server and its install tool are where Debian puts them (or on PATH). */
function mariadbInstalled() {
  const onPath = (name) => (process.env.PATH || '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, name)));
  return (fs.existsSync('/usr/sbin/mariadbd') || onPath('mariadbd')) && (fs.existsSync('/usr/bin/mariadb-install-db') || onPath('mariadb-install-db'));
}

/** mariadbd refuses to run as root unless told the user: a container's root is the usual case. */
function userArgs() {
  return typeof process.getuid === 'function' && process.getuid() === 0 ? ['--user=root'] : [];
}

/**
 * Runs a program to its end; resolves with its stdout, rejects with its stderr.
 * @param {string} file
 * @param {string[]} args
 * @param {{ input?: string, timeoutMs?: number }} [o]
 */
function run(file, args, o = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs || 60000);
    child.stdout.on('data', (d) => { out += d.toString(); });
    child.stderr.on('data', (d) => { err += d.toString(); });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${file}: ${e.message} (${INSTALL_HINT})`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(file)} ${signal ? `was killed (${signal})` : `exited with ${code}`}: ${err.trim().slice(-2000)}`));
    });
    child.stdin.end(o.input || '');
  });
}

/** A SQL string literal (the server's default sql_mode: backslash escapes apply). */
function sqlString(text) {
  return `'${String(text).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Starts mariadbd on a fresh data folder and creates `database` and `user`/`password`
 * with every privilege on that database (from 127.0.0.1 and localhost).
 * `firstPort` (tests) is tried first instead of a free port. When the port chosen was taken
 * before mariadbd bound it, another is chosen: `onGone(pid)` is told of the process that gave up.
 * @param {{ database?: string, user?: string, password?: string, startTimeoutMs?: number, detached?: boolean, onSpawn?: (pid: number) => void, onGone?: (pid: number) => void, firstPort?: number }} [options]
 * @returns {Promise<{ host: string, port: number, socket: string, dir: string, pid: number, database: string, user: string, password: string,
 *   output(): string, sql(text: string, database?: string): Promise<string>, stop(): Promise<void> }>}
 */
async function startMariadb(options = {}) {
  const database = options.database || 'snmp_fleet';
  const user = options.user || 'nodered';
  const password = options.password || 'nodered-test-password';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mariadb-'));
  const data = path.join(dir, 'data');
  const socket = path.join(dir, 'mariadbd.sock');
  const errorLog = path.join(dir, 'error.log');
  // Temporary tables in the private folder, not /tmp: every mariadbd deletes the `#sql*`
  // files it finds in its tmpdir when it starts, so another test's server starting beside
  // this one's bootstrap removed the temporary table the bootstrap was using (a CI run:
  // "Could not remove temporary table ... Unknown table 'mysql.tmp_user_sys'").
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    await run(INSTALL_DB, ['--no-defaults', `--datadir=${data}`, `--tmpdir=${tmp}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve', ...userArgs()], { timeoutMs: 120000 });
  } catch (err) {
    cleanup();
    throw err;
  }

  let port = 0;
  let child;
  let log = '';
  let exited = false;
  let spawnError;
  /** What the tries before this one said (the port they met taken). */
  let earlier = '';
  /** This try's output and error log. */
  const current = () => {
    let file = '';
    try { file = fs.readFileSync(errorLog, 'utf8'); } catch { /* not written yet */ }
    return `${log}${file}`;
  };
  const output = () => `${earlier}${current()}`.slice(-20000);
  // The port is chosen just before the server binds it, and chosen again when another
  // process took it in between (a free port is only free until someone binds it: any
  // outgoing connection on the machine may draw it from the same ephemeral range).
  let firstPort = options.firstPort;
  const launch = async () => {
    port = firstPort || (await freeTcpPort());
    firstPort = undefined;
    log = '';
    exited = false;
    spawnError = undefined;
    try { fs.rmSync(errorLog, { force: true }); } catch { /* none yet */ }
    // small buffers: a test database of a few rows; the defaults reserve hundreds of MB
    const serverArgs = [
      `--datadir=${data}`, `--tmpdir=${tmp}`, `--socket=${socket}`, `--pid-file=${path.join(dir, 'mariadbd.pid')}`,
      `--port=${port}`, '--bind-address=127.0.0.1', '--skip-name-resolve', `--log-error=${errorLog}`,
      '--innodb-buffer-pool-size=16M', '--innodb-log-file-size=8M', '--skip-log-bin', '--max-connections=100',
      ...userArgs(),
    ];
    const c = spawn(MARIADBD, ['--no-defaults', ...serverArgs], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: Boolean(options.detached) });
    child = c;
    c.stdout.on('data', (d) => { log = (log + d.toString()).slice(-20000); });
    c.stderr.on('data', (d) => { log = (log + d.toString()).slice(-20000); });
    c.once('error', (err) => { if (child === c) { spawnError = err; exited = true; } });
    c.once('exit', () => { if (child === c) exited = true; });
    if (options.onSpawn && c.pid) options.onSpawn(c.pid);
  };

  let stopping;
  const stop = () => {
    if (!stopping) {
      stopping = (async () => {
        if (child && !exited) {
          const gone = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 15000);
          await gone;
          clearTimeout(killer);
        }
        cleanup();
      })();
    }
    return stopping;
  };

  /** Runs SQL as root over the private socket; the answer as tab-separated rows without headers. */
  const sql = (text, db) => run(CLIENT, ['--no-defaults', `--socket=${socket}`, '-u', 'root', '-N', '-B', ...(db ? [db] : [])], { input: text });

  try {
    const deadline = Date.now() + (options.startTimeoutMs || 60000);
    let attempts = 0;
    await launch();
    for (;;) {
      if (exited) {
        // this try's own output: an earlier try's clash must not pass for this one's
        if (!spawnError && attempts < 3 && /Address already in use/.test(current())) {
          attempts++;
          earlier = `${output()}\n[port ${port} was taken: trying another]\n`.slice(-10000);
          if (options.onGone && child.pid) options.onGone(child.pid);
          await launch();
          continue;
        }
        throw new Error(spawnError ? `cannot run ${MARIADBD}: ${spawnError.message} (${INSTALL_HINT})` : 'mariadbd exited');
      }
      if (fs.existsSync(socket)) {
        try {
          await sql('SELECT 1');
          break;
        } catch {
          // accepting connections soon
        }
      }
      if (Date.now() > deadline) throw new Error('mariadbd did not accept connections in time');
      await new Promise((r) => setTimeout(r, 200));
    }
    const account = (host) => `${sqlString(user)}@${sqlString(host)}`;
    // root without a password stays reachable only over the private socket
    const rootHosts = (await sql("SELECT Host FROM mysql.user WHERE User = 'root' AND Host <> 'localhost'")).split('\n').filter(Boolean);
    await sql([
      ...rootHosts.map((host) => `DROP USER ${sqlString('root')}@${sqlString(host)};`),
      `CREATE DATABASE \`${database.replace(/`/g, '')}\` CHARACTER SET utf8mb4;`,
      ...['127.0.0.1', 'localhost'].flatMap((host) => [
        `CREATE USER ${account(host)} IDENTIFIED BY ${sqlString(password)};`,
        `GRANT ALL PRIVILEGES ON \`${database.replace(/`/g, '')}\`.* TO ${account(host)};`,
      ]),
    ].join('\n'));
  } catch (err) {
    const tail = output().slice(-2000);
    await stop();
    throw new Error(`${err.message}\n${tail}`);
  }

  return { host: '127.0.0.1', port, socket, dir, pid: child.pid, database, user, password, output, sql, stop };
}

module.exports = { startMariadb, mariadbInstalled, sqlString, MARIADBD };
