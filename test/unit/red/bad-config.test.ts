/**
 * The adapter's one bad-configuration rule and the property readers it reports for,
 * with the fake node (whose locale text keeps the variables, unlike the test helper's).
 */
import { strict as assert } from 'assert';
import { refuseConfiguration } from '../../../src/lib/red/bad-config';
import { PollNode } from '../../../src/lib/red/poll-node';
import { bool, decimal, duration, integer, oneOf, positive, PropertyError } from '../../../src/lib/common/properties';
import { fakeNode } from '../../support/fakes';

describe('bad configuration rule', () => {
  it('a red ring naming the property, one error line, done(err) for every input', () => {
    const f = fakeNode();
    const handlers: Array<(msg: unknown, send: unknown, done: (err?: Error) => void) => void> = [];
    refuseConfiguration(f, new PropertyError('scale', 'scale must be a number above 0 (got "eight")'), { on: (_e, h) => handlers.push(h) });
    assert.deepEqual(f.statuses, [{ fill: 'red', shape: 'ring', text: 'status.bad-property {"property":"scale"}' }]);
    assert.deepEqual(f.errors, ['errors.bad-property {"error":"scale must be a number above 0 (got \\"eight\\")"}']);
    assert.equal(handlers.length, 1);
    const errs: Array<Error | undefined> = [];
    handlers[0]({}, () => undefined, (e) => errs.push(e));
    handlers[0]({}, () => undefined, (e) => errs.push(e));
    assert.deepEqual(errs.map((e) => e?.message), ['scale must be a number above 0 (got "eight")', 'scale must be a number above 0 (got "eight")']);
  });

  it('names "configuration" for an error that is not about one property', () => {
    const f = fakeNode();
    refuseConfiguration(f, new Error('broken'));
    assert.equal(f.statuses[0].text, 'status.bad-property {"property":"configuration"}');
  });

  it('a poll node whose snmp-config is invalid ends every input with the config reason', async () => {
    const f = fakeNode();
    const node = new PollNode(f, { profile: undefined, configError: 'port must be a whole number from 1 to 65535', engine: () => { throw new Error('no engine'); }, mib: () => undefined }, { kind: 'get', oidText: 'sysUpTime.0' });
    assert.deepEqual(f.statuses.at(-1), { fill: 'red', shape: 'ring', text: 'status.bad-config' });
    const errs: Array<Error | undefined> = [];
    node.input({ payload: 1 }, () => undefined, (e) => errs.push(e));
    assert.equal(errs[0]?.message, 'errors.bad-config {"error":"port must be a whole number from 1 to 65535"}');
    await node.close();
  });
});

describe('property readers', () => {
  it('use the default when blank and name the property when wrong', () => {
    assert.equal(integer('port', '', 161, 1, 65535), 161);
    assert.equal(integer('port', ' 1161 ', 161, 1, 65535), 1161);
    assert.equal(decimal('backoff', '1.5', 1, 1, 10), 1.5);
    assert.equal(positive('scale', 8, 1), 8);
    assert.equal(oneOf('mode', undefined, ['rate', 'delta'] as const, 'rate'), 'rate');
    assert.equal(bool('routingKeyInBody', 'false', true), false);
    assert.equal(bool('routingKeyInBody', undefined, true), true);
    assert.equal(duration('repeat', '5m', 0), 300);
    const cases: Array<[() => unknown, string, RegExp]> = [
      [() => integer('port', '1.5', 161, 1, 65535), 'port', /^port must be a whole number from 1 to 65535$/],
      [() => integer('port', '0', 161, 1, 65535), 'port', /port/],
      [() => decimal('backoff', 'NaN', 1, 1, 10), 'backoff', /^backoff must be a number from 1 to 10$/],
      [() => positive('scale', '-8', 1), 'scale', /^scale must be a number above 0 \(got "-8"\)$/],
      [() => oneOf('mode', 'avg', ['rate', 'delta'] as const, 'rate'), 'mode', /^mode must be one of rate, delta \(got "avg"\)$/],
      [() => bool('flag', 'yes', true), 'flag', /true or false/],
      [() => duration('repeat', '5 fortnights', 0), 'repeat', /^repeat: "5 fortnights" is not a duration/],
    ];
    for (const [fn, property, message] of cases) {
      assert.throws(fn, (err: unknown) => err instanceof PropertyError && err.property === property && message.test(err.message));
    }
  });

  it('quotes hostile text short and without control characters', () => {
    assert.throws(() => oneOf('mode', `x\u0000\n${'y'.repeat(500)}`, ['rate'] as const, 'rate'), (err: Error) => !/[\u0000\n]/.test(err.message) && err.message.length < 120);
  });
});
