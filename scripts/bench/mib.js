'use strict';
/**
 * The MIB service, measured in a fresh process of its own (a cold start, as when
 * Node-RED starts): time to load every MIB of the default search path, then how many
 * instance OIDs per second it names (OID → `MODULE::name.index`), first seen and
 * repeated, and how many names per second it resolves back. Prints one JSON line.
 */
const path = require('path');

const LIB = path.resolve(__dirname, '..', '..', 'nodes', 'lib');
const { MibService } = require(path.join(LIB, 'mib'));

function seconds(t0) {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function main() {
  const t0 = process.hrtime.bigint();
  const mib = new MibService();
  mib.load();
  const loadMs = seconds(t0) * 1000;
  const modules = mib.modulesLoaded().length;
  const objects = mib.size();
  const warnings = mib.warnings().length;

  // Instance OIDs as polls and traps bring them: every readable column of ifTable,
  // ifXTable and ipAddrTable (an IpAddress index) at many row indexes. Distinct, so the
  // first pass misses the service's cache every time.
  const columns = mib.definitions()
    .filter((n) => n.kind === 'column' && /^(1\.3\.6\.1\.2\.1\.2\.2\.1|1\.3\.6\.1\.2\.1\.31\.1\.1\.1|1\.3\.6\.1\.2\.1\.4\.20\.1)\./.test(n.oid))
    .map((n) => n.oid);
  const oids = [];
  for (let i = 1; oids.length < 100000; i++) {
    for (const c of columns) oids.push(c.startsWith('1.3.6.1.2.1.4.20.1.') ? `${c}.10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` : `${c}.${i}`);
  }
  let t = process.hrtime.bigint();
  const names = new Array(oids.length);
  for (let i = 0; i < oids.length; i++) names[i] = mib.qualifiedName(oids[i]);
  const firstSeen = oids.length / seconds(t);
  t = process.hrtime.bigint();
  for (let i = 0; i < oids.length; i++) mib.qualifiedName(oids[i]);
  const repeated = oids.length / seconds(t);

  // and back: names to OIDs (distinct names, so uncached)
  const sample = names.slice(0, 20000);
  t = process.hrtime.bigint();
  let mismatches = 0;
  for (let i = 0; i < sample.length; i++) if (mib.resolve(sample[i]) !== oids[i]) mismatches++;
  const resolved = sample.length / seconds(t);

  process.stdout.write(`${JSON.stringify({
    event: 'mib', loadMs, modules, objects, warnings, columns: columns.length, oids: oids.length,
    namesPerSecond: firstSeen, namesPerSecondCached: repeated, resolvePerSecond: resolved, mismatches,
    example: `${oids[5]} → ${names[5]}`, heapMB: process.memoryUsage().heapUsed / 1048576,
  })}\n`);
}

main();
