/**
 * Notifications a simulated device sends: the five generic traps of RFC 1215 / RFC 3418
 * (coldStart, warmStart, linkDown, linkUp, authenticationFailure) as SNMPv1 Trap-PDU,
 * SNMPv2-Trap-PDU (RFC 3416 §4.2.6) or, for v3 devices, an SNMPv3 trap built by net-snmp.
 */
import '../lib/snmp/des';
import * as snmp from 'net-snmp';
import type { V3User } from '../lib/common/types';
import {
  Tag, encodeMessage, encodeOid, lengthSize, requestIdBytes, writeBytes, writeLength, writeUnsigned,
} from './ber';
import { DeviceModel, SYS_OBJECT_ID } from './device';
import { IF_ENTRY, findExact } from './tree';
import { toNetSnmpUser } from '../lib/snmp/v3-user';

export type TrapKind = 'coldStart' | 'warmStart' | 'linkDown' | 'linkUp' | 'authenticationFailure';

export const TRAP_KINDS: readonly TrapKind[] = ['coldStart', 'warmStart', 'linkDown', 'linkUp', 'authenticationFailure'];

/** generic-trap numbers of SNMPv1; snmpTraps.(n+1) in SNMPv2 (RFC 3584 §3.1). */
const GENERIC: Record<TrapKind, number> = { coldStart: 0, warmStart: 1, linkDown: 2, linkUp: 3, authenticationFailure: 4 };
const SNMP_TRAPS = [1, 3, 6, 1, 6, 3, 1, 1, 5];
const SYS_UPTIME_0 = encodeOid([1, 3, 6, 1, 2, 1, 1, 3, 0]);
const SNMP_TRAP_OID_0 = encodeOid([1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0]);
const ENTERPRISE_TLV = encodeOid(SYS_OBJECT_ID);

/** The OID of a generic trap in SNMPv2 form. */
export function trapOid(kind: TrapKind): string {
  return [...SNMP_TRAPS, GENERIC[kind] + 1].join('.');
}

/** linkDown/linkUp carry ifIndex, ifAdminStatus, ifOperStatus of the interface (IF-MIB). */
function linkEntries(dev: DeviceModel, kind: TrapKind, ifIndex: number): number[] {
  if (kind !== 'linkDown' && kind !== 'linkUp') return [];
  if (!Number.isInteger(ifIndex) || ifIndex < 1 || ifIndex > dev.tree.interfaces) {
    throw new RangeError(`ifIndex ${ifIndex} out of range 1..${dev.tree.interfaces}`);
  }
  return [1, 7, 8].map((column) => findExact(dev.tree, [...IF_ENTRY, column, ifIndex]));
}

function writeVarbind(buf: Buffer, pos: number, oidTlv: Buffer, writeValue: (p: number) => number): number {
  const start = pos;
  let p = pos + 3; // room for a two-byte length
  oidTlv.copy(buf, p);
  p = writeValue(p + oidTlv.length);
  const content = p - start - 3;
  const shift = lengthSize(content) - 2;
  buf[start] = Tag.Sequence;
  if (shift !== 0) buf.copyWithin(start + 3 + shift, start + 3, p);
  writeLength(buf, start + 1, content);
  return p + shift;
}

const vbScratch = Buffer.allocUnsafe(4096);

function entryVarbinds(dev: DeviceModel, indexes: number[], now: number, pos: number): number {
  for (const i of indexes) {
    const entry = dev.tree.entries[i];
    pos = writeVarbind(vbScratch, pos, entry.tlv, (p) => dev.writeValue(entry, now, vbScratch, p));
  }
  return pos;
}

/** An SNMPv2-Trap message (version 2c). */
export function encodeTrapV2(dev: DeviceModel, community: Buffer, kind: TrapKind, ifIndex: number, now: number, requestId: number): Buffer {
  const links = linkEntries(dev, kind, ifIndex);
  let pos = writeVarbind(vbScratch, 0, SYS_UPTIME_0, (p) => writeUnsigned(vbScratch, p, Tag.TimeTicks, dev.uptimeTicks(now)));
  const trapTlv = encodeOid([...SNMP_TRAPS, GENERIC[kind] + 1]);
  pos = writeVarbind(vbScratch, pos, SNMP_TRAP_OID_0, (p) => { trapTlv.copy(vbScratch, p); return p + trapTlv.length; });
  pos = entryVarbinds(dev, links, now, pos);
  return encodeMessage({
    version: 1, community, pduType: Tag.TrapV2, requestId: requestIdBytes(requestId),
    errorStatus: 0, errorIndex: 0, varbinds: vbScratch, varbindsLength: pos,
  });
}

