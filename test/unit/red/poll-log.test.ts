/** How the poll nodes name a device in their log lines (red/poll-node.ts). */
import { strict as assert } from 'assert';
import { deviceInLog } from '../../../src/lib/red/poll-node';

describe('poll nodes: a device in a log line', () => {
  it('names it with its address, without control characters, and cut at 100 characters', () => {
    assert.equal(deviceInLog({ host: '192.0.2.1', port: 161, name: 'core-1' }), 'core-1 (192.0.2.1:161)');
    assert.equal(deviceInLog({ host: 'fe80::1', port: 161, name: 'fe80::1' }), '[fe80::1]:161');
    // a name from a forged job: a NUL and a terminal escape, then 100,000 characters
    const evil = deviceInLog({ host: '127.0.0.1', port: 1, name: `evil\u0000\u001b[31mname${'x'.repeat(100000)}` });
    assert.ok(!/[\u0000-\u001f\u007f]/.test(evil), 'no control character');
    assert.ok(evil.startsWith('evil??[31mname'));
    assert.ok(evil.endsWith('... (127.0.0.1:1)'));
    assert.ok(evil.length < 130, `${evil.length} characters`);
  });
});
