/**
 * The pieces of snmp-spool's node that are plain functions: its properties read once,
 * and the failure text it logs and shows, which must never carry a webhook URL's secret
 * path. The node's behaviour is tested through Node-RED in test/flow/snmp-spool.test.ts.
 */
import { strict as assert } from 'assert';
import * as path from 'path';
import { failureStatus, failureText, spoolFolder, spoolSettings, statusInError, statusOutcome } from '../../../src/lib/red/spool-node';

describe('snmp-spool node pieces', () => {
  it('reads its properties with their defaults and units', () => {
    assert.deepEqual(spoolSettings({}), { maxInFlight: 4, ackTimeoutMs: 60000, retryMaxMs: 30000, maxMessages: 100000, maxBytes: 100_000_000, fsync: 'second' });
    const s = spoolSettings({ maxInFlight: '1', ackTimeout: '2m', retryMax: '90s', maxMessages: '50', maxSize: '0.5', fsync: 'message' });
    assert.deepEqual(s, { maxInFlight: 1, ackTimeoutMs: 120000, retryMaxMs: 90000, maxMessages: 50, maxBytes: 500_000, fsync: 'message' });
    assert.throws(() => spoolSettings({ retryMax: '0' }), /retryMax must be from 1 s/);
    assert.throws(() => spoolSettings({ fsync: 'always' }), (err: any) => err.property === 'fsync');
  });

  it('keeps each spool in its own folder under the user directory', () => {
    assert.equal(spoolFolder('/home/nr/.node-red', 'a1b2c3d4e5f60718'), path.join('/home/nr/.node-red', 'snmp-spool', 'a1b2c3d4e5f60718'));
    assert.equal(path.basename(spoolFolder('/u', '../../etc/x')), '_._.._etc_x', 'an id cannot leave the folder');
    assert.equal(spoolFolder('/u', '..'), path.join('/u', 'snmp-spool', '_.'));
  });

  it('shows failures without the path or query of URLs, on one short line', () => {
    assert.equal(failureText(new Error('getaddrinfo ENOTFOUND hooks.slack.com')), 'getaddrinfo ENOTFOUND hooks.slack.com');
    // a webhook whose path and query are the secret (a placeholder, not a real hook)
    const t = failureText({ message: 'POST https://webhook.example/services/PLACEHOLDER-PATH-TOKEN?token=PLACEHOLDER failed' });
    assert.equal(t, 'POST https://webhook.example/… failed');
    assert.doesNotMatch(failureText('http://user:pass@influx.example:8086/write?db=x&p=secret'), /pass|secret|user/);
    assert.equal(failureText('line one\nline two'), 'line one line two');
    assert.ok(failureText('x'.repeat(500)).length <= 200);
  });
  it('releases what the sink refuses for the message itself, and holds what waits for the sink or its credentials', () => {
    for (const code of ['200', '204', '301']) assert.equal(statusOutcome(code), 'ok', code);
    for (const code of ['400', '413', '414', '415', '422']) assert.equal(statusOutcome(code), 'refused', code);
    for (const code of ['', 'ECONNREFUSED', '401', '403', '404', '408', '429', '500', '503']) assert.equal(statusOutcome(code), 'retry', code);
  });

  it('reads the HTTP status a sink names in its error text only with its reason phrase', () => {
    // node-influx's RequestError (the InfluxDB 1.x node), and any error that says it so
    assert.equal(statusInError(new Error('A 400 Bad Request error occurred: {"error":"unable to parse \'snmp_system,site=,device=b up=1\': missing tag value"}')), '400');
    assert.equal(statusInError({ message: 'HttpError: 422 Unprocessable Entity : failure writing points' }), '422');
    assert.equal(statusInError('A 503 Service Unavailable error occurred'), '503');
    assert.equal(statusInError('connect ECONNREFUSED 127.0.0.1:8086'), '');
    assert.equal(statusInError('wrote 400 points to host 10.0.0.1'), '', 'a number without its phrase');
    assert.equal(statusInError('400 Bad Gateway'), '', 'a phrase that is not the code\'s');
    assert.equal(statusInError(undefined), '');
  });
  it('takes a failed write\'s status from the InfluxDB nodes\' msg.influx_error (1.x code, 2.x HttpError), else from the error text', () => {
    assert.equal(failureStatus({ influx_error: { statusCode: 400 }, error: { message: 'x' } }), '400');
    // the 2.x node keeps the client's HttpError, whose message is only InfluxDB's text
    assert.equal(failureStatus({ influx_error: { errorMessage: { statusCode: 422, message: 'partial write' } }, error: { message: 'HttpError: partial write' } }), '422');
    assert.equal(failureStatus({ influx_error: { statusCode: 503 } }), '503', 'the 1.x node\'s code for no answer at all');
    assert.equal(failureStatus({ error: { message: 'A 413 Payload Too Large error occurred' } }), '413');
    assert.equal(failureStatus({ influx_error: { statusCode: '400' }, error: { message: 'timeout' } }), '', 'only a number is a status');
    assert.equal(failureStatus({ error: { message: 'connect ECONNREFUSED' } }), '');
  });
});
