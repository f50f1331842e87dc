'use strict';
/**
 * The reference line: Net-SNMP's `snmpbulkwalk` run per device and table, one after
 * the other, as a shell script polling a fleet does. Its CPU is what bash's `times`
 * reports for its children; the varbinds are the output lines.
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { spawnTracked, tempDir, removeTempDir } = require('./procs');

function findTool(name) {
  for (const dir of (process.env.PATH || '').split(':').concat(['/usr/bin', '/usr/local/bin'])) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch { /* not here */ }
  }
  return undefined;
}

function parseTimes(text) {
  // bash `times`: "0m0.010s 0m0.002s" for the shell, then the same for its children
  const lines = text.trim().split('\n').filter((l) => /\d+m[\d.]+s/.test(l));
  const secs = (s) => {
    const m = /(\d+)m([\d.]+)s/.exec(s);
    return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
  };
  const children = (lines[lines.length - 1] || '').trim().split(/\s+/);
  return (secs(children[0]) + secs(children[1])) * 1000;
}

/**
 * Walks `tables` on each device with snmpbulkwalk (-Cr = maxRepetitions). Resolves
 * with undefined when snmpbulkwalk is not installed.
 */
async function snmpbulkwalkReference({ devices, tables, community, maxRepetitions }) {
  const tool = findTool('snmpbulkwalk');
  if (!tool) return undefined;
  const version = execFileSync(tool, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim() || 'snmpbulkwalk';
  const dir = tempDir('snmp-fleet-bench-ref-');
  const out = path.join(dir, 'out.txt');
  const script = [
    'set -u',
    ...devices.flatMap((d) => tables.map((t) => `"$0" -v2c -c "$1" -Cr${maxRepetitions} -t 2 -r 1 ${d.host}:${d.port} ${t} >> "$2" || exit 3`)),
    'times',
  ].join('\n');
  const t0 = process.hrtime.bigint();
  const child = spawnTracked('bash', ['-c', script, tool, community, out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  let varbinds = 0;
  try {
    // one line per varbind, but a long Hex-STRING value continues on a second line
    varbinds = fs.readFileSync(out, 'utf8').split('\n').filter((l) => /^(iso|\.?1)\.[\d.]+ = /.test(l)).length;
  } finally {
    removeTempDir(dir);
  }
  if (code !== 0) throw new Error(`snmpbulkwalk failed (${code}): ${stderr.trim().slice(0, 300)}`);
  return { tool: version.split('\n')[0], devices: devices.length, wallMs, cpuMs: parseTimes(stdout), varbinds };
}

module.exports = { snmpbulkwalkReference, parseTimes };
