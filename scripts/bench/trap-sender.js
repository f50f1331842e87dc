'use strict';
/**
 * The trap blaster, a child process of the benchmark (forked, commands over IPC): sends
 * pre-encoded SNMPv2c linkDown traps at a target rate to a loopback port, round-robin
 * from many loopback source addresses (a fleet of senders, each under trap-in's default
 * per-source rate limit), and reports how many it sent and over how long.
 *
 *   → { cmd: 'blast', host, port, rate, seconds, community, size? }   ← { sent, elapsedMs }
 *     (size 'max': 64 KiB traps of about 3,400 varbinds instead of 5)
 *   → { cmd: 'stop' }   (ends the blast under way; it then answers as above)
 *   → { cmd: 'exit' }
 */
const dgram = require('dgram');

const SOURCES = 256;

function length(n) {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag, content) {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

function integer(n, tag = 0x02) {
  const bytes = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0] & 0x80) bytes.unshift(0); // stays positive
  return tlv(tag, Buffer.from(bytes));
}

function oid(text) {
  const arcs = text.split('.').map(Number);
  const out = [40 * arcs[0] + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const group = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) group.unshift(0x80 | (v & 0x7f));
    out.push(...group);
  }
  return tlv(0x06, Buffer.from(out));
}

const seq = (...parts) => tlv(0x30, Buffer.concat(parts));

/** SNMPv2-Trap (RFC 3416 §4.2.6): sysUpTime.0, snmpTrapOID.0 = linkDown, ifIndex, ifAdminStatus, ifOperStatus. */
function linkDownTrap(community, requestId, ifIndex, uptime) {
  const varbinds = seq(
    seq(oid('1.3.6.1.2.1.1.3.0'), integer(uptime, 0x43)),
    seq(oid('1.3.6.1.6.3.1.1.4.1.0'), oid('1.3.6.1.6.3.1.1.5.3')),
    seq(oid(`1.3.6.1.2.1.2.2.1.1.${ifIndex}`), integer(ifIndex)),
    seq(oid(`1.3.6.1.2.1.2.2.1.7.${ifIndex}`), integer(1)),
    seq(oid(`1.3.6.1.2.1.2.2.1.8.${ifIndex}`), integer(2)),
  );
  const pdu = tlv(0xa7, Buffer.concat([integer(requestId), integer(0), integer(0), varbinds]));
  return seq(integer(1), tlv(0x04, Buffer.from(community)), pdu);
}

/**
 * The largest SNMPv2c trap one UDP datagram carries: linkDown with as many ifOperStatus
 * varbinds as fit in 65,507 octets (about 3,400).
 */
function maximumSizeTrap(community, requestId) {
  const head = [
    seq(oid('1.3.6.1.2.1.1.3.0'), integer(123456 + requestId, 0x43)),
    seq(oid('1.3.6.1.6.3.1.1.4.1.0'), oid('1.3.6.1.6.3.1.1.5.3')),
  ];
  const varbinds = [...head];
  let size = head.reduce((a, b) => a + b.length, 0);
  for (let i = 1; ; i++) {
    const next = seq(oid(`1.3.6.1.2.1.2.2.1.8.${i}`), integer(2));
    // room for the message, PDU and list headers
    if (size + next.length > 65_400) break;
    varbinds.push(next);
    size += next.length;
  }
  const pdu = tlv(0xa7, Buffer.concat([integer(requestId), integer(0), integer(0), seq(...varbinds)]));
  return seq(integer(1), tlv(0x04, Buffer.from(community)), pdu);
}

let sockets = [];
/** Set by a 'stop' command: the blast under way ends at its next turn. */
let stopRequested = false;

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
async function blast({ host, port, rate, seconds, community, size }) {
  await openSockets();
  const datagrams = size === 'max'
    ? Array.from({ length: 16 }, (_, i) => maximumSizeTrap(community, 1000 + i))
    : Array.from({ length: 1024 }, (_, i) => linkDownTrap(community, 1000 + i, 1 + (i % 48), 123456 + i));
  const total = Math.round(rate * seconds);
  stopRequested = false;
  const start = process.hrtime.bigint();
  let sent = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
      const due = Math.min(total, Math.floor(rate * elapsed));
      // a bounded burst per turn keeps the pace even and the event loop responsive
      const burst = stopRequested ? 0 : Math.min(due - sent, 2000);
      for (let k = 0; k < burst; k++) {
        sockets[sent % SOURCES].send(datagrams[sent % datagrams.length], port, host);
        sent++;
      }
      if (sent >= total || stopRequested) resolve();
      else setImmediate(tick);
    };
    tick();
  });
  return { sent, elapsedMs: Number(process.hrtime.bigint() - start) / 1e6 };
}

process.on('message', (m) => {
  if (m.cmd === 'blast') {
    blast(m).then((r) => process.send({ ok: true, ...r }), (err) => process.send({ ok: false, error: err.message }));
  } else if (m.cmd === 'stop') {
    stopRequested = true;
  } else if (m.cmd === 'exit') {
    for (const s of sockets) s.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, sources: SOURCES });
