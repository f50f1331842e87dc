'use strict';
/**
 * Child processes of the benchmark and what the measuring process holds. Every child
 * is registered here so that a normal end, an error or Ctrl-C stops all of them: the
 * run leaves no process behind.
 */
const { spawn, fork } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');

const children = new Set();

/** Spawns a tracked child; it is killed at exit whatever happens. */
function spawnTracked(cmd, args, options = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * Runs `file args` in a forked Node process, hands it `send` (when given) over IPC, and
 * resolves with the last message it sent once it has exited; rejects when it sent none.
 * `quiet` drops the child's stdout (an embedded Node-RED logs there).
 */
function forkResult(file, args, { execArgv, send, quiet = false, name = path.basename(file) } = {}) {
  return new Promise((resolve, reject) => {
    const p = fork(file, args, { execArgv, stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit', 'ipc'] });
    let result;
    p.on('message', (m) => { result = m; });
    p.on('error', reject);
    p.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${name} child exited with ${code}`))));
    if (send !== undefined) p.send(send);
  });
}

/** Resolves with the first stdout JSON line whose `event` is `name` (rejects on exit or timeout). */
function waitForEvent(child, name, timeoutMs) {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
    const timer = setTimeout(() => finish(new Error(`${name} not seen within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code) => finish(new Error(`child exited (${code}) before ${name}: ${stderr.trim()}`));
    function finish(err, value) {
      clearTimeout(timer);
      rl.removeAllListeners('line');
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value);
    }
    rl.on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        const obj = JSON.parse(line);
        if (obj.event === name) finish(null, obj);
      } catch {
        // a log line that merely starts with a brace
      }
    });
    child.once('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
function stop(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, graceMs);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    try { child.kill('SIGTERM'); } catch { clearTimeout(timer); resolve(); }
  });
}

async function stopAll() {
  await Promise.all([...children].map((c) => stop(c)));
}

const tempDirs = new Set();

/** A temporary folder removed at exit, however the run ends. */
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir) {
  tempDirs.delete(dir);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Last resort at process exit: synchronous, so only SIGKILL. */
function killAllNow() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
  for (const dir of tempDirs) {
    try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
}
process.on('exit', killAllNow);

function udpInodes() {
  const inodes = new Set();
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try { text = fs.readFileSync(file, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/**
 * UDP sockets open in this process: descriptors that are sockets whose inode is in
 * /proc/net/udp{,6} (as test/support/handles.ts counts them; an unref()'d socket is
 * invisible to process._getActiveHandles).
 */
function openUdpSockets() {
  const inodes = udpInodes();
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target = '';
    try { target = fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { continue; }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && inodes.has(m[1])) n++;
  }
  return n;
}

/** CPUs this process may run on now. */
function cpuCount() {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

let tasksetPath;
function taskset() {
  if (tasksetPath === undefined) {
    tasksetPath = ['/usr/bin/taskset', '/bin/taskset'].find((f) => fs.existsSync(f)) ?? null;
  }
  return tasksetPath;
}

/** True where CPUs can be assigned (taskset installed). */
function canPin() {
  return Boolean(taskset());
}

/**
 * `cmd args` to run on CPU `cpu` only, through taskset where it exists (and `cpu` is
 * given); else unchanged. The bench keeps its load generators off the measured CPU.
 */
function pinnedCommand(cpu, cmd, args) {
  if (cpu === undefined || !taskset()) return [cmd, args];
  return ['taskset', ['-c', String(cpu), cmd, ...args]];
}

/**
 * Moves this process (every thread) to CPU `cpu`; returns the function that gives it
 * back the CPUs it had. A no-op without taskset.
 */
function pinSelf(cpu) {
  const tool = taskset();
  if (!tool) return () => undefined;
  const { execFileSync } = require('child_process');
  let before;
  try {
    before = /: (.+)$/.exec(execFileSync(tool, ['-c', '-p', String(process.pid)], { encoding: 'utf8' }).trim())?.[1];
    execFileSync(tool, ['-a', '-c', '-p', String(cpu), String(process.pid)], { stdio: 'ignore' });
  } catch {
    return () => undefined;
  }
  return () => {
    try {
      if (before) execFileSync(tool, ['-a', '-c', '-p', before, String(process.pid)], { stdio: 'ignore' });
    } catch { /* the process keeps the one CPU */ }
  };
}

/** The machine a run's figures belong to (the reports print it first). */
function machine() {
  const cpus = os.cpus();
  return {
    cpu: `${cpus[0]?.model ?? 'unknown'} × ${cpus.length}`,
    memoryGB: Math.round(os.totalmem() / 1073741824 * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    netSnmp: require('net-snmp/package.json').version,
    nodeRed: require('node-red/package.json').version,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

module.exports = { spawnTracked, forkResult, waitForEvent, stop, stopAll, killAllNow, openUdpSockets, tempDir, removeTempDir, cpuCount, canPin, pinnedCommand, pinSelf, machine };
