import { strict as assert } from 'assert';
import { ConfigError } from '../../../src/lib/common/inventory';
import { PropertyError } from '../../../src/lib/common/properties';
import { buildProfile, parseEngineIds } from '../../../src/lib/snmp/profile';

describe('config', () => {
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

  it('reads the engine IDs a v3 user\'s traps may come from, one a line, naming a bad line', () => {
    const creds = { authKey: 'authkey-123', privKey: 'privkey-123' };
    const v3 = { version: '3', user: 'ops', securityLevel: 'authPriv', authProtocol: 'sha', privProtocol: 'aes' };
    const p = buildProfile({ ...v3, trapEngineIds: '0x80001F8880AABBCCDD\n\n# the core router\n80001f8880aabbccdd  \n8000000001 # lab' }, creds);
    assert.deepEqual(p.trapEngineIds, ['80001f8880aabbccdd', '8000000001']);
    assert.equal(buildProfile({ ...v3, trapEngineIds: ' \n' }, creds).trapEngineIds, undefined, 'empty: any engine');
    assert.equal(buildProfile({ version: '2c', trapEngineIds: 'not hex' }).trapEngineIds, undefined, 'only read for v3');
    for (const bad of ['80001f88', '0x' + 'ab'.repeat(33), '80001f8880aabbccd', 'engine-1']) {
      assert.throws(() => buildProfile({ ...v3, trapEngineIds: `8000000001\n${bad}` }, creds),
        (e: Error) => e instanceof PropertyError && e.property === 'trapEngineIds' && /line 2/.test(e.message));
    }
    assert.deepEqual(parseEngineIds('0x8000000001'), ['8000000001']);
  });
});
