import { strict as assert } from 'assert';
import fc from 'fast-check';
import * as net from 'net';
import { canonicalIPv6, isIP, isIPv4, isIPv6 } from '../../../src/lib/common/ip';

/** Characters addresses are made of, and a few they must not hold. */
const ALPHABET = [...'0123456789abcdefABCDEFgxz:.%-_[]/ \t\n', '\u0663', '\uff11', '\u00e9'];

const v4Part = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 255 }).map(String) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 999 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('00', '01', '010', '0x1', '', '256', '-1', ' 1', '1 ', '+1', '1e2') },
);
const ipv4 = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(v4Part, v4Part, v4Part, v4Part).map((p) => p.join('.')) },
  { weight: 1, arbitrary: fc.array(v4Part, { minLength: 1, maxLength: 6 }).map((p) => p.join('.')) },
);
const goodIpv4 = fc.tuple(...[0, 1, 2, 3].map(() => fc.integer({ min: 0, max: 255 }))).map((p) => p.join('.'));

const hexGroup = fc.oneof(
  { weight: 30, arbitrary: fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.boolean(), fc.boolean()).map(([n, pad, upper]) => {
    const h = pad ? n.toString(16).padStart(4, '0') : n.toString(16);
    return upper ? h.toUpperCase() : h;
  }) },
  { weight: 1, arbitrary: fc.constantFrom('', '00000', '12345', 'g', 'fffg', '0x1', '-1', ' 1') },
);
const zone = fc.string({ unit: fc.constantFrom(...'abzXYZ019-.:_%/ '), maxLength: 6 });

/** Eight groups (give or take), maybe with a dotted quad closing them, one "::" and a zone id. */
const ipv6 = fc.record({
  groups: fc.oneof({ weight: 5, arbitrary: fc.array(hexGroup, { minLength: 8, maxLength: 8 }) }, { weight: 1, arbitrary: fc.array(hexGroup, { maxLength: 10 }) }),
  v4: fc.option(fc.oneof({ weight: 4, arbitrary: goodIpv4 }, { weight: 1, arbitrary: ipv4 })),
  compress: fc.option(fc.tuple(fc.nat(9), fc.nat(9)), { freq: 3 }),
  zone: fc.option(zone, { freq: 2 }),
}).map(({ groups, v4, compress, zone: z }) => {
  const words: string[] = v4 === null ? [...groups] : [...groups.slice(0, Math.max(0, groups.length - 2)), v4];
  let text = words.join(':');
  if (compress !== null) {
    const [start, length] = compress;
    const at = Math.min(start, words.length);
    text = `${words.slice(0, at).join(':')}::${words.slice(Math.min(words.length, at + length)).join(':')}`;
  }
  return z === null ? text : `${text}%${z}`;
});

interface Edit { op: 'insert' | 'delete' | 'replace'; at: number; ch: string }
const edits = fc.array(fc.record({ op: fc.constantFrom<Edit['op']>('insert', 'delete', 'replace'), at: fc.nat(60), ch: fc.constantFrom(...ALPHABET) }), { minLength: 1, maxLength: 3 });
function mutate(s: string, list: Edit[]): string {
  let out = s;
  for (const e of list) {
    const i = out.length === 0 ? 0 : e.at % (out.length + (e.op === 'insert' ? 1 : 0));
    if (e.op === 'insert') out = out.slice(0, i) + e.ch + out.slice(i);
    else if (e.op === 'delete') out = out.slice(0, i) + out.slice(i + 1);
    else out = out.slice(0, i) + e.ch + out.slice(i + 1);
  }
  return out;
}

const anything = fc.oneof(
  { weight: 3, arbitrary: ipv4 },
  { weight: 5, arbitrary: ipv6 },
  { weight: 4, arbitrary: fc.tuple(fc.oneof(ipv4, ipv6), edits).map(([s, e]) => mutate(s, e)) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 45 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 45 }) },
);

function sameAsNode(s: string): void {
  assert.equal(isIPv4(s), net.isIPv4(s), `isIPv4(${JSON.stringify(s)})`);
  assert.equal(isIPv6(s), net.isIPv6(s), `isIPv6(${JSON.stringify(s)})`);
  assert.equal(isIP(s), net.isIP(s), `isIP(${JSON.stringify(s)})`);
}

describe('ip (Node-free net.isIP)', () => {
  it('answers like net.isIP on addresses people write, and on near misses', () => {
    const cases = [
      '0.0.0.0', '192.0.2.1', '255.255.255.255', '256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', '1.2.3.4 ', ' 1.2.3.4', '1..3.4', '',
      '::', '::1', '1::', '2001:db8::1', '2001:DB8::A:b', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8',
      '1::2::3', ':::', '1:::2', ':1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:', '12345::1', 'g::1', '1:2:3:4:5:6:7',
      '::ffff:192.0.2.1', '::192.0.2.1', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5::1.2.3.4', '1:2:3:4:5:6::1.2.3.4', '1.2.3.4::', '::1.2.3.4:1', '::01.2.3.4', '::256.1.1.1',
      'fe80::1%eth0', 'fe80::1%0', 'fe80::1%a-b.c:d', 'fe80::1%', 'fe80::1%eth 0', 'fe80::1%a%b', 'fe80::1%eth_0', 'fe80::1%é', '1.2.3.4%eth0', '%eth0', '::%1',
      '[::1]', '::1\n', '\n::1', 'localhost', '١.2.3.4',
    ];
    for (const s of cases) sameAsNode(s);
  });

  it('answers like net.isIP on random and mutated addresses (property)', () => {
    fc.assert(fc.property(anything, (s) => sameAsNode(s)), { numRuns: 20000 });
  });

  it('spells an IPv6 address as net.SocketAddress does, keeping the zone id (property)', () => {
    for (const s of ['::', '::1', '2001:DB8::A:b', '1:0:0:1:0:0:0:1', '0:0:1:0:0:1:0:0', '::ffff:192.0.2.1', '::0:ffff:1.2.3.4', '::1:2', '::0.0.1.2', '64:ff9b::1.2.3.4']) {
      assert.equal(canonicalIPv6(s), new net.SocketAddress({ address: s, family: 'ipv6' }).address, s);
    }
    fc.assert(fc.property(ipv6, (s) => {
      if (!net.isIPv6(s)) return;
      const percent = s.indexOf('%');
      const base = percent >= 0 ? s.slice(0, percent) : s;
      const zone = percent >= 0 ? s.slice(percent) : '';
      assert.equal(canonicalIPv6(s), new net.SocketAddress({ address: base, family: 'ipv6' }).address + zone, s);
      assert.equal(canonicalIPv6(canonicalIPv6(s)), canonicalIPv6(s), 'stable');
    }), { numRuns: 5000, seed: 14 });
  });
});
