/**
 * Warn once, count the rest (src/lib/red/counted-warnings.ts), in the words a user reads
 * in the log: the summary of a repeated warning, written at close with the pack's own
 * en-US texts, says once how it was warned, not "warned once" beside a count.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CountedWarnings } from '../../../src/lib/red/counted-warnings';

const LOCALES = path.resolve(__dirname, '..', '..', '..', 'nodes', 'locales', 'en-US');
const catalog = (node: string) => JSON.parse(fs.readFileSync(path.join(LOCALES, `${node}.json`), 'utf8'))[node];
/** Node-RED's i18n substitution of `__name__` placeholders. */
const fill = (text: string, vars: Record<string, unknown>) => text.replace(/__(\w+)__/g, (_m, k: string) => String(vars[k]));

describe('counted warnings, as the log reads them', function () {
  it('warns once, and at close sums up a warning that came again without repeating its "(warned once)"', function () {
    const t = catalog('threshold-alert');
    const logged: string[] = [];
    const warnings = new CountedWarnings((text) => logged.push(text));
    for (let i = 0; i < 7; i++) warnings.note('no-routing-key', t.warn['no-routing-key']);
    warnings.note('once', t.warn['not-comparable']);
    assert.equal(logged.length, 2, 'each warned once');
    assert.match(logged[0], /\(warned once\)$/, 'the warning at the time says it will not come again');
    warnings.report((count, text) => fill(t.warn.repeated, { count, warning: text }));
    assert.equal(logged.length, 3, 'a warning that came once is not summed up');
    assert.match(logged[2], /^7 times since the start, warned once at the time: A PagerDuty event leaves without routing_key .* before the http request node$/);
    assert.doesNotMatch(logged[2], /\(warned once/);
  });

  it('every node\'s summary of repeats drops the note wherever its warning has it', function () {
    for (const node of ['counter-rate', 'snmp-bulkwalk', 'snmp-get', 'snmp-metrics', 'snmp-spool', 'threshold-alert']) {
      const t = catalog(node);
      assert.match(t.warn.repeated, /warned once at the time/, node);
      for (const [key, text] of Object.entries<string>(t.warn)) {
        if (key === 'repeated' || !/warned once/.test(text)) continue;
        const logged: string[] = [];
        const warnings = new CountedWarnings((s) => logged.push(s));
        warnings.note(key, text);
        warnings.note(key, text);
        warnings.report((count, s) => fill(t.warn.repeated, { count, warning: s }));
        assert.equal(logged[1].match(/warned once/g)?.length, 1, `${node} ${key}: ${logged[1]}`);
      }
    }
  });
});
