'use strict';
/**
 * SNMPv2c trap datagrams for the load generators (bench trap sender, soak trap flood):
 * a small BER encoder, the usual linkDown trap, and a trap of the largest size a UDP
 * datagram holds, with thousands of varbinds (what issue 14's "large traps" are).
 */

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

/** An SNMPv2-Trap message (RFC 3416 §4.2.6) around `varbinds` (already encoded). */
function v2Trap(community, requestId, varbinds) {
  const pdu = tlv(0xa7, Buffer.concat([integer(requestId), integer(0), integer(0), seq(...varbinds)]));
  return seq(integer(1), tlv(0x04, Buffer.from(community)), pdu);
}

/** linkDown: sysUpTime.0, snmpTrapOID.0, ifIndex, ifAdminStatus, ifOperStatus. */
function linkDownTrap(community, requestId, ifIndex, uptime) {
  return v2Trap(community, requestId, [
    seq(oid('1.3.6.1.2.1.1.3.0'), integer(uptime, 0x43)),
    seq(oid('1.3.6.1.6.3.1.1.4.1.0'), oid('1.3.6.1.6.3.1.1.5.3')),
    seq(oid(`1.3.6.1.2.1.2.2.1.1.${ifIndex}`), integer(ifIndex)),
    seq(oid(`1.3.6.1.2.1.2.2.1.7.${ifIndex}`), integer(1)),
    seq(oid(`1.3.6.1.2.1.2.2.1.8.${ifIndex}`), integer(2)),
  ]);
}

/** The trap OID of bigTrap (NET-SNMP-EXAMPLES' enterprise, a private arc). */
const BIG_TRAP_OID = '1.3.6.1.4.1.8072.9999.0.1';

/**
 * A trap of at most `maxBytes` (default 65,000: a UDP datagram holds 65,507) filled with
 * Integer varbinds 1.3.6.1.4.1.8072.9999.1.<i>; about 3,400 of them at the default size.
 * Returns the datagram and its varbind count.
 */
function bigTrap(community, requestId, maxBytes = 65000) {
  const head = [
    seq(oid('1.3.6.1.2.1.1.3.0'), integer(4242, 0x43)),
    seq(oid('1.3.6.1.6.3.1.1.4.1.0'), oid(BIG_TRAP_OID)),
  ];
  const varbinds = [...head];
  // message overhead: version, community, PDU header, three sequence headers of up to 4 bytes
  let size = 40 + community.length + head.reduce((n, b) => n + b.length, 0);
  for (let i = 1; ; i++) {
    const vb = seq(oid(`1.3.6.1.4.1.8072.9999.1.${i}`), integer(i));
    if (size + vb.length > maxBytes) break;
    varbinds.push(vb);
    size += vb.length;
  }
  const datagram = v2Trap(community, requestId, varbinds);
  return { datagram, varbinds: varbinds.length };
}

module.exports = { length, tlv, integer, oid, seq, v2Trap, linkDownTrap, bigTrap, BIG_TRAP_OID };
