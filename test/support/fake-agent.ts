/**
 * A hostile SNMP "agent" for tests: answers each v1/v2c request with a datagram built
 * by a chosen mode (valid, truncated, bad length, unknown type, 5-byte request-id,
 * random bytes...), keeping the request-id where the mode allows so the client parses it.
 */
import * as dgram from 'dgram';

// --- minimal BER ---------------------------------------------------------------
function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) { bytes.unshift(n & 0xff); n >>= 8; }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(content.length), content]);
}
export function int(n: number, tag = 0x02): Buffer {
  const bytes: number[] = [];
  let v = n;
  do { bytes.unshift(v & 0xff); v = Math.floor(v / 256); } while (v > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(tag, Buffer.from(bytes));
}
export function octets(s: string | Buffer, tag = 0x04): Buffer {
  return tlv(tag, Buffer.isBuffer(s) ? s : Buffer.from(s));
}
export function oid(text: string): Buffer {
  const arcs = text.split('.').map(Number);
  const out: number[] = [arcs[0] * 40 + arcs[1]];
  for (const a of arcs.slice(2)) {
    const enc: number[] = [a & 0x7f];
    let v = Math.floor(a / 128);
    while (v > 0) { enc.unshift((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
    out.push(...enc);
  }
  return tlv(0x06, Buffer.from(out));
}
export function seq(...parts: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(parts));
}

/** A v1/v2c request as the fake agents read it. */
export interface ParsedRequest {
  version: number;
  community: string;
  pduType: number;
  reqId: Buffer;
  /** error-status, or non-repeaters of a GETBULK. */
  nonRepeaters: number;
  /** error-index, or max-repetitions of a GETBULK. */
  maxRepetitions: number;
  oids: string[];
}

function decodeOid(content: Buffer): string {
  const arcs: number[] = [];
  let v = 0;
  for (let k = 0; k < content.length; k++) {
    v = v * 128 + (content[k] & 0x7f);
    if (!(content[k] & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

/** Reads version, community, PDU type, request-id, the two PDU integers and the OIDs of a v1/v2c request. */
export function parseRequest(buf: Buffer): ParsedRequest | undefined {
  try {
    let i = 0;
    const readLen = (): number => {
      let l = buf[i++];
      if (l & 0x80) { const n = l & 0x7f; l = 0; for (let k = 0; k < n; k++) l = l * 256 + buf[i++]; }
      return l;
    };
    if (buf[i++] !== 0x30) return undefined;
    readLen();
    if (buf[i++] !== 0x02) return undefined;
    let l = readLen();
    const version = buf[i]; i += l;
    if (buf[i++] !== 0x04) return undefined;
    l = readLen();
    const community = buf.subarray(i, i + l).toString(); i += l;
    const pduType = buf[i++];
    readLen();
    if (buf[i++] !== 0x02) return undefined;
    l = readLen();
    const reqId = buf.subarray(i, i + l); i += l;
    const readInt = (): number => {
      if (buf[i++] !== 0x02) throw new Error('not an INTEGER');
      const n = readLen();
      let v = 0;
      for (let k = 0; k < n; k++) v = v * 256 + buf[i++];
      return v;
    };
    const nonRepeaters = readInt();
    const maxRepetitions = readInt();
    const oids: string[] = [];
    if (buf[i++] !== 0x30) return undefined;
    const end = readLen() + i;
    while (i < end) {
      if (buf[i++] !== 0x30) return undefined;
      const vbEnd = readLen() + i;
      if (buf[i++] !== 0x06) return undefined;
      const n = readLen();
      oids.push(decodeOid(buf.subarray(i, i + n)));
      i = vbEnd;
    }
    return { version, community, pduType, reqId, nonRepeaters, maxRepetitions, oids };
  } catch {
    return undefined;
  }
}

export type FakeMode = 'silent' | 'valid' | 'truncated' | 'bad-length' | 'wrong-type' | 'reqid5' | 'random' | 'empty' | 'wrong-community' | 'garbage-then-valid';

/** A response datagram; `o` sets another PDU type (a Report: 0xa8) or an error-status and index. */
export function response(version: number, community: string, reqId: Buffer, varbinds: Buffer, o: { pduType?: number; status?: number; index?: number } = {}): Buffer {
  const pdu = tlv(o.pduType ?? 0xa2, Buffer.concat([tlv(0x02, reqId), int(o.status ?? 0), int(o.index ?? 0), seq(varbinds)]));
  return seq(int(version), octets(community), pdu);
}

export function build(mode: FakeMode, req: NonNullable<ReturnType<typeof parseRequest>>): Buffer[] {
  const vb = seq(oid('1.3.6.1.2.1.1.3.0'), int(12345, 0x43));
  const valid = response(req.version, req.community, req.reqId, vb);
  switch (mode) {
    case 'silent': return [];
    case 'valid': return [valid];
    case 'truncated': return [valid.subarray(0, valid.length - 5)];
    case 'bad-length': { const b = Buffer.from(valid); b[1] = 0x7f; return [b]; }
    case 'wrong-type': return [response(req.version, req.community, req.reqId, seq(oid('1.3.6.1.2.1.1.3.0'), tlv(0x99, Buffer.from([1]))))];
    case 'reqid5': {
      // a 5-byte request-id: net-snmp's readInt32 throws from the socket handler
      const pdu = tlv(0xa2, Buffer.concat([tlv(0x02, Buffer.from([1, 0, 0, 0, 0])), int(0), int(0), seq(vb)]));
      return [seq(int(req.version), octets(req.community), pdu)];
    }
    case 'random': return [Buffer.from(Array.from({ length: 40 }, (_, k) => (k * 73 + 11) & 0xff))];
    case 'empty': return [Buffer.alloc(0)];
    case 'wrong-community': return [response(req.version, 'not-' + req.community, req.reqId, vb)];
    case 'garbage-then-valid': return [Buffer.from([0x30, 0x03, 0x02, 0x01]), valid];
  }
}

export interface FakeAgent {
  port: number;
  requests: number;
  setMode(m: FakeMode): void;
  close(): Promise<void>;
}

/** One varbind: an OID and its encoded value (e.g. `octets('eth0')`, `int(7, 0x41)`). */
export function varbind(oidText: string, value: Buffer): Buffer {
  return seq(oid(oidText), value);
}

export interface ScriptedAgent {
  port: number;
  requests: ParsedRequest[];
  close(): Promise<void>;
}

/**
 * An agent whose every answer is written by the test: `answer(request)` returns the
 * response's varbinds (each from `varbind()`), or null to stay silent.
 */
export function startScriptedAgent(answer: (req: ParsedRequest) => Buffer[] | null, host = '127.0.0.1'): Promise<ScriptedAgent> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const agent: ScriptedAgent = { port: 0, requests: [], close: () => new Promise((r) => sock.close(() => r())) };
    sock.on('message', (msg, rinfo) => {
      const req = parseRequest(msg);
      if (!req) return;
      agent.requests.push(req);
      const vbs = answer(req);
      if (vbs) sock.send(response(req.version, req.community, req.reqId, Buffer.concat(vbs)), rinfo.port, rinfo.address);
    });
    sock.bind(0, host, () => {
      agent.port = sock.address().port;
      resolve(agent);
    });
  });
}

/** An agent whose every datagram is written by the test: `answer(request, n)` (n counts from 1) returns it, or null for silence. */
export function startRawAgent(answer: (req: ParsedRequest, n: number) => Buffer | null, host = '127.0.0.1'): Promise<ScriptedAgent> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const agent: ScriptedAgent = { port: 0, requests: [], close: () => new Promise((r) => sock.close(() => r())) };
    sock.on('message', (msg, rinfo) => {
      const req = parseRequest(msg);
      if (!req) return;
      agent.requests.push(req);
      const out = answer(req, agent.requests.length);
      if (out) sock.send(out, rinfo.port, rinfo.address);
    });
    sock.bind(0, host, () => {
      agent.port = sock.address().port;
      resolve(agent);
    });
  });
}

export function startFakeAgent(mode: FakeMode, host = '127.0.0.1'): Promise<FakeAgent> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const agent: FakeAgent = {
      port: 0,
      requests: 0,
      setMode: (m) => { mode = m; },
      close: () => new Promise((r) => sock.close(() => r())),
    };
    sock.on('message', (msg, rinfo) => {
      agent.requests++;
      const req = parseRequest(msg);
      if (!req) return;
      for (const out of build(mode, req)) sock.send(out, rinfo.port, rinfo.address);
    });
    sock.bind(0, host, () => {
      agent.port = sock.address().port;
      resolve(agent);
    });
  });
}
