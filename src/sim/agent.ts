/**
 * The request processor shared by every simulated device: RFC 3416 Get, GetNext,
 * GetBulk and Set semantics over a device's tree, writing the answer's varbinds into
 * one process-wide scratch buffer, then one Buffer per answer for v1/v2c (the v3 path
 * converts the same result into net-snmp varbinds).
 */
import {
  CommunityRequest, ErrorStatus, Tag, encodeMessage, encodeOid, lengthSize, messageOverhead,
  requestIdBytes, requestIdValue, writeLength,
} from './ber';
import { DeviceModel, MalformedKind, unitHash } from './device';
import { findExact, findNext, isKnownObject, type TreeEntry } from './tree';

/** Largest UDP payload over IPv4 (65535 - 8 - 20): the cap of any answer. */
export const MAX_UDP_PAYLOAD = 65507;
/**
 * Default max message size of a simulated agent: the UDP maximum, as Debian's snmpd
 * answers (it caps GETBULK by varbind count, not by an Ethernet MTU). Devices with a
 * small agent buffer are simulated with `maxMessageSize: 1472`.
 */
export const DEFAULT_MAX_MESSAGE_SIZE = MAX_UDP_PAYLOAD;

// A varbind is at most a 128-arc OID (~650 bytes) plus a 255-byte string; the
// scratch holds a full 64 KiB answer plus one varbind past the budget.
const scratch = Buffer.allocUnsafe(MAX_UDP_PAYLOAD + 4096);

/** The varbinds of the last answer, for the v3 path: an entry index, or an exception. */
let items = new Int32Array(1024);
let itemArcs: Array<readonly number[] | null> = new Array(1024).fill(null);
let itemCount = 0;

export interface PduResult {
  errorStatus: number;
  /** 1-based, 0 when no error. */
  errorIndex: number;
  /** Bytes of encoded varbinds in the scratch buffer. */
  length: number;
  /** Number of varbinds (items()). */
  count: number;
  /** Error answers carry the request's varbinds (RFC 1157 §4.1.2-4.1.5, RFC 3416 §4.2.5). */
  echoRequest: boolean;
}

/** What the last processPdu answered, varbind by varbind (valid until the next call). */
export function resultItems(): { count: number; entry: Int32Array; arcs: Array<readonly number[] | null> } {
  return { count: itemCount, entry: items, arcs: itemArcs };
}

function record(entryOrException: number, arcs: readonly number[] | null): void {
  if (itemCount === items.length) {
    const grown = new Int32Array(items.length * 2);
    grown.set(items);
    items = grown;
    itemArcs = itemArcs.concat(new Array(itemArcs.length).fill(null));
  }
  items[itemCount] = entryOrException;
  itemArcs[itemCount] = arcs;
  itemCount++;
}

/** Writes SEQUENCE { oid, value } for a tree entry at pos; returns the new position. */
function putEntry(dev: DeviceModel, entryIndex: number, entry: TreeEntry, now: number, pos: number): number {
  const tlv = entry.tlv;
  let p = pos + 2; // assume a one-byte length; shifted below in the rare long case
  for (let i = 0; i < tlv.length; i++) scratch[p++] = tlv[i];
  p = dev.writeValue(entry, now, scratch, p);
  record(entryIndex, null);
  return closeVarbind(pos, p);
}

/** Writes SEQUENCE { oid, exception } (noSuchObject, noSuchInstance, endOfMibView). */
function putException(arcs: readonly number[], tag: number, pos: number): number {
  const tlv = encodeOid(arcs);
  let p = pos + 2;
  for (let i = 0; i < tlv.length; i++) scratch[p++] = tlv[i];
  scratch[p++] = tag;
  scratch[p++] = 0;
  record(-tag, arcs);
  return closeVarbind(pos, p);
}

function closeVarbind(pos: number, end: number): number {
  const content = end - pos - 2;
  scratch[pos] = Tag.Sequence;
  if (content < 0x80) {
    scratch[pos + 1] = content;
    return end;
  }
  const extra = lengthSize(content) - 1;
  scratch.copyWithin(pos + 2 + extra, pos + 2, end);
  writeLength(scratch, pos + 1, content);
  return end + extra;
}

