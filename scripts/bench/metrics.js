'use strict';
/**
 * The scrape benchmark: a fleet's interface tables (ifName, ifAlias, the octet and error
 * counters, ifOperStatus, ifHighSpeed: example 05's walk) walked by snmp-bulkwalk into
 * snmp-metrics inside the embedded Node-RED, then scraped over HTTP: as Prometheus does
 * (OpenMetrics, gzip), as a text-format scraper with gzip, and as curl does (plain
 * text). For each: wall time, this process's CPU (Node-RED and the client reading the
 * bytes, not decompressing them), bytes on the wire and before compression, the longest
 * event-loop stall while it ran; and the heap the series take.
 */
const http = require('http');
const { monitorEventLoopDelay } = require('perf_hooks');
const { summarize } = require('./stats');
const P = require('./poll');

const COLUMNS = ['ifName', 'ifAlias', 'ifHCInOctets', 'ifHCOutOctets', 'ifInErrors', 'ifOutErrors', 'ifOperStatus', 'ifHighSpeed'];
const PATH = '/bench-metrics';
const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/**
 * walk → snmp-metrics, and → a sink that tells when the cycle is over. The bench polls
 * twice and then only scrapes: the series must not go stale meanwhile (staleAfter 1000).
 */
function metricsFlows({ inventory, community = 'public', maxSeries = 1000000 }) {
  const z = 'bench-metrics-tab';
  return [
    { id: z, type: 'tab', label: 'bench metrics' },
    { id: 'cfg-metrics', type: 'snmp-config', name: 'metrics fleet', version: '2c', inventory, credentials: { community } },
    { id: 'bench-metrics-walk', type: 'snmp-bulkwalk', z, name: 'interfaces', snmp: 'cfg-metrics', oids: COLUMNS.join('\n'), output: 'rows', wires: [['bench-metrics-node', 'sink-metrics'], ['bench-metrics-node', 'sink-metrics']] },
    { id: 'bench-metrics-node', type: 'snmp-metrics', z, name: 'exporter', path: PATH, prefix: 'snmp_', labelColumns: 'ifName ifAlias', staleAfter: '1000', maxSeries: String(maxSeries), health: true },
    { id: 'sink-metrics', type: 'bench-sink', z, channel: 'metrics', wires: [] },
    // the same walk to two sinks instead: Node-RED copies a message sent to two nodes, so
    // the difference is what snmp-metrics itself costs
    { id: 'bench-metrics-walk-plain', type: 'snmp-bulkwalk', z, name: 'interfaces, no metrics', snmp: 'cfg-metrics', oids: COLUMNS.join('\n'), output: 'rows', wires: [['sink-metrics-plain', 'sink-metrics-other'], ['sink-metrics-plain', 'sink-metrics-other']] },
    { id: 'sink-metrics-plain', type: 'bench-sink', z, channel: 'metrics-plain', wires: [] },
    { id: 'sink-metrics-other', type: 'bench-sink', z, channel: 'metrics-other', wires: [] },
  ];
}

