import { strict as assert } from 'assert';
import * as snmp from 'net-snmp';
import { classifyError, PollError } from '../../../src/lib/common/errors';

describe('error classification', () => {
  it('maps net-snmp errors to the five codes', () => {
    assert.equal(classifyError(new snmp.RequestTimedOutError('Request timed out'), { timeout: 500, retries: 1 }).code, 'timeout');
    assert.match(classifyError(new snmp.RequestTimedOutError('x'), { timeout: 500, retries: 1 }).message, /2 tries \(timeout 500 ms\)/);
    const failed = classifyError(new snmp.RequestFailedError('noSuchName: 1.3.6.1.2.1.1.9.0', 2), { requestOids: ['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.9.0'] });
    assert.deepEqual({ code: failed.code, status: failed.status, index: failed.index }, { code: 'snmp-error', status: 'noSuchName', index: 2 });
    assert.equal(classifyError(new snmp.ResponseInvalidError('unknownUserNames', snmp.ResponseInvalidCode.EAuthFailure)).code, 'auth');
    assert.match(classifyError(new snmp.ResponseInvalidError('wrongDigests', snmp.ResponseInvalidCode.EAuthFailure)).message, /wrong authentication key/);
    assert.equal(classifyError(new snmp.ResponseInvalidError('bad', snmp.ResponseInvalidCode.EBadVarbindList)).code, 'bad-response');
    assert.equal(classifyError(Object.assign(new Error('getaddrinfo ENOTFOUND nohost'), { code: 'ENOTFOUND' })).code, 'unreachable');
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'EHOSTUNREACH' })).code, 'unreachable');
    assert.equal(classifyError(new PollError('timeout', 'deadline')).message, 'deadline');
    assert.equal(classifyError('weird').code, 'bad-response');
  });

  it('never passes net-snmp text that quotes the community through', () => {
    const err = new snmp.ResponseInvalidError("Community 'TopSecret' in request does not match community 'other' in response", snmp.ResponseInvalidCode.ECommunityNoMatch);
    const f = classifyError(err);
    assert.equal(f.code, 'bad-response');
    assert.ok(!f.message.includes('TopSecret'));
  });
});
