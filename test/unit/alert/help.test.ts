/**
 * threshold-alert's help documents msg.silence in the DESIGN form (and the 0.1 form it
 * still reads) and every setting the dialog has; every new label has its locale text.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const html = fs.readFileSync(path.join(ROOT, 'nodes', 'threshold-alert.html'), 'utf8');
const help = html.slice(html.indexOf('data-help-name="threshold-alert"'));
const locale = JSON.parse(fs.readFileSync(path.join(ROOT, 'nodes', 'locales', 'en-US', 'threshold-alert.json'), 'utf8'))['threshold-alert'];

describe('threshold-alert help', () => {
  it('documents msg.silence: the DESIGN form, expire, list, the 0.1 form and the dashboard\'s hour', () => {
    for (const text of ['{match: {device: "core-1"}, for: "1h", comment: "reboot", by: "ops"}', '<code>until</code>', '{expire: "&lt;id&gt;"}',
      'expire: true}', '<code>"list"</code>', '{device, alertname, instance, duration | until, comment}', '{match: {device: "&lt;name&gt;"}, for: "1h", comment, by}']) {
      assert.ok(help.includes(text), `help mentions ${text}`);
    }
  });

  it('names every new setting as the dialog labels it, and the second output', () => {
    for (const key of ['grouping', 'groupBy', 'groupWait', 'groupInterval', 'instanceLabel', 'inhibit']) {
      assert.ok(typeof locale.label[key] === 'string' && locale.label[key] !== '', `label.${key}`);
      assert.ok(help.includes(`"${locale.label[key]}"`), `the help names "${locale.label[key]}"`);
    }
    for (const key of ['grouping-message', 'grouping-labels', 'grouping-none']) assert.ok(help.includes(`"${locale.label[key]}"`), key);
    assert.match(help, /<ol class="node-ports">[\s\S]*<li>Notifications[\s\S]*<li>Silences/);
    assert.ok(!/<b>|<i>/.test(help), 'no <b> or <i> (help style guide)');
  });
});