/** An SNMPv1 Trap-PDU message (RFC 1157 §4.1.6). `agentAddr` is the device's IPv4 address. */
export function encodeTrapV1(dev: DeviceModel, community: Buffer, kind: TrapKind, ifIndex: number, now: number, agentAddr: string): Buffer {
  const links = linkEntries(dev, kind, ifIndex);
  const vbLen = entryVarbinds(dev, links, now, 0);
  const addr = /^\d+\.\d+\.\d+\.\d+$/.test(agentAddr) ? agentAddr.split('.').map(Number) : [0, 0, 0, 0];
  const body = Buffer.allocUnsafe(ENTERPRISE_TLV.length + 6 + 3 + 3 + 7 + 4 + vbLen);
  let p = 0;
  ENTERPRISE_TLV.copy(body, p);
  p += ENTERPRISE_TLV.length;
  p = writeBytes(body, p, Tag.IpAddress, Buffer.from(addr));
  p = writeUnsigned(body, p, Tag.Integer, GENERIC[kind]);
  p = writeUnsigned(body, p, Tag.Integer, 0);
  p = writeUnsigned(body, p, Tag.TimeTicks, dev.uptimeTicks(now));
  body[p++] = Tag.Sequence;
  p = writeLength(body, p, vbLen);
  vbScratch.copy(body, p, 0, vbLen);
  p += vbLen;
  const pdu = wrap(Tag.TrapV1, body.subarray(0, p));
  const version = Buffer.from([Tag.Integer, 1, 0]);
  const comm = Buffer.allocUnsafe(1 + lengthSize(community.length) + community.length);
  writeBytes(comm, 0, Tag.OctetString, community);
  return wrap(Tag.Sequence, Buffer.concat([version, comm, pdu]));
}

function wrap(tag: number, content: Buffer): Buffer {
  const head = Buffer.allocUnsafe(1 + lengthSize(content.length));
  head[0] = tag;
  writeLength(head, 1, content.length);
  return Buffer.concat([head, content]);
}

/** The socket a v3 trap leaves from (the device's own). */
export interface TrapSocket {
  send(buf: Buffer, offset: number, length: number, port: number, address: string, cb: (err: Error | null) => void): void;
}

/** Sends an SNMPv3 trap with net-snmp, from the device's socket and engine ID. */
export function sendTrapV3(
  dev: DeviceModel, socket: TrapSocket, target: { host: string; port: number }, transport: 'udp4' | 'udp6',
  user: V3User, engineID: Buffer, kind: TrapKind, ifIndex: number, now: number,
): Promise<void> {
  const links = linkEntries(dev, kind, ifIndex);
  const varbinds = links.map((i) => {
    const entry = dev.tree.entries[i];
    // ifIndex, ifAdminStatus and ifOperStatus are all INTEGERs.
    return { oid: entry.oid, type: snmp.ObjectType.Integer, value: dev.valueOf(entry, now).value };
  });
  return new Promise((resolve, reject) => {
    let session: any;
    const standIn = {
      on() { return standIn; },
      bind() { return standIn; },
      close() { /* the device owns the socket */ },
      unref() { return standIn; },
      ref() { return standIn; },
      address() { return { address: '', family: 'IPv4', port: 0 }; },
      send(buf: Buffer, offset: number, length: number, port: number, address: string, cb: (err: Error | null) => void) {
        socket.send(buf, offset, length, port, address, cb);
      },
    };
    try {
      session = snmp.createV3Session(target.host, toNetSnmpUser(user), {
        trapPort: target.port, transport, engineID, dgramModule: { createSocket: () => standIn },
      });
      session.on('error', () => { /* reported through the trap callback */ });
      session.trap(trapOid(kind), varbinds, { upTime: dev.uptimeTicks(now) }, (err: Error | null) => {
        session.close();
        if (err) reject(err);
        else resolve();
      });
    } catch (err) {
      reject(err);
    }
  });
}
