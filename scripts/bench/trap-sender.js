'use strict';
/**
 * The trap blaster, a child process of the benchmark (forked, commands over IPC): sends
 * pre-encoded SNMPv2c linkDown traps at a target rate to a loopback port, round-robin
 * from many loopback source addresses (a fleet of senders, each under trap-in's default
 * per-source rate limit), and reports how many it sent and over how long.
 *
 *   → { cmd: 'blast', host, port, rate, seconds, community }   ← { sent, elapsedMs }
 *   → { cmd: 'exit' }
 */
const dgram = require('dgram');
const { linkDownTrap } = require('./trap-encode');

const SOURCES = 256;

let sockets = [];

async function openSockets() {
  if (sockets.length) return;
  // 127.0.1.0 - 127.0.1.255: all of 127/8 is loopback on Linux
  sockets = await Promise.all(Array.from({ length: SOURCES }, (_, i) => new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind({ address: `127.0.1.${i}`, port: 0 }, () => {
      s.removeListener('error', reject);
      s.on('error', () => { /* a refused send must not end the sender */ });
      resolve(s);
    });
  })));
}

/** Sends `rate` traps a second for `seconds`, paced against the clock in small bursts. */
async function blast({ host, port, rate, seconds, community }) {
  await openSockets();
  const datagrams = Array.from({ length: 1024 }, (_, i) => linkDownTrap(community, 1000 + i, 1 + (i % 48), 123456 + i));
  const total = Math.round(rate * seconds);
  const start = process.hrtime.bigint();
  let sent = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
      const due = Math.min(total, Math.floor(rate * elapsed));
      // a bounded burst per turn keeps the pace even and the event loop responsive
      const burst = Math.min(due - sent, 2000);
      for (let k = 0; k < burst; k++) {
        sockets[sent % SOURCES].send(datagrams[sent % datagrams.length], port, host);
        sent++;
      }
      if (sent >= total) resolve();
      else setImmediate(tick);
    };
    tick();
  });
  return { sent, elapsedMs: Number(process.hrtime.bigint() - start) / 1e6 };
}

process.on('message', (m) => {
  if (m.cmd === 'blast') {
    blast(m).then((r) => process.send({ ok: true, ...r }), (err) => process.send({ ok: false, error: err.message }));
  } else if (m.cmd === 'exit') {
    for (const s of sockets) s.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, sources: SOURCES });
