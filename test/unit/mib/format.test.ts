import { strict as assert } from 'assert';
import fc from 'fast-check';
import {
  applyOctetHint, formatDateAndTime, formatInetAddress, formatIntegerByHint, formatIpv6, formatHex,
} from '../../../src/lib/mib';
import { formatOctetsByInfo } from '../../../src/lib/mib/format';

const hex = (s: string) => Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');

describe('mib format: DISPLAY-HINT octet formats (RFC 2579 §3.1)', () => {
  it('renders the common hints', () => {
    assert.equal(applyOctetHint('1x:', hex('0011aabbccdd')), '00:11:aa:bb:cc:dd');
    assert.equal(applyOctetHint('255a', Buffer.from('eth0')), 'eth0');
    assert.equal(applyOctetHint('255a', Buffer.from('eth0\0\0')), 'eth0', 'trailing NUL padding dropped');
    assert.equal(applyOctetHint('255t', Buffer.from('Zoë ✓', 'utf8')), 'Zoë ✓');
    assert.equal(applyOctetHint('1d.1d.1d.1d', Buffer.from([10, 0, 0, 254])), '10.0.0.254');
    assert.equal(applyOctetHint('2x:', hex('fe800000')), 'fe80:0000');
    assert.equal(applyOctetHint('4d', hex('000186a0')), '100000');
    assert.equal(applyOctetHint('1o', Buffer.from([8, 9])), '1011', 'the last spec repeats');
    assert.equal(applyOctetHint('8d', hex('ffffffffffffffff')), '18446744073709551615');
  });

  it('handles the repeat indicator and terminator', () => {
    // '*' takes a count octet; the terminator replaces the separator after the last repeat.
    assert.equal(applyOctetHint('*1d.:1d', Buffer.from([3, 10, 20, 30, 7])), '10.20.30:7');
    assert.equal(applyOctetHint('*1x:', Buffer.from([2, 0xab, 0xcd])), 'ab:cd');
  });

  it('renders the DateAndTime hint literally and stops on short data', () => {
    assert.equal(applyOctetHint('2d-1d-1d,1d:1d:1d.1d,1a1d:1d', Buffer.from([0x07, 0xe8, 5, 6, 7, 8, 9, 5, 0x2b, 2, 0])), '2024-5-6,7:8:9.5,+2:0');
    assert.equal(applyOctetHint('2d-1d-1d', Buffer.from([0x07])), '7');
  });

  it('rejects hints that are not octet formats', () => {
    assert.equal(applyOctetHint('d-2', Buffer.from([1])), undefined);
    assert.equal(applyOctetHint('', Buffer.from([1])), undefined);
    assert.equal(applyOctetHint('1q', Buffer.from([1])), undefined);
  });

  it('never throws and always terminates on any hint and data (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 12 }), fc.uint8Array({ maxLength: 64 }), (hint, bytes) => {
      const s = applyOctetHint(hint, Buffer.from(bytes));
      assert.ok(s === undefined || typeof s === 'string');
    }), { numRuns: 1000 });
    fc.assert(fc.property(fc.constantFrom('1x:', '255a', '*1d.:1d', '2d-1d', '1d.1d.1d.1d/1d', '0a', '*0x,'), fc.uint8Array({ maxLength: 64 }), (hint, bytes) => {
      assert.equal(typeof applyOctetHint(hint, Buffer.from(bytes)), 'string');
    }), { numRuns: 500 });
  });
});

