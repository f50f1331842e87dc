/**
 * SNMPv3 for simulated devices: net-snmp's Agent does the USM work (discovery reports,
 * authentication, privacy, every auth × priv protocol) while the PDU is answered by the
 * simulator's own processor, so v3 devices expose exactly the tree v2c devices do.
 *
 * The Agent never binds a socket: it gets a stand-in dgram module, and the device's own
 * socket hands it datagrams (Agent.onMsg) and carries its answers.
 */
import '../lib/snmp/des'; // DES on Node 20 (OpenSSL 3 has no des-cbc) — before any v3 agent or session
import * as snmp from 'net-snmp';
import type { V3User } from '../lib/common/types';
import { toNetSnmpUser } from '../lib/snmp/v3-user';
import { counter64Content, parseOid } from './ber';
import { MAX_UDP_PAYLOAD, processPdu, resultItems } from './agent';
import type { DeviceModel } from './device';

/** Room for the v3 header, USM parameters (up to a 48-byte HMAC-SHA-512 tag) and padding. */
const V3_OVERHEAD = 260;

/** Where an answer datagram goes: the device decides (counting, malformed modes). */
export type SendFn = (buf: Buffer, port: number, address: string) => void;

/** A socket-shaped object for net-snmp: binds nothing, sends through the device. */
function standInSocket(send: SendFn) {
  return {
    on() { return this; },
    bind() { return this; },
    close(cb?: () => void) { if (cb) setImmediate(cb); },
    address() { return { address: '', family: 'IPv4', port: 0 }; },
    unref() { return this; },
    ref() { return this; },
    send(buf: Buffer, offset: number, length: number, port: number, address: string, cb?: (err: Error | null, n?: number) => void) {
      send(offset === 0 && length === buf.length ? buf : buf.subarray(offset, offset + length), port, address);
      if (cb) cb(null, length);
    },
  };
}

/** An engine ID for a device (RFC 3411 SnmpEngineID, enterprise 8072, octets format). */
export function deviceEngineId(seed: number, index: number): Buffer {
  const id = Buffer.alloc(13);
  Buffer.from([0x80, 0x00, 0x1f, 0x88, 0x05]).copy(id);
  id.writeUInt32BE(seed >>> 0, 5);
  id.writeUInt32BE(index >>> 0, 9);
  return id;
}

export interface V3Responder {
  /** Hands one v3 datagram to the USM layer; answers (if any) go out through `send`. */
  handle(buf: Buffer, rinfo: { address: string; port: number; family?: string; size?: number }): void;
}

export interface V3ResponderOptions {
  dev: DeviceModel;
  users: V3User[];
  engineID: Buffer;
  maxMessageSize: number;
  now: () => number;
  send: SendFn;
  /** Called with requests net-snmp refused (unknown user, bad digest, undecodable). */
  onReject: () => void;
}

/** Builds the v3 responder of one device. */
export function createV3Responder(o: V3ResponderOptions): V3Responder {
  const socket = standInSocket(o.send);
  const fakeDgram = { createSocket: () => standInSocket(o.send) };
  const agent = snmp.createAgent(
    { port: 161, dgramModule: fakeDgram, engineID: o.engineID },
    (err: unknown) => { if (err) o.onReject(); },
  );
  const authorizer = agent.getAuthorizer();
  for (const u of o.users) authorizer.addUser(toNetSnmpUser(u));

  const answer = (sock: unknown, message: any, rinfo: unknown) => {
    const pdu = message.pdu;
    const responsePdu = pdu.getResponsePduForRequest();
    let oids: number[][];
    try {
      oids = pdu.varbinds.map((v: { oid: string }) => parseOid(v.oid));
    } catch {
      o.onReject();
      return;
    }
    const now = o.now();
    const peerMax = message.msgGlobalData?.msgMaxSize || MAX_UDP_PAYLOAD;
    const budget = Math.min(o.maxMessageSize, peerMax, MAX_UDP_PAYLOAD) - V3_OVERHEAD;
    const result = processPdu(o.dev, pdu.type, oids, pdu.nonRepeaters ?? 0, pdu.maxRepetitions ?? 0, false, budget, now);
    if (!result) return;
    responsePdu.errorStatus = result.errorStatus;
    responsePdu.errorIndex = result.errorIndex;
    if (result.echoRequest) {
      responsePdu.varbinds = pdu.varbinds.map((v: { oid: string }) => ({ oid: v.oid, type: snmp.ObjectType.Null, value: null }));
    } else {
      const { count, entry, arcs } = resultItems();
      const entries = o.dev.tree.entries;
      const varbinds: Array<{ oid: string; type: number; value: unknown }> = new Array(count);
      for (let i = 0; i < count; i++) {
        const e = entry[i];
        if (e < 0) {
          varbinds[i] = { oid: arcs[i]!.join('.'), type: -e, value: null };
        } else {
          const v = o.dev.valueOf(entries[e], now);
          varbinds[i] = { oid: entries[e].oid, type: netSnmpType(v.type), value: netSnmpValue(v.type, v.value) };
        }
      }
      responsePdu.varbinds = varbinds;
    }
    if (result.errorStatus !== 0) o.dev.stats.errors++;
    agent.sendResponse(sock, rinfo, message, responsePdu);
  };
  agent.getRequest = answer;
  agent.getNextRequest = answer;
  agent.getBulkRequest = answer;
  agent.setRequest = answer;

  return {
    handle(buf, rinfo) {
      // onMsg contains net-snmp's own decode errors; a throw past it is still dropped here.
      try {
        agent.onMsg(socket, buf, rinfo);
      } catch {
        o.onReject();
      }
    },
  };
}

function netSnmpType(type: string): number {
  switch (type) {
    case 'Counter64': return snmp.ObjectType.Counter64;
    case 'OctetString': return snmp.ObjectType.OctetString;
    case 'OID': return snmp.ObjectType.OID;
    case 'Counter32': return snmp.ObjectType.Counter32;
    case 'Gauge32': return snmp.ObjectType.Gauge32;
    case 'TimeTicks': return snmp.ObjectType.TimeTicks;
    default: return snmp.ObjectType.Integer;
  }
}

function netSnmpValue(type: string, value: unknown): unknown {
  // net-snmp writes a Counter64 value as its raw content bytes.
  return type === 'Counter64' ? counter64Content(value as bigint) : value;
}

