'use strict';
// One mocha run for the whole suite: unit (src/lib), flow (node-red-node-test-helper),
// integration (real snmpd/snmptrapd/influxd, Node-RED as a process), editor (Chromium)
// and compat (the packed package on each Node-RED/Node.js pair it promises).
// TypeScript tests run through tsx; test/reporter.js prints the closing "N passed, N failed".
module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  spec: process.env.MOCHA_SPEC ? process.env.MOCHA_SPEC.split(',') : [
    'test/unit/**/*.test.ts',
    'test/flow/**/*.test.ts',
    'test/integration/**/*.test.ts',
    'test/editor/**/*.test.ts',
    'test/compat/**/*.test.ts',
  ],
  reporter: './test/reporter.js',
  timeout: 30000,
  exit: true,
};
