/**
 * The pieces of snmp-spool's node that are plain functions: its properties read once,
 * and the failure text it logs and shows, which must never carry a webhook URL's secret
 * path. The node's behaviour is tested through Node-RED in test/flow/snmp-spool.test.ts.
 */
import { strict as assert } from 'assert';
import * as path from 'path';
import { failureText, spoolFolder, spoolSettings } from '../../../src/lib/red/spool-node';

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
});