function error(status: number, index: number): PduResult {
  return { errorStatus: status, errorIndex: index, length: 0, count: 0, echoRequest: true };
}

/**
 * Answers one PDU against `dev` at `now`, within `budget` bytes of varbinds.
 * Returns null when the PDU gets no answer at all (GetBulk in SNMPv1, unknown PDU types).
 */
export function processPdu(
  dev: DeviceModel, pduType: number, oids: number[][], nonRepeaters: number, maxRepetitions: number,
  v1: boolean, budget: number, now: number,
): PduResult | null {
  itemCount = 0;
  const entries = dev.tree.entries;
  const total = entries.length;
  let pos = 0;

  if (pduType === Tag.GetRequest) {
    for (let i = 0; i < oids.length; i++) {
      const idx = findExact(dev.tree, oids[i]);
      // SNMPv1 cannot carry Counter64: such objects do not exist for it (RFC 3584 §4.2.2.1).
      if (idx >= 0 && !(v1 && entries[idx].counter64)) {
        pos = putEntry(dev, idx, entries[idx], now, pos);
      } else if (v1) {
        return error(ErrorStatus.noSuchName, i + 1);
      } else {
        pos = putException(oids[i], isKnownObject(dev.tree, oids[i]) ? Tag.NoSuchInstance : Tag.NoSuchObject, pos);
      }
      if (pos > budget) break;
    }
    if (pos > budget) return v1 ? error(ErrorStatus.tooBig, 0) : { ...error(ErrorStatus.tooBig, 0), echoRequest: false };
    return { errorStatus: 0, errorIndex: 0, length: pos, count: itemCount, echoRequest: false };
  }

  if (pduType === Tag.GetNextRequest) {
    for (let i = 0; i < oids.length; i++) {
      let idx = findNext(dev.tree, oids[i]);
      if (v1) while (idx < total && entries[idx].counter64) idx++;
      if (idx < total) {
        pos = putEntry(dev, idx, entries[idx], now, pos);
      } else if (v1) {
        return error(ErrorStatus.noSuchName, i + 1);
      } else {
        pos = putException(oids[i], Tag.EndOfMibView, pos);
      }
      if (pos > budget) break;
    }
    if (pos > budget) return v1 ? error(ErrorStatus.tooBig, 0) : { ...error(ErrorStatus.tooBig, 0), echoRequest: false };
    return { errorStatus: 0, errorIndex: 0, length: pos, count: itemCount, echoRequest: false };
  }

  if (pduType === Tag.GetBulkRequest) {
    if (v1) return null;
    // RFC 3416 §4.2.3: N non-repeaters, then up to M repetitions of the R others. An
    // answer too big for the budget loses varbinds from its end instead of failing.
    const n = Math.min(nonRepeaters, oids.length);
    const r = oids.length - n;
    let last = 0;
    for (let i = 0; i < n; i++) {
      const idx = findNext(dev.tree, oids[i]);
      pos = idx < total ? putEntry(dev, idx, entries[idx], now, pos) : putException(oids[i], Tag.EndOfMibView, pos);
      if (pos > budget) return truncated(last);
      last = pos;
    }
    if (r > 0 && maxRepetitions > 0) {
      // cursor: the last entry answered in each column, -1 when the column had none.
      const cursor = new Int32Array(r).fill(-1);
      for (let rep = 0; rep < maxRepetitions; rep++) {
        let allEnded = true;
        for (let j = 0; j < r; j++) {
          const idx = rep === 0 ? findNext(dev.tree, oids[n + j]) : cursor[j] < 0 ? total : cursor[j] + 1;
          if (idx < total) {
            cursor[j] = idx;
            allEnded = false;
            pos = putEntry(dev, idx, entries[idx], now, pos);
          } else {
            // endOfMibView carries the name it could not go past (RFC 3416 §4.2.3).
            pos = putException(cursor[j] < 0 ? oids[n + j] : entries[cursor[j]].arcs, Tag.EndOfMibView, pos);
          }
          if (pos > budget) return truncated(last);
          last = pos;
        }
        if (allEnded) break;
      }
    }
    return { errorStatus: 0, errorIndex: 0, length: pos, count: itemCount, echoRequest: false };
  }

  if (pduType === Tag.SetRequest) {
    if (oids.length === 0) return { errorStatus: 0, errorIndex: 0, length: 0, count: 0, echoRequest: true };
    if (v1) return error(ErrorStatus.readOnly, 1);
    return error(findExact(dev.tree, oids[0]) >= 0 ? ErrorStatus.notWritable : ErrorStatus.noCreation, 1);
  }
  return null;

  function truncated(end: number): PduResult {
    // Drop the varbind that did not fit; with none left the answer is tooBig.
    itemCount--;
    if (end === 0) return { errorStatus: ErrorStatus.tooBig, errorIndex: 0, length: 0, count: 0, echoRequest: false };
    return { errorStatus: 0, errorIndex: 0, length: end, count: itemCount, echoRequest: false };
  }
}