/** One GET; the body is counted, not decompressed, and kept as text only when asked (that would be the client's work). */
function scrape(url, headers, keepText = false) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let bytes = 0;
      const chunks = [];
      const keep = keepText && !res.headers['content-encoding'];
      res.on('data', (c) => {
        bytes += c.length;
        if (keep) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode, bytes, encoding: res.headers['content-encoding'] || 'identity', text: keep ? Buffer.concat(chunks).toString() : undefined }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Times `fn`: wall, this process's CPU, the longest event-loop stall meanwhile. */
async function timed(fn) {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = await fn();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  return { ...result, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, maxStallMs: loop.max / 1e6 };
}

/**
 * Deploys the flows, runs a walk cycle into snmp-metrics (it creates the series), then
 * `cycles` pairs of cycles, with and without snmp-metrics, in alternating order (the
 * difference in CPU is the cost of updating the series), then `scrapes` scrapes of each
 * kind.
 */
async function metricsBenchmark({ red, inventory, devices, cycles = 3, scrapes, community, timeoutMs, log }) {
  const before = P.memory();
  await red.deploy(metricsFlows({ inventory, community }));
  const withMetrics = () => P.packCycle(red, 'bench-metrics-walk', 'metrics', devices, timeoutMs);
  const first = await withMetrics();
  log(`  first cycle into snmp-metrics (creates the series): ${(first.wallMs / 1000).toFixed(2)} s wall, ${(first.cpuMs / devices).toFixed(2)} ms CPU/device, ${first.ok} ok, ${first.failed} failed`);
  const after = P.memory();
  const paired = await P.pairedCycles({
    cycles,
    pack: withMetrics,
    raw: () => P.packCycle(red, 'bench-metrics-walk-plain', 'metrics-plain', devices, timeoutMs),
    onCycle: (i, side, m) => log(`  cycle ${i + 1} ${side === 'pack' ? 'walk → snmp-metrics + sink' : 'walk → two sinks'}: ${(m.wallMs / 1000).toFixed(2)} s wall, ${(m.cpuMs / devices).toFixed(2)} ms CPU/device, ${m.failed} failed`),
  });
  const url = `${red.httpUrl}${PATH}`;
  const plain = await scrape(url, {}, true);
  if (plain.status !== 200) throw new Error(`GET ${PATH}: HTTP ${plain.status}`);
  const series = plain.text.split('\n').filter((l) => l.startsWith('snmp_if')).length;
  const kinds = [
    { name: 'Prometheus (OpenMetrics, gzip)', headers: { accept: PROMETHEUS_ACCEPT, 'accept-encoding': 'gzip' } },
    { name: 'text format, gzip', headers: { accept: 'text/plain;version=0.0.4', 'accept-encoding': 'gzip' } },
    { name: 'text format, uncompressed (curl)', headers: {} },
  ];
  const results = [];
  for (const kind of kinds) {
    await scrape(url, kind.headers); // unmeasured: the first of a kind warms its code paths
    const runs = [];
    for (let i = 0; i < scrapes; i++) {
      P.memory();
      const r = await timed(() => scrape(url, kind.headers));
      if (r.status !== 200) throw new Error(`${kind.name}: HTTP ${r.status}`);
      if (r.encoding === 'identity' && Math.abs(r.bytes - Buffer.byteLength(plain.text)) > 0.01 * r.bytes) throw new Error(`${kind.name}: ${r.bytes} bytes, the first scrape had ${Buffer.byteLength(plain.text)}`);
      runs.push(r);
    }
    const wall = summarize(runs.map((r) => r.wallMs));
    results.push({
      name: kind.name,
      scrapes: runs.length,
      wallMs: wall,
      cpuMs: summarize(runs.map((r) => r.cpuMs)).median,
      bytes: runs[runs.length - 1].bytes,
      encoding: runs[runs.length - 1].encoding,
      maxStallMs: Math.max(...runs.map((r) => r.maxStallMs)),
    });
    log(`  scrape ${kind.name}: median ${wall.median.toFixed(0)} ms, ${(runs[runs.length - 1].bytes / 1048576).toFixed(1)} MB, longest event-loop stall ${results[results.length - 1].maxStallMs.toFixed(0)} ms`);
  }
  return {
    devices,
    interfaces: undefined,
    series,
    textBytes: Buffer.byteLength(plain.text),
    heapMB: after.heapMB - before.heapMB,
    bytesPerSeries: ((after.heapMB - before.heapMB) * 1048576) / Math.max(1, series),
    firstCycle: { wallMs: first.wallMs, cpuMsPerDevice: first.cpuMs / devices, ok: first.ok, failed: first.failed },
    cpuMsPerDevice: summarize(paired.pack.map((c) => c.cpuMs / devices)).median,
    cpuMsPerDeviceWithout: summarize(paired.raw.map((c) => c.cpuMs / devices)).median,
    ingestCpuMsPerDevice: summarize(paired.pack.map((c, i) => (c.cpuMs - paired.raw[i].cpuMs) / devices)).median,
    scrapes: results,
  };
}

module.exports = { COLUMNS, metricsFlows, metricsBenchmark };