describe('mib format: integers, dates, addresses', () => {
  it('renders integer hints', () => {
    assert.equal(formatIntegerByHint('d-2', 1234), '12.34');
    assert.equal(formatIntegerByHint('d-2', 5), '0.05');
    assert.equal(formatIntegerByHint('d-1', -5), '-0.5');
    assert.equal(formatIntegerByHint('d', 42), '42');
    assert.equal(formatIntegerByHint('x', 255), 'ff');
    assert.equal(formatIntegerByHint('o', 8), '10');
    assert.equal(formatIntegerByHint('b', 5), '101');
    assert.equal(formatIntegerByHint('d-3', 18446744073709551615n), '18446744073709551.615');
    assert.equal(formatIntegerByHint('1x:', 5), undefined);
    assert.equal(formatIntegerByHint('d', 1.5), undefined);
  });

  it('renders DateAndTime as ISO 8601', () => {
    assert.equal(formatDateAndTime(Buffer.from([0x07, 0xe8, 1, 2, 3, 4, 5, 6])), '2024-01-02T03:04:05.6');
    assert.equal(formatDateAndTime(Buffer.from([0x07, 0xe8, 1, 2, 3, 4, 5, 6, 0x2b, 0, 0])), '2024-01-02T03:04:05.6+00:00');
    assert.equal(formatDateAndTime(Buffer.from([0x07, 0xe8, 13, 2, 3, 4, 5, 6])), undefined, 'month 13');
    assert.equal(formatDateAndTime(Buffer.from([0x07, 0xe8, 1, 2, 3, 4, 5, 6, 0x3f, 0, 0])), undefined, 'bad direction');
    assert.equal(formatDateAndTime(Buffer.from([1, 2, 3])), undefined);
    // by convention, out-of-range fields fall back to the MIB's own hint
    const info = { oid: '1', module: 'M', name: 'x', instance: '', syntax: 'DateAndTime', hint: '2d-1d-1d,1d:1d:1d.1d,1a1d:1d' };
    assert.equal(formatOctetsByInfo(info, Buffer.from([0x07, 0xe8, 13, 2, 3, 4, 5, 6])), '2024-13-2,3:4:5.6');
  });

  it('renders IPv6 per RFC 5952 and InetAddress by type or length', () => {
    assert.equal(formatIpv6(hex('00000000000000000000000000000000')), '::');
    assert.equal(formatIpv6(hex('00000000000000000000000000000001')), '::1');
    assert.equal(formatIpv6(hex('20010db8000000000000000000000001')), '2001:db8::1');
    assert.equal(formatIpv6(hex('20010db8000000010001000100010001')), '2001:db8:0:1:1:1:1:1', 'one zero group stays');
    assert.equal(formatIpv6(hex('20010000000000010000000000000001')), '2001:0:0:1::1', 'longest run compressed');
    assert.equal(formatInetAddress(Buffer.from([192, 0, 2, 1]), 1), '192.0.2.1');
    assert.equal(formatInetAddress(Buffer.from([192, 0, 2, 1, 0, 0, 0, 3]), 3), '192.0.2.1%3');
    assert.equal(formatInetAddress(Buffer.concat([hex('fe800000000000000000000000000001'), hex('00000002')]), 4), 'fe80::1%2');
    assert.equal(formatInetAddress(Buffer.from('example.net'), 16), 'example.net');
    assert.equal(formatInetAddress(Buffer.from([192, 0, 2]), 1), undefined, 'length disagrees with type');
    assert.equal(formatInetAddress(hex('20010db8000000000000000000000001')), '2001:db8::1', 'by length');
    assert.equal(formatInetAddress(Buffer.alloc(0), 0), '');
  });

  it('renders by convention name when an SMIv1 module gives no hint', () => {
    const v1 = (syntax: string) => ({ oid: '1', module: 'RFC1213-MIB', name: 'x', instance: '', syntax, base: 'OCTET STRING' });
    assert.equal(formatOctetsByInfo(v1('DisplayString'), Buffer.from('abc')), 'abc');
    assert.equal(formatOctetsByInfo(v1('PhysAddress'), hex('000c29aabbcc')), '00:0c:29:aa:bb:cc');
    assert.equal(formatOctetsByInfo(v1('OCTET STRING'), Buffer.from('abc')), undefined);
    assert.equal(formatOctetsByInfo({ ...v1('Counter64'), base: 'Counter64' }, Buffer.from([1])), undefined);
    assert.equal(formatHex(Buffer.from([0, 15, 255])), '00:0f:ff');
  });
});
