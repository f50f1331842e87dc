import { strict as assert } from 'assert';
import { buildProfile, parseInventory, parseTarget, ConfigError } from '../../../src/lib/snmp/profile';

describe('config', () => {
  it('parses inventory lines with ports, names, labels, IPv6 and comments', () => {
    const devices = parseInventory([
      '# core routers',
      '192.0.2.10 core-1 site=paris role=core',
      '192.0.2.11:1161',
      '[::1]:1162 lab-6 site=lab   # trailing comment',
      '',
      'switch-3.example.net',
    ].join('\n'), 161);
    assert.deepEqual(devices, [
      { host: '192.0.2.10', port: 161, name: 'core-1', labels: { site: 'paris', role: 'core' } },
      { host: '192.0.2.11', port: 1161, name: '192.0.2.11', labels: {} },
      { host: '::1', port: 1162, name: 'lab-6', labels: { site: 'lab' } },
      { host: 'switch-3.example.net', port: 161, name: 'switch-3.example.net', labels: {} },
    ]);
  });

  it('names the bad inventory line', () => {
    assert.throws(() => parseInventory('192.0.2.1 a\n192.0.2.2:99999 b', 161), /inventory line 2: .*port/);
    assert.throws(() => parseInventory('ok-host\nbad!host name', 161), /inventory line 2/);
    assert.throws(() => parseInventory('192.0.2.1 a b', 161), /line 1: "b" should be key=value/);
    assert.throws(() => parseInventory('192.0.2.1\n192.0.2.1:161', 161), /line 2: .*twice/);
    assert.throws(() => parseInventory('h1 n 1bad=x', 161), /label key/);
  });

  it('accepts msg targets as strings and objects', () => {
    assert.deepEqual(parseTarget('192.0.2.5:1161 edge-5 site=x', 161), { host: '192.0.2.5', port: 1161, name: 'edge-5', labels: { site: 'x' } });
    assert.deepEqual(parseTarget({ host: '::1', port: 1161, labels: { a: 1 } }, 161), { host: '::1', port: 1161, name: '::1', labels: { a: '1' } });
    assert.throws(() => parseTarget(42, 161), ConfigError);
    assert.throws(() => parseTarget({ host: 'a b' }, 161), ConfigError);
  });

  it('builds v2c and v3 profiles with defaults and checked numbers', () => {
    const p = buildProfile({ version: '2c', port: '1161', timeout: '', retries: '2' }, { community: 's3cret' });
    assert.equal(p.community, 's3cret');
    assert.equal(p.port, 1161);
    assert.equal(p.timeout, 2000);
    assert.equal(p.retries, 2);
    const v3 = buildProfile({ version: '3', user: 'ops', securityLevel: 'authPriv', authProtocol: 'sha512', privProtocol: 'aes256b', contextEngineId: '0x80001F8880AABBCCDD' }, { authKey: 'authkey-123', privKey: 'privkey-123' });
    assert.deepEqual(v3.user, { name: 'ops', level: 'authPriv', authProtocol: 'sha512', authKey: 'authkey-123', privProtocol: 'aes256b', privKey: 'privkey-123' });
    assert.equal(v3.contextEngineId, '80001f8880aabbccdd');
  });

  it('refuses bad configuration without quoting a secret', () => {
    const secret = 'tooShort';
    const cases: Array<[Record<string, unknown>, Record<string, string>, RegExp]> = [
      [{ version: '4' }, {}, /version must be one of/],
      [{ port: '0' }, {}, /port must be/],
      [{ timeout: 'abc' }, {}, /timeout must be/],
      [{ version: '3' }, {}, /needs a user/],
      [{ version: '3', user: 'u', securityLevel: 'authNoPriv' }, { authKey: 'short' }, /at least 8/],
      [{ version: '3', user: 'u', securityLevel: 'authPriv', authProtocol: 'sha' }, { authKey: 'longenough', privKey: 'x' }, /privacy key/],
      [{ version: '3', user: 'u', securityLevel: 'authPriv', authProtocol: 'sha', privProtocol: 'rot13' }, { authKey: 'longenough', privKey: secret + 'xx' }, /privProtocol must be one of/],
      [{ transport: 'udp4', sourceAddress: '::1' }, {}, /does not match transport/],
      [{ inventory: 'good\nb@d' }, {}, /inventory line 2/],
    ];
    for (const [raw, creds, re] of cases) {
      assert.throws(() => buildProfile(raw, creds), (err: Error) => {
        assert.match(err.message, re);
        assert.ok(!err.message.includes(secret));
        return err instanceof ConfigError;
      });
    }
  });
});
