/**
 * snmp-config reads settings.js snmpConfigV3KeyCacheSize when Node-RED loads it: the
 * SNMPv3 key cache follows it, a bad value is one warning naming the setting.
 */
import { strict as assert } from 'assert';
import { helper, logText } from '../support/flow';
import { clearKeyCache, DEFAULT_KEY_CACHE_LIMIT, keyCacheSize, localizeKey, setKeyCacheLimit } from '../../src/lib/snmp/key-cache';

const snmpConfigNode = require('../../src/snmp-config');

const FLOW = [
  { id: 'tab', type: 'tab', label: 'test' },
  { id: 'cfg', type: 'snmp-config', z: 'tab', name: 'lab', version: '2c' },
];

describe('snmp-config: process settings from settings.js', function () {
  this.timeout(30000);

  afterEach(async () => {
    await helper.unload();
    helper.settings({});
    setKeyCacheLimit(DEFAULT_KEY_CACHE_LIMIT);
    clearKeyCache();
  });

  it('sizes the SNMPv3 key cache by snmpConfigV3KeyCacheSize', async () => {
    helper.settings({ snmpConfigV3KeyCacheSize: 2 });
    await helper.load(snmpConfigNode, FLOW);
    clearKeyCache();
    for (let i = 0; i < 6; i++) localizeKey(2, 'maplesyrup', Buffer.from(`engine-${i}`));
    assert.equal(keyCacheSize(), 2);
  });

  it('warns once about a value it cannot use and keeps the cache as it was', async () => {
    helper.settings({ snmpConfigV3KeyCacheSize: 'plenty' });
    await helper.load(snmpConfigNode, FLOW);
    const warnings = logText().split('\n').filter((l) => l.includes('snmpConfigV3KeyCacheSize'));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /must be a whole number of keys/);
    clearKeyCache();
    for (let i = 0; i < 6; i++) localizeKey(2, 'maplesyrup', Buffer.from(`engine-${i}`));
    assert.equal(keyCacheSize(), 6);
  });
});
