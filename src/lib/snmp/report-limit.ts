/**
 * A bound on the SNMPv3 Reports one request may answer with a re-send.
 *
 * net-snmp re-sends a request whenever a Report arrives (RFC 3414 §4 discovery), and
 * when the Report says engine boots 0 and time 0 it allows yet another Report after
 * that. An agent, or anyone able to answer from its address, that replies to every
 * request with an unauthenticated Report carrying boots 0 and time 0 thus makes one
 * request re-send forever: about 10,000 datagrams a second, past the node's timeout and
 * the device's deadline (each re-send is a new request with its own timer). Issue 14,
 * defect 1.
 *
 * Discovery needs at most two Reports per request: unknownEngineID (the engine ID,
 * maybe with boots and time 0), then notInTimeWindow (boots and time, authenticated).
 * We allow three, then fail the request with an `auth` PollError that says why.
 */
import { PollError } from '../common/errors';

/** Re-sends one request may make on Reports; discovery needs two. */
export const MAX_REPORT_RESENDS = 3;

interface ReportTrail {
  resends: number;
  /** Engine IDs the Reports of this request named (hex). */
  engines: Set<string>;
}

/** What the session's last Report said (net-snmp keeps it on the session). */
interface SecurityParameters {
  msgAuthoritativeEngineID?: Buffer;
  msgAuthoritativeEngineBoots?: number;
  msgAuthoritativeEngineTime?: number;
}

/**
 * Wraps a net-snmp v3 Session so that each request re-sends at most
 * MAX_REPORT_RESENDS times on Reports. `onSend(pdu)` may amend every PDU sent (the
 * contextEngineID); `refused(responseCb)` tells a request its poll has given up on
 * (its deadline passed), which then sends nothing more.
 */
export function limitReportResends(session: any, hooks: { onSend?: (pdu: any) => void; refused?: (responseCb: unknown) => boolean } = {}): void {
  // Keyed by the request's PDU: net-snmp re-sends that same object after each Report.
  const trails = new WeakMap<object, ReportTrail>();
  const sendV3Req = session.sendV3Req;
  const sendV3Discovery = session.sendV3Discovery;

  session.sendV3Discovery = function (pdu: any, feedCb: unknown, responseCb: unknown, options: unknown) {
    trails.set(pdu, { resends: 0, engines: new Set() });
    return sendV3Discovery.call(this, pdu, feedCb, responseCb, options);
  };

  session.sendV3Req = function (pdu: any, feedCb: unknown, responseCb: (err: unknown) => void, options: unknown, port: unknown, allowReport: unknown) {
    if (hooks.refused?.(responseCb)) return;
    const trail = trails.get(pdu);
    if (trail === undefined) {
      // the first send of a request on a session that has discovered its engine
      trails.set(pdu, { resends: 0, engines: new Set() });
    } else {
      const params: SecurityParameters = this.msgSecurityParameters ?? {};
      if (Buffer.isBuffer(params.msgAuthoritativeEngineID)) trail.engines.add(params.msgAuthoritativeEngineID.toString('hex'));
      if (trail.resends >= MAX_REPORT_RESENDS) {
        responseCb(reportLoopError(trail, params));
        return;
      }
      trail.resends++;
    }
    hooks.onSend?.(pdu);
    return sendV3Req.call(this, pdu, feedCb, responseCb, options, port, allowReport);
  };
}

function reportLoopError(trail: ReportTrail, last: SecurityParameters): PollError {
  const reports = trail.resends + 1;
  const facts = [`engine boots ${last.msgAuthoritativeEngineBoots ?? '?'}, time ${last.msgAuthoritativeEngineTime ?? '?'}`];
  if (trail.engines.size > 1) facts.push(`${trail.engines.size} different engine IDs`);
  return new PollError(
    'auth',
    `SNMPv3 report loop: the agent answered ${reports} times in a row with a report instead of a response (${facts.join(', ')}); request abandoned`,
  );
}
