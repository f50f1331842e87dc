/**
 * settings.js snmpConfigV3KeyCacheSize: the SNMPv3 key cache follows it, a value that
 * cannot be used is one warning and the cache keeps its size.
 */
import { strict as assert } from 'assert';
import { applyKeyCacheSetting, KEY_CACHE_SETTING } from '../../../src/lib/red/process-settings';
import { clearKeyCache, DEFAULT_KEY_CACHE_LIMIT, keyCacheSize, localizeKey, setKeyCacheLimit } from '../../../src/lib/snmp/key-cache';

const SHA1 = 2; // net-snmp AuthProtocols.sha

function fillWith(count: number): void {
  for (let i = 0; i < count; i++) localizeKey(SHA1, 'maplesyrup', Buffer.from(`engine-${i}`));
}

describe('settings.js snmpConfigV3KeyCacheSize', () => {
  beforeEach(() => clearKeyCache());
  afterEach(() => {
    setKeyCacheLimit(DEFAULT_KEY_CACHE_LIMIT);
    clearKeyCache();
  });

  it('is named as Node-RED names a setting of snmp-config', () => {
    assert.equal(KEY_CACHE_SETTING, 'snmpConfigV3KeyCacheSize');
  });

  it('bounds the keys held to the value set', () => {
    assert.equal(applyKeyCacheSetting('3'), undefined);
    fillWith(10);
    assert.equal(keyCacheSize(), 3);
    assert.equal(applyKeyCacheSetting(5), undefined);
    fillWith(10);
    assert.equal(keyCacheSize(), 5);
  });

  it('leaves the default when unset', () => {
    for (const unset of [undefined, null, '']) assert.equal(applyKeyCacheSetting(unset), undefined);
    fillWith(30);
    assert.equal(keyCacheSize(), 30, `the default (${DEFAULT_KEY_CACHE_LIMIT}) holds them all`);
  });

  it('refuses what cannot be a number of keys with one warning, keeping the size', () => {
    applyKeyCacheSetting(4);
    for (const bad of ['lots', 0, -1, 2.5, 1e9, 'Infinity', '"; rm -rf /']) {
      const warning = applyKeyCacheSetting(bad);
      assert.match(warning ?? '', /^settings\.js snmpConfigV3KeyCacheSize must be a whole number of keys from 1 to/, String(bad));
      assert.ok((warning ?? '').length < 200, 'the value is cut in the warning');
    }
    fillWith(10);
    assert.equal(keyCacheSize(), 4, 'the last good value still holds');
  });
});
