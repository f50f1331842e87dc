'use strict';
// One mocha run for the whole suite: unit (src/lib), flow (node-red-node-test-helper),
// integration (real snmpd/snmptrapd/influxd, Node-RED as a process), editor (Chromium)
// and compat (the packed package on each Node-RED/Node.js pair it promises).
// TypeScript tests run through tsx; test/reporter.js prints the closing "N passed, N failed".
//
// Files run in parallel worker processes (MOCHA_JOBS, default 3; MOCHA_JOBS=1 runs them
// one after another in this process). Most of the suite waits on real servers, poll
// cycles and timers rather than on the CPU, so three files at a time take the whole run
// from about 18 minutes to about 8 on 2 cores. Every file starts its own servers on free
// loopback ports with private data dirs and looks for leftovers by its own process group
// or temp dir, so files never see each other. The longest files go first, so no long file
// starts last and keeps the run waiting alone.
const fs = require('fs');
const path = require('path');

const FOLDERS = ['test/unit', 'test/flow', 'test/integration', 'test/editor', 'test/compat'];
// Longest first (seconds measured in a whole run on 2 cores, 2026-12-06); the rest keep
// the folder order above.
const LONGEST = [
  'test/integration/scale-out.test.ts',        // ~230 s: 300 devices, 3 workers, kills and restarts
  'test/compat/matrix.test.ts',                // 4 Node-RED/Node pairs installed and started
  'test/integration/influx-outage.test.ts',    // ~70 s: influxd stopped, Node-RED killed
  'test/flow/poll-schedule.test.ts',           // ~60 s: poll nodes on their own schedule
  'test/integration/inventory-database.test.ts', // ~55 s: MariaDB inventory
  'test/integration/demo.test.ts',
  'test/integration/alert-crash.test.ts',
  'test/flow/threshold-alert.test.ts',
  'test/integration/scale-demo.test.ts',
];

function testFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(p));
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function wholeSuite() {
  const all = FOLDERS.flatMap(testFiles);
  const first = LONGEST.filter((f) => all.includes(f));
  return [...first, ...all.filter((f) => !first.includes(f))];
}

const jobs = Number(process.env.MOCHA_JOBS || 3);

module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  spec: process.env.MOCHA_SPEC ? process.env.MOCHA_SPEC.split(',') : wholeSuite(),
  parallel: jobs > 1,
  jobs,
  reporter: './test/reporter.js',
  timeout: 30000,
  exit: true,
};