/** Options of a community answer. */
export interface AnswerOptions {
  maxMessageSize: number;
  now: number;
  malformed: MalformedKind | null;
  /** Seed of the random malformed mode. */
  seed: number;
}

/**
 * Answers a decoded v1/v2c request: the Response datagram, or null when the device
 * stays silent (unknown PDU, GetBulk in v1). Counts error answers in the device stats.
 */
export function answerCommunity(dev: DeviceModel, req: CommunityRequest, o: AnswerOptions): Buffer | null {
  const v1 = req.version === 0;
  const budget = Math.min(o.maxMessageSize, MAX_UDP_PAYLOAD) - messageOverhead(req.community.length, req.requestId.length);
  const result = processPdu(dev, req.pduType, req.oids, req.nonRepeaters, req.maxRepetitions, v1, budget, o.now);
  if (!result) return null;
  if (result.errorStatus !== ErrorStatus.noError) dev.stats.errors++;
  const parts = {
    version: req.version,
    community: req.community,
    pduType: Tag.Response,
    requestId: req.requestId,
    errorStatus: result.errorStatus,
    errorIndex: result.errorIndex,
    varbinds: result.echoRequest ? req.varbindList : scratch,
    varbindsLength: result.echoRequest ? req.varbindList.length : result.length,
  };
  if (!o.malformed) return encodeMessage(parts);
  return malformedAnswer(parts, o.malformed, dev, o.seed);
}

function malformedAnswer(parts: Parameters<typeof encodeMessage>[0], kind: MalformedKind, dev: DeviceModel, seed: number): Buffer {
  const id = requestIdValue(parts.requestId);
  switch (kind) {
    case 'truncated': {
      // Cut inside the varbinds: the headers promise more than the datagram holds.
      const whole = encodeMessage(parts);
      return Buffer.from(whole.subarray(0, Math.max(2, Math.floor(whole.length * 0.6))));
    }
    case 'bad-length':
      // The outer SEQUENCE matches the datagram, the PDU inside claims 13 bytes more.
      return encodeMessage({ ...parts, pduLengthLie: 13 });
    case 'wrong-type':
      // The request-id arrives as an OCTET STRING instead of an INTEGER.
      return encodeMessage({ ...parts, requestIdTag: Tag.OctetString });
    case 'reqid5': {
      // Same value in five content bytes: net-snmp's 32-bit reader throws on it.
      const bytes = Buffer.alloc(5, id < 0 ? 0xff : 0);
      bytes.writeInt32BE(id, 1);
      return encodeMessage({ ...parts, requestId: bytes });
    }
    case 'wrong-reqid':
      return encodeMessage({ ...parts, requestId: requestIdBytes((id + 1) | 0) });
    case 'wrong-community':
      return encodeMessage({ ...parts, community: Buffer.concat([Buffer.from('x-'), parts.community]) });
    default: {
      const n = dev.stats.requests;
      const len = 8 + Math.floor(unitHash(seed, dev.index, n, 7) * 192);
      const bytes = Buffer.allocUnsafe(len);
      for (let i = 0; i < len; i++) bytes[i] = Math.floor(unitHash(seed, dev.index, n, 1000 + i) * 256);
      return bytes;
    }
  }
}
