#!/usr/bin/env node
'use strict';
/**
 * The soak's trap flood, a child process: SNMPv2c linkDown traps at a steady rate from
 * 256 loopback source addresses, and every `--burst-every` seconds a burst of traps of
 * the largest UDP size (about 3,300 varbinds each) from 8 other sources, spread over
 * one second. Paced by a 10-ms timer, so it takes a few percent of a core rather than
 * spinning. Prints a JSON `ready` line, a `stats` line every 10 s and a `stopped` line
 * on SIGTERM.
 *
 *   node scripts/soak/trap-flood.js --port P [--host 127.0.0.1] [--rate 2000]
 *        [--burst 100] [--burst-every 60] [--community public]
 */
const dgram = require('dgram');
const { parseArgs } = require('util');
const { linkDownTrap, bigTrap } = require('../bench/trap-encode');

const STEADY_SOURCES = 256;
const BURST_SOURCES = 8;
const TICK_MS = 10;

const { values } = parseArgs({
  options: {
    port: { type: 'string' }, host: { type: 'string' }, rate: { type: 'string' },
    burst: { type: 'string' }, 'burst-every': { type: 'string' }, community: { type: 'string' },
  },
});
const port = Number(values.port);
const host = values.host || '127.0.0.1';
const rate = Number(values.rate ?? 2000);
const burst = Number(values.burst ?? 100);
const burstEvery = Number(values['burst-every'] ?? 60);
const community = values.community || 'public';
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('trap-flood: --port is required\n');
  process.exit(2);
}

function bind(address) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind({ address, port: 0 }, () => {
      s.removeListener('error', reject);
      // a refused send (the receiver is being redeployed) must not end the flood
      s.on('error', () => { stats.sendErrors++; });
      resolve(s);
    });
  });
}

const stats = { sent: 0, bigSent: 0, bursts: 0, sendErrors: 0, bigBytes: 0, bigVarbinds: 0 };

async function main() {
  // 127.0.1.x and 127.0.2.x: all of 127/8 is loopback on Linux
  const steady = await Promise.all(Array.from({ length: STEADY_SOURCES }, (_, i) => bind(`127.0.1.${i}`)));
  const bursty = await Promise.all(Array.from({ length: BURST_SOURCES }, (_, i) => bind(`127.0.2.${i + 1}`)));
  const small = Array.from({ length: 1024 }, (_, i) => linkDownTrap(community, 1000 + i, 1 + (i % 48), 123456 + i));
  const big = Array.from({ length: 16 }, (_, i) => bigTrap(community, 500000 + i));
  stats.bigBytes = big[0].datagram.length;
  stats.bigVarbinds = big[0].varbinds;

  const start = Date.now();
  let burstStart = 0;
  let burstSent = 0;
  let nextBurst = start + burstEvery * 1000;
  const timer = setInterval(() => {
    const now = Date.now();
    const due = Math.floor((rate * (now - start)) / 1000);
    for (let k = stats.sent; k < due; k++) steady[k % STEADY_SOURCES].send(small[k % small.length], port, host);
    stats.sent = Math.max(stats.sent, due);
    if (burst > 0 && now >= nextBurst) {
      burstStart = now;
      burstSent = 0;
      stats.bursts++;
      nextBurst += burstEvery * 1000;
    }
    if (burstStart > 0 && burstSent < burst) {
      // the burst is spread over one second
      const burstDue = Math.min(burst, Math.ceil((burst * (now - burstStart + TICK_MS)) / 1000));
      for (; burstSent < burstDue; burstSent++) {
        bursty[burstSent % BURST_SOURCES].send(big[burstSent % big.length].datagram, port, host);
        stats.bigSent++;
      }
    }
  }, TICK_MS);
  const report = setInterval(() => process.stdout.write(`${JSON.stringify({ event: 'stats', t: Date.now(), ...stats })}\n`), 10000);
  process.stdout.write(`${JSON.stringify({ event: 'ready', t: start, rate, burst, burstEvery, bigBytes: stats.bigBytes, bigVarbinds: stats.bigVarbinds })}\n`);

  const stop = () => {
    clearInterval(timer);
    clearInterval(report);
    process.stdout.write(`${JSON.stringify({ event: 'stopped', t: Date.now(), ...stats })}\n`);
    for (const s of [...steady, ...bursty]) s.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`trap-flood: ${err.message}\n`);
  process.exit(1);
});
