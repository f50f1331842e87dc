/**
 * A hostile SNMPv3 "agent" for tests (issue 14, defect 1): it answers every v3 request
 * with an unauthenticated Report (msgFlags 0) carrying engine boots 0 and time 0, by
 * default from a fresh random engine ID each time. Anyone able to answer from an agent's
 * address can do this; net-snmp 3.29.2 takes boots 0 / time 0 as "time sync needed" and
 * re-sends at once, without end.
 */
import * as crypto from 'crypto';
import * as dgram from 'dgram';
import { int, octets, oid, seq, tlv } from './fake-agent';

/** usmStats OIDs (RFC 3414 §5) a Report may carry. */
export const USM_UNKNOWN_ENGINE_IDS = '1.3.6.1.6.3.15.1.1.4.0';
export const USM_NOT_IN_TIME_WINDOWS = '1.3.6.1.6.3.15.1.1.2.0';

export interface HostileV3Options {
  /** 'fresh' (default): a new random engine ID in every Report; or a fixed one. */
  engineId?: 'fresh' | Buffer;
  /** The usmStats varbind of the Report (default usmStatsUnknownEngineIDs.0). */
  reportOid?: string;
  boots?: number;
  time?: number;
  /** Answer this many ms after each request (default at once). */
  delayMs?: number;
  host?: string;
}

export interface HostileV3Agent {
  port: number;
  /** Datagrams received (each answered with one Report when it parsed as v3). */
  requests: number;
  /** Distinct engine IDs sent so far. */
  readonly engineIds: Set<string>;
  /** Resolves once `n` requests have arrived (or at once when they have). */
  waitForRequests(n: number): Promise<void>;
  close(): Promise<void>;
}

/** msgID and user name of an SNMPv3 message, or undefined when it is not one. */
export function parseV3Header(buf: Buffer): { msgId: number; userName: Buffer } | undefined {
  let i = 0;
  const readLen = (): number => {
    let l = buf[i++];
    if (l & 0x80) {
      const n = l & 0x7f;
      l = 0;
      for (let k = 0; k < n; k++) l = l * 256 + buf[i++];
    }
    return l;
  };
  // `i += readLen()` would add to the i read before readLen moved it
  const skip = (): void => {
    const l = readLen();
    i += l;
  };
  const readInt = (): number => {
    if (buf[i++] !== 0x02) throw new Error('not an INTEGER');
    const l = readLen();
    let v = 0;
    for (let k = 0; k < l; k++) v = v * 256 + buf[i++];
    return v;
  };
  try {
    if (buf[i++] !== 0x30) return undefined;
    readLen();
    if (readInt() !== 3) return undefined;
    if (buf[i++] !== 0x30) return undefined;
    readLen();
    const msgId = readInt();
    readInt(); // msgMaxSize
    if (buf[i++] !== 0x04) return undefined;
    skip(); // msgFlags
    readInt(); // msgSecurityModel
    if (buf[i++] !== 0x04) return undefined; // msgSecurityParameters OCTET STRING
    readLen();
    if (buf[i++] !== 0x30) return undefined;
    readLen();
    if (buf[i++] !== 0x04) return undefined;
    skip(); // msgAuthoritativeEngineID
    readInt(); // boots
    readInt(); // time
    if (buf[i++] !== 0x04) return undefined;
    const l = readLen();
    const userName = buf.subarray(i, i + l);
    return { msgId, userName };
  } catch {
    return undefined;
  }
}

/** An unauthenticated SNMPv3 Report answering `msgId`. */
export function buildReport(msgId: number, userName: Buffer, engineId: Buffer, boots: number, time: number, reportOid: string, count: number): Buffer {
  const header = seq(int(msgId), int(65507), octets(Buffer.from([0])), int(3));
  const usm = seq(octets(engineId), int(boots), int(time), octets(userName), octets(''), octets(''));
  const pdu = tlv(0xa8, Buffer.concat([int(msgId), int(0), int(0), seq(seq(oid(reportOid), int(count, 0x41)))]));
  const scoped = seq(octets(engineId), octets(''), pdu);
  return seq(int(3), header, octets(usm), scoped);
}

export function startHostileV3Agent(options: HostileV3Options = {}): Promise<HostileV3Agent> {
  const reportOid = options.reportOid ?? USM_UNKNOWN_ENGINE_IDS;
  const boots = options.boots ?? 0;
  const time = options.time ?? 0;
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const engineIds = new Set<string>();
    const timers = new Set<NodeJS.Timeout>();
    const waiters: Array<{ n: number; resolve: () => void }> = [];
    let closed = false;
    const agent: HostileV3Agent = {
      port: 0,
      requests: 0,
      engineIds,
      waitForRequests: (n) => new Promise((r) => {
        if (agent.requests >= n) r();
        else waiters.push({ n, resolve: r });
      }),
      close: () => new Promise((r) => {
        closed = true;
        for (const t of timers) clearTimeout(t);
        sock.close(() => r());
      }),
    };
    sock.on('message', (msg, rinfo) => {
      agent.requests++;
      for (const w of waiters.splice(0)) {
        if (agent.requests >= w.n) w.resolve();
        else waiters.push(w);
      }
      const header = parseV3Header(msg);
      if (!header) return;
      // RFC 3411 §5: an engine ID is 5 to 32 octets; enterprise format, random tail
      const engineId = options.engineId === undefined || options.engineId === 'fresh'
        ? Buffer.concat([Buffer.from([0x80, 0x00, 0x1f, 0x88, 0x04]), crypto.randomBytes(8)])
        : options.engineId;
      engineIds.add(engineId.toString('hex'));
      const report = buildReport(header.msgId, header.userName, engineId, boots, time, reportOid, agent.requests);
      if (!options.delayMs) {
        sock.send(report, rinfo.port, rinfo.address);
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!closed) sock.send(report, rinfo.port, rinfo.address);
      }, options.delayMs);
      timers.add(timer);
    });
    sock.bind(0, options.host ?? '127.0.0.1', () => {
      agent.port = sock.address().port;
      resolve(agent);
    });
  });
}
