/**
 * Error classification: every way a poll can fail becomes one of the five codes of
 * DESIGN.md with a message written here. net-snmp's own messages are never passed
 * through as they are: some quote the community string ("Community 'x' in request
 * does not match ...").
 */
import type { ErrorCode, PollFailure } from './types';

/** SNMP error-status names (RFC 3416 §3), index = error-status value. */
export const ERROR_STATUS_NAMES = [
  'noError', 'tooBig', 'noSuchName', 'badValue', 'readOnly', 'genErr', 'noAccess', 'wrongType',
  'wrongLength', 'wrongEncoding', 'wrongValue', 'noCreation', 'inconsistentValue',
  'resourceUnavailable', 'commitFailed', 'undoFailed', 'authorizationError', 'notWritable',
  'inconsistentName',
];

/**
 * USM statistics a v3 agent reports (RFC 3414 §5), by their name and by the words net-snmp
 * gives the Report's usmStats OID in its error ("Unknown User Name", "Wrong Digest (...)").
 */
const USM_REPORTS: Array<[RegExp, string]> = [
  [/unsupportedSecLevels|Unsupported Security Level/, 'the agent does not support this security level for the user'],
  [/notInTimeWindows|Not In Time Window/, 'message outside the agent\'s time window'],
  [/unknownUserNames|Unknown User Name/, 'unknown SNMPv3 user'],
  [/unknownEngineIDs|Unknown Engine ID/, 'unknown engine ID'],
  [/wrongDigests|Wrong Digest/, 'wrong authentication key or protocol (digest mismatch)'],
  [/decryptionErrors|Decryption Error/, 'decryption failed (wrong privacy key or protocol)'],
];

const UNREACHABLE_CODES = new Set([
  'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL',
  'ECONNREFUSED', 'EHOSTDOWN', 'ENETDOWN', 'EINVAL', 'EAFNOSUPPORT', 'EPERM', 'EACCES',
]);

/** A failure with its classification, raised inside the engine. */
export class PollError extends Error {
  readonly code: ErrorCode;
  readonly status?: string;
  readonly index?: number;
  constructor(code: ErrorCode, message: string, extra: { status?: string; index?: number } = {}) {
    super(message);
    this.name = 'PollError';
    this.code = code;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.index !== undefined) this.index = extra.index;
  }
  toFailure(): PollFailure {
    const f: PollFailure = { code: this.code, message: this.message };
    if (this.status !== undefined) f.status = this.status;
    if (this.index !== undefined) f.index = this.index;
    return f;
  }
}

/** Context for messages: what the request was, without any secret. */
export interface ClassifyContext {
  timeout?: number;
  retries?: number;
  /** OIDs of the request, to turn net-snmp's "status: oid" into an error-index. */
  requestOids?: string[];
}

/**
 * Turns anything thrown or called back by net-snmp (or our own code) into a
 * PollFailure. Never copies a net-snmp message that might hold a secret.
 */
export function classifyError(err: unknown, ctx: ClassifyContext = {}): PollFailure {
  if (err instanceof PollError) return err.toFailure();
  const e = (err ?? {}) as { name?: string; message?: string; code?: unknown; status?: unknown };
  const name = e.name ?? '';
  const message = typeof e.message === 'string' ? e.message : '';

  if (name === 'RequestTimedOutError') {
    const tries = (ctx.retries ?? 0) + 1;
    return {
      code: 'timeout',
      message: ctx.timeout !== undefined
        ? `no response after ${tries} ${tries === 1 ? 'try' : 'tries'} (timeout ${ctx.timeout} ms)`
        : 'no response (request timed out)',
    };
  }
  if (name === 'RequestFailedError') {
    const statusNum = typeof e.status === 'number' ? e.status : NaN;
    const status = ERROR_STATUS_NAMES[statusNum] ?? message.split(':')[0] ?? 'genErr';
    const failure: PollFailure = { code: 'snmp-error', message: `agent answered ${status}`, status };
    const oid = message.includes(': ') ? message.slice(message.indexOf(': ') + 2).trim() : '';
    if (oid && ctx.requestOids) {
      const at = ctx.requestOids.indexOf(oid);
      if (at >= 0) failure.index = at + 1;
    }
    if (oid && /^[\d.]+$/.test(oid)) failure.message += ` for ${oid}`;
    return failure;
  }
  if (name === 'ResponseInvalidError') {
    const code = typeof e.code === 'number' ? e.code : -1;
    // net-snmp's ResponseInvalidCode: 4 ECouldNotDecrypt, 5 EAuthFailure, 14 ENotInTimeWindow
    if (code === 5) {
      const usm = USM_REPORTS.find(([words]) => words.test(message));
      return { code: 'auth', message: usm ? usm[1] : 'SNMPv3 authentication failed' };
    }
    if (code === 4) return { code: 'auth', message: 'decryption failed (wrong privacy key or protocol)' };
    if (code === 14) return { code: 'auth', message: 'message outside the SNMPv3 time window' };
    if (message.startsWith('Authentication digest')) return { code: 'auth', message: 'wrong authentication key or protocol (digest mismatch)' };
    if (message.startsWith('Failed to decrypt')) return { code: 'auth', message: 'decryption failed (wrong privacy key or protocol)' };
    if (code === 10) return { code: 'bad-response', message: 'response community does not match the request' };
    return { code: 'bad-response', message: `malformed response (${RESPONSE_INVALID[code] ?? 'unparseable'})` };
  }
  const sysCode = typeof e.code === 'string' ? e.code : '';
  // our own text (src/lib/snmp/udp-mux.ts): the source address and the code, no secret
  if (name === 'SocketBindError') return { code: 'unreachable', message };
  if (UNREACHABLE_CODES.has(sysCode)) {
    return { code: 'unreachable', message: sysCode === 'ENOTFOUND' || sysCode.startsWith('EAI_') ? 'host name does not resolve' : `network error ${sysCode}` };
  }
  if (message === 'Socket forcibly closed') return { code: 'unreachable', message: 'session closed' };
  return { code: 'bad-response', message: 'malformed response' };
}

const RESPONSE_INVALID: Record<number, string> = {
  1: 'IP address is not 4 octets',
  2: 'unknown value type',
  3: 'unknown PDU type',
  6: 'response OID does not match the request',
  8: 'OIDs out of order',
  9: 'SNMP version does not match the request',
  11: 'unexpected report',
  12: 'response not handled',
  13: 'unexpected response',
  15: 'bad varbind list',
};
