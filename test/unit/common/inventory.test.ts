import { strict as assert } from 'assert';
import { ConfigError, MIN_INTERVAL_S, deviceIdentity, deviceKey, inventoryProblem, isValidHost, parseHostPort, parseInterval, parseInventory, parseTarget } from '../../../src/lib/common/inventory';
import { chooseTargets } from '../../../src/lib/poll/targets';

describe('inventory', () => {
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
      { host: '192.0.2.11', port: 1161, name: '192.0.2.11:1161', labels: {} },
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
    assert.deepEqual(parseTarget({ host: '::1', port: 1161, labels: { a: 1 } }, 161), { host: '::1', port: 1161, name: '[::1]:1161', labels: { a: '1' } });
    assert.deepEqual(parseTarget({ host: '::1' }, 161), { host: '::1', port: 161, name: '::1', labels: {} });
    assert.throws(() => parseTarget(42, 161), ConfigError);
    assert.throws(() => parseTarget({ host: 'a b' }, 161), ConfigError);
  });

  it('reads a device\'s own interval and profile, which are not labels', () => {
    assert.deepEqual(parseInventory([
      '192.0.2.10 core-1 interval=60 profile=core-v3 site=paris',
      '192.0.2.11 access-1 site=lyon interval=5m',
      '192.0.2.12 interval=7.5',
    ].join('\n'), 161), [
      { host: '192.0.2.10', port: 161, name: 'core-1', labels: { site: 'paris' }, interval: 60, profile: 'core-v3' },
      { host: '192.0.2.11', port: 161, name: 'access-1', labels: { site: 'lyon' }, interval: 300 },
      { host: '192.0.2.12', port: 161, name: '192.0.2.12', labels: {}, interval: 7.5 },
    ]);
    assert.throws(() => parseInventory('192.0.2.1 a\n192.0.2.2 b interval=2', 161), /^ConfigError: inventory line 2: interval 2 is below the floor of 5 s$/);
    assert.throws(() => parseInventory('192.0.2.2 b interval=soon', 161), /interval "soon" is not a number of seconds or a duration such as 5m/);
    assert.throws(() => parseInventory('192.0.2.2 b interval=', 161), /interval is empty/);
    assert.throws(() => parseInventory('192.0.2.2 b interval=2d', 161), /longer than a day/);
    assert.equal(parseInterval(MIN_INTERVAL_S), 5);
    assert.equal(parseInterval('90s'), 90);
    assert.throws(() => parseInterval(-10), /not a number of seconds/);
    assert.throws(() => parseInterval(Number.NaN), /not a number of seconds/);
  });

  it('reads inventory table rows: interval, profile, labels as JSON text, blank columns absent', () => {
    const row = { id: 7, host: '192.0.2.20', port: 1161, name: 'edge-20', profile: 'lab-v2c', interval: 30, labels: '{"site":"paris","rack":12,"tags":["a"]}', enabled: 1 };
    assert.deepEqual(parseTarget(row, 161), {
      host: '192.0.2.20', port: 1161, name: 'edge-20', labels: { site: 'paris', rack: '12', tags: '["a"]' }, interval: 30, profile: 'lab-v2c',
    });
    assert.deepEqual(parseTarget({ host: '192.0.2.21', port: null, name: null, profile: null, interval: null, labels: null }, 161), { host: '192.0.2.21', port: 161, name: '192.0.2.21', labels: {} });
    assert.deepEqual(parseTarget({ host: '192.0.2.21', interval: '', profile: '  ', labels: '' }, 161), { host: '192.0.2.21', port: 161, name: '192.0.2.21', labels: {} });
    assert.throws(() => parseTarget({ host: '192.0.2.22', labels: '{site: paris}' }, 161), /^ConfigError: labels are not JSON: "\{site: paris\}"$/);
    assert.throws(() => parseTarget({ host: '192.0.2.22', labels: '["a"]' }, 161), /labels must be a JSON object/);
    assert.throws(() => parseTarget({ host: '192.0.2.22', labels: 42 }, 161), /^ConfigError: labels must be a JSON object of key: value pairs such as \{"site":"paris"\}, not a number: 42$/);
    assert.throws(() => parseTarget({ host: '192.0.2.22', interval: 1 }, 161), /below the floor/);
    assert.throws(() => parseTarget({ host: '192.0.2.22', profile: 7 }, 161), /profile of target 192\.0\.2\.22 must be the name/);
    assert.throws(() => parseTarget({ host: '192.0.2.22', profile: 'a\u0000b' }, 161), /profile "a\?b" must be the name of an snmp-config node/);
    assert.equal(deviceKey({ host: '::1', port: 161 }), '[::1]:161', 'a device object keyed by its identity');
    assert.equal(deviceKey({ host: '0:0::1', port: 161 }), deviceKey({ host: '::1', port: 161 }));
  });

  it('refuses a row whose host carries a port other than its port column, instead of polling the column\'s', () => {
    assert.throws(() => parseTarget({ host: '127.0.0.1:16102', port: 161, name: 'access-1' }, 161), /^ConfigError: host 127\.0\.0\.1:16102 carries port 16102 but port is 161$/);
    assert.throws(() => parseTarget({ host: '[::1]:16102', port: '1161' }, 161), /^ConfigError: host \[::1\]:16102 carries port 16102 but port is 1161$/);
    assert.deepEqual(parseTarget({ host: '127.0.0.1:16102', port: 16102, name: 'access-1' }, 161), { host: '127.0.0.1', port: 16102, name: 'access-1', labels: {} }, 'the same port in both');
    assert.deepEqual(parseTarget({ host: ' 127.0.0.1:16102 ', port: null }, 161), { host: '127.0.0.1', port: 16102, name: '127.0.0.1:16102', labels: {} }, 'the host\'s port alone');
    assert.deepEqual(parseTarget({ host: '::1', port: 1161 }, 161).port, 1161, 'a bare IPv6 address carries no port');
    assert.throws(() => parseTarget({ host: 'h:0', port: 161 }, 161), /port of "h:0" must be 1-65535/);
  });

  it('says what labels that are no object are instead: a JSON string (parsed by mysql2 or not), an array, a number', () => {
    const words = (labels: unknown) => {
      try {
        parseTarget({ host: '192.0.2.22', labels }, 161);
      } catch (err) {
        return (err as Error).message.replace('labels must be a JSON object of key: value pairs such as {"site":"paris"}, not ', '');
      }
      return 'accepted';
    };
    assert.equal(words('paris'), 'a string: "paris"', 'a JSON column holding "paris", handed over parsed');
    assert.equal(words('"paris"'), 'a string: "paris"', 'the same column as JSON text');
    assert.equal(words(['site', 'x']), 'an array: ["site","x"]');
    assert.equal(words('["site", "x"]'), 'an array: ["site","x"]');
    assert.equal(words('12'), 'a number: 12');
    assert.equal(words(true), 'true');
    assert.equal(words('null'), 'null');
    assert.equal(words('{site: paris}'), 'labels are not JSON: "{site: paris}"', 'an object mistyped is not JSON');
    assert.equal(words(' {"site":"paris"} '), 'accepted');
    assert.equal(words(null), 'accepted');
  });

  it('reports the first bad line without throwing, as parseInventory words it after "inventory line N: "', () => {
    assert.equal(inventoryProblem('', 161), null);
    assert.equal(inventoryProblem('# only a comment\n\n192.0.2.1 a', 161), null);
    assert.deepEqual(inventoryProblem('# lab\n127.0.0.1:1161 agent\nbad..host:161 broken', 161), { line: 3, error: '"bad..host" is not a host name or IP address' });
    assert.deepEqual(inventoryProblem('192.0.2.1\n192.0.2.1:161', 161), { line: 2, error: '192.0.2.1:161 is listed twice (first on line 1)' });
    assert.deepEqual(inventoryProblem('192.0.2.1:1161\n# x\n192.0.2.1', 1161), { line: 3, error: '192.0.2.1:1161 is listed twice (first on line 1)' }, 'the default port counts');
    assert.equal(inventoryProblem('192.0.2.1:1161\n192.0.2.1', 161), null);
    assert.throws(() => parseInventory('a\r\nb\r\nc:0', 161), /^ConfigError: inventory line 3: port of "c:0" must be 1-65535$/);
  });

  // issue 14, defect 9: two agents on one host must never share a name or a series
  it('names a device without a name by its host, or host:port when its port is not the profile\'s', () => {
    const devices = parseInventory('127.0.0.1\n127.0.0.1:1161\n127.0.0.1:1162 edge\n[::1]:1161\n::1', 161);
    assert.deepEqual(devices.map((d) => d.name), ['127.0.0.1', '127.0.0.1:1161', 'edge', '[::1]:1161', '::1']);
    assert.equal(new Set(devices.map((d) => d.name)).size, devices.length, 'no two unnamed devices share a name');
    assert.equal(parseTarget('192.0.2.5:1161', 161).name, '192.0.2.5:1161');
    assert.equal(parseTarget('192.0.2.5:161', 161).name, '192.0.2.5', 'the profile\'s own port is not spelled out');
  });

  it('rejects the same device spelled twice, naming both lines', () => {
    const twice: Array<[string, number, string]> = [
      ['127.0.0.1:161 a\n127.0.0.1 b', 2, '127.0.0.1 b'],
      ['Router-1.example.net r\nrouter-1.example.net.:161', 2, 'case and a final dot'],
      ['[2001:db8::1]:1161\n# lab\n\n[2001:DB8:0:0:0:0:0:1]:1161 other', 4, 'two spellings of one IPv6 address'],
      ['::1 a\n[0:0::1]:161 b', 2, 'bare and bracketed IPv6'],
    ];
    for (const [text, line, why] of twice) {
      const problem = inventoryProblem(text, 161);
      assert.equal(problem?.line, line, why);
      assert.match(problem!.error, /is listed twice \(first on line 1\)$/, why);
    }
    assert.equal(inventoryProblem('127.0.0.1:1161\n127.0.0.1:1162\n127.0.0.1', 161), null, 'one host, three ports: three devices');
  });

  it('refuses a name a second device uses, written or taken from its host, naming both lines', () => {
    assert.deepEqual(inventoryProblem('127.0.0.1:16100 core-1\n127.0.0.1:16101 core-2\n# spare\n\n127.0.0.1:16102 core-2', 161),
      { line: 5, error: 'name core-2 is already used on line 2 by 127.0.0.1:16101' });
    assert.throws(() => parseInventory('127.0.0.1:1161\n192.0.2.2 127.0.0.1:1161', 161), /^ConfigError: inventory line 2: name 127\.0\.0\.1:1161 is already used on line 1 by 127\.0\.0\.1:1161$/);
    assert.deepEqual(inventoryProblem('192.0.2.2 192.0.2.1\n192.0.2.1', 161), { line: 2, error: 'name 192.0.2.1 is already used on line 1 by 192.0.2.2:161' }, 'an unnamed device is named by its host');
    assert.deepEqual(inventoryProblem('[::1]:1161 lab\n[::1]:1162 lab', 161), { line: 2, error: 'name lab is already used on line 1 by [::1]:1161' });
    assert.equal(inventoryProblem('192.0.2.1 core\n192.0.2.2 Core\n192.0.2.3 192.0.2.1:161', 161), null, 'names differ as the topic does: in case, in a port written out');
    assert.deepEqual(inventoryProblem('192.0.2.1 a\n192.0.2.1:161 a', 161), { line: 2, error: '192.0.2.1:161 is listed twice (first on line 1)' }, 'the same device is said first');
  });

  it('tells devices apart by host and port, one spelling per agent', () => {
    assert.equal(deviceIdentity('127.0.0.1', 161), '127.0.0.1:161');
    assert.notEqual(deviceIdentity('127.0.0.1', 1161), deviceIdentity('127.0.0.1', 1162));
    assert.equal(deviceIdentity('2001:DB8:0::1', 161), '[2001:db8::1]:161');
    assert.equal(deviceIdentity('Core-1.Example.NET.', 161), 'core-1.example.net:161');
    const choice = chooseTargets([], { targets: ['10.0.0.1', '10.0.0.1:161', '10.0.0.1:1161', { host: '10.0.0.1', port: 1161 }] }, 161);
    assert.deepEqual(choice.devices.map((d) => d.name), ['10.0.0.1', '10.0.0.1:1161']);
    // a second entry for a device is not polled: it is reported, naming the first
    assert.deepEqual(choice.rejected.map((r) => [r.index, r.error]), [
      [1, 'msg.targets[1] (10.0.0.1:161): the same device as msg.targets[0] (10.0.0.1:161)'],
      [3, 'msg.targets[3] (10.0.0.1:1161): the same device as msg.targets[2] (10.0.0.1:1161)'],
    ]);
  });

  it('reads IPv6 bare, in brackets with a port, and with a zone id', () => {
    assert.deepEqual(parseHostPort('2001:db8::1', 161), { host: '2001:db8::1', port: 161 });
    assert.deepEqual(parseHostPort('[2001:db8::1]:1161', 161), { host: '2001:db8::1', port: 1161 });
    assert.deepEqual(parseHostPort('[fe80::1%eth0]', 161), { host: 'fe80::1%eth0', port: 161 });
    assert.deepEqual(parseHostPort('::ffff:192.0.2.1', 161), { host: '::ffff:192.0.2.1', port: 161 });
    assert.throws(() => parseHostPort('[192.0.2.1]:161', 161), /not an IPv6 address in brackets/);
    assert.throws(() => parseHostPort('[::1]:', 161), /has a bad port/);
    assert.throws(() => parseHostPort('host:http', 161), /"host:http" has a bad port/);
    assert.ok(isValidHost('switch-3.example.net.') && isValidHost('10.0.0.1') && isValidHost('::1'));
    assert.ok(!isValidHost('a b') && !isValidHost('http://x') && !isValidHost('a\u0000b') && !isValidHost('x'.repeat(254)));
  });

  it('quotes at most 60 characters of the input, without control characters', () => {
    assert.throws(() => parseInventory(`${'x'.repeat(100)}!`, 161), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /^inventory line 1: "x{57}\.\.\." is not a host name or IP address$/);
      return true;
    });
    assert.throws(() => parseTarget({ host: 'a\u0007b' }, 161), /"a\?b" is not a host name/);
  });

  it('profile= names the snmp-config profile of a device, in a line or a target object; it is no label', () => {
    assert.deepEqual(parseInventory('192.0.2.1 core-1 site=par profile=core-v3', 161), [{ host: '192.0.2.1', port: 161, name: 'core-1', labels: { site: 'par' }, profile: 'core-v3' }]);
    assert.deepEqual(parseTarget({ host: '192.0.2.2', profile: 'edge (v2c)' }, 161), { host: '192.0.2.2', port: 161, name: '192.0.2.2', labels: {}, profile: 'edge (v2c)' });
    assert.deepEqual(parseTarget('192.0.2.3', 161), { host: '192.0.2.3', port: 161, name: '192.0.2.3', labels: {} }, 'absent: the node\'s own profile');
    assert.throws(() => parseTarget({ host: '192.0.2.2', profile: 7 }, 161), /profile of target 192\.0\.2\.2 must be the name/);
    assert.throws(() => parseTarget({ host: '192.0.2.2', profile: 'x'.repeat(129) }, 161), /1 to 128 characters/);
    assert.throws(() => parseInventory('192.0.2.1 profile=', 161), /inventory line 1: profile "" must be the name/);
  });
});
