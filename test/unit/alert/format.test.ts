import { strict as assert } from 'assert';
import fc from 'fast-check';
import { fingerprint, formatAlert, genericAlert } from '../../../src/lib/alert/format';
import type { AlertNotification } from '../../../src/lib/alert/notification';
import { SLACK_LIMITS, slackBody as slackBodyTyped, slackEscape, truncateEscaped } from '../../../src/lib/alert/slack';
/** The Block Kit body, loosely typed so assertions can index into it. */
const slackBody = (n: AlertNotification): any => slackBodyTyped(n);
import { PD_LIMITS, pagerDutyBody, pagerDutySeverity } from '../../../src/lib/alert/pagerduty';
import { cleanText, renderTemplate, templateNames, valueText } from '../../../src/lib/common/templates';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);
const HOSTILE = '<!channel> & <script>alert(1)</script> <@U024BE7LH> <http://evil.example|click> @here';

function notification(over: Partial<AlertNotification> = {}): AlertNotification {
  return {
    status: 'firing', repeat: false, alertname: 'HighUtilization', severity: 'critical',
    device: 'core-1', key: 'HighUtilization|6|core-1|3', index: '3', instance: 'xe-0/0/3', value: 9e8, threshold: 8e8, op: '>', field: 'ifHCInOctets',
    startsAt: T0, template: '{{device}} {{ifAlias}} at {{value}} b/s',
    vars: { device: 'core-1', instance: '3', value: '900000000', ifAlias: 'uplink' }, labels: {},
    ...over,
  };
}

/** Every mrkdwn text of a Block Kit body (section text, fields, context elements) plus `text`. */
function texts(body: { text: string; blocks: any[] }): string[] {
  const out = [body.text];
  for (const b of body.blocks) {
    if (b.text) out.push(b.text.text);
    for (const f of b.fields ?? []) out.push(f.text);
    for (const e of b.elements ?? []) out.push(e.text);
  }
  return out;
}

/** Structural checks of https://api.slack.com/reference/block-kit/blocks for what we emit. */
function assertValidBlockKit(body: any): void {
  assert.equal(typeof body.text, 'string');
  assert.ok(body.text.length > 0 && body.text.length <= SLACK_LIMITS.text);
  assert.ok(Array.isArray(body.blocks) && body.blocks.length > 0 && body.blocks.length <= 50);
  for (const b of body.blocks) {
    assert.ok(['section', 'context'].includes(b.type), b.type);
    if (b.type === 'section') {
      assert.ok(b.text || b.fields, 'a section needs text or fields');
      if (b.text) {
        assert.equal(b.text.type, 'mrkdwn');
        assert.ok(b.text.text.length > 0 && b.text.text.length <= SLACK_LIMITS.sectionText);
      }
      if (b.fields) {
        assert.ok(b.fields.length >= 1 && b.fields.length <= SLACK_LIMITS.fields);
        for (const f of b.fields) assert.ok(f.type === 'mrkdwn' && f.text.length > 0 && f.text.length <= SLACK_LIMITS.fieldText);
      }
    } else {
      assert.ok(b.elements.length >= 1 && b.elements.length <= 10);
      for (const e of b.elements) assert.ok(e.type === 'mrkdwn' && e.text.length > 0 && e.text.length <= SLACK_LIMITS.contextText);
    }
  }
  JSON.parse(JSON.stringify(body));
}

/** Our own date tokens, the one control sequence a body may hold. */
const DATE_TOKEN = /<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\dT\d\d:\d\dZ>/g;

/** No Slack control sequence (<!...>, <@...>, <#...>, <http...>) but date tokens, and no raw < > or bare &. */
function assertInert(text: string): void {
  const s = text.replace(DATE_TOKEN, '');
  assert.ok(!/[<>]/.test(s), `raw angle bracket in ${s}`);
  assert.ok(!/&(?!(amp|lt|gt);)/.test(s), `unescaped & in ${s}`);
  assert.ok(!/@(channel|here|everyone)\b/i.test(s), `bare mention in ${s}`);
}

describe('alert formats', () => {
  describe('templates', () => {
    it('fills names, row fields and labels; unknown names are empty; spaces collapse', () => {
      assert.deepEqual(templateNames('{{ device }} {{ifAlias}} {{labels.site}} {{device}}'), ['device', 'ifAlias', 'labels.site']);
      assert.equal(renderTemplate('{{ device }} / {{nope}} / {{labels.site}}', { device: 'r1', 'labels.site': 'ams' }), 'r1 / / ams');
      assert.equal(renderTemplate('{{a}} {{b}} end', { a: 'x' }), 'x end');
      assert.equal(renderTemplate('{{constructor}}{{__proto__}}', {}), '');
    });
    it('value text: 6 significant digits, control characters out, long text cut', () => {
      assert.equal(valueText(899999999.873), '900000000');
      assert.equal(valueText(95.123456), '95.1235');
      assert.equal(valueText('line1\nFAKE: resolved'), 'line1 FAKE: resolved');
      assert.equal(valueText(null), '');
      const long = valueText('x'.repeat(10000));
      assert.equal(long.length, 256);
      assert.equal(cleanText('ab\u{1F600}cd', 4), 'ab…', 'never half a surrogate pair');
    });
  });

  describe('Slack', () => {
    it('escapes & < > and defuses mentions', () => {
      assert.equal(slackEscape('a & b <c> @channel @Here'), 'a &amp; b &lt;c&gt; @\u2060channel @\u2060Here');
      assertInert(slackEscape(HOSTILE));
    });

    it('builds valid Block Kit with hostile device strings escaped everywhere', () => {
      const body = slackBody(notification({
        device: HOSTILE, instance: HOSTILE, value: HOSTILE, labels: { [HOSTILE]: HOSTILE },
        vars: { device: HOSTILE, ifAlias: HOSTILE, value: HOSTILE },
      }));
      assertValidBlockKit(body);
      for (const t of texts(body)) assertInert(t);
      assert.ok(body.blocks[0].text.text.includes('&lt;!channel&gt; &amp; &lt;script&gt;'), body.blocks[0].text.text);
    });

    it("keeps the template author's own Slack syntax while escaping the values", () => {
      const body = slackBody(notification({ template: '<!here> {{device}} is hot', vars: { device: '<!channel>' } }));
      assert.ok(body.blocks[0].text.text.endsWith('<!here> &lt;!channel&gt; is hot'));
    });

    it('caps lengths without cutting an entity', () => {
      const body = slackBody(notification({ template: '{{a}}{{b}}{{c}}{{d}}{{e}}{{f}}{{g}}{{h}}{{i}}{{j}}{{k}}{{l}}{{m}}', vars: Object.fromEntries('abcdefghijklm'.split('').map((k) => [k, '&'.repeat(256)])) }));
      assertValidBlockKit(body);
      for (const t of texts(body)) assert.ok(!/&[a-z]*…/.test(t.replace(/&(amp|lt|gt);/g, '')), 'cut inside an entity');
      assert.equal(truncateEscaped('ab&amp;cd', 5), 'ab…');
      assert.equal(truncateEscaped('short', 10), 'short');
    });

    it('property: any strings give a valid, inert body', () => {
      fc.assert(fc.property(fc.string({ maxLength: 400 }), fc.string({ maxLength: 400 }), fc.string({ maxLength: 3000 }), (device, alias, instance) => {
        const body = slackBody(notification({ device, instance, vars: { device, ifAlias: alias }, labels: { site: alias } }));
        assertValidBlockKit(body);
        assertInert(body.blocks[1].fields.map((f: any) => f.text).join('\n'));
      }), { numRuns: 300 });
    });

    it('says FIRING, STILL FIRING and RESOLVED', () => {
      assert.match(slackBody(notification()).text, /^FIRING: HighUtilization on core-1 xe-0\/0\/3/);
      assert.match(slackBody(notification({ repeat: true })).text, /^STILL FIRING/);
      const r = slackBody(notification({ status: 'resolved', endsAt: T0 + 60_000 }));
      assert.match(r.text, /^RESOLVED/);
      // date tokens: each reader sees local time; the fallback is UTC to the minute
      assert.equal(r.blocks[2].elements[0].text, `since <!date^${T0 / 1000}^{date_short_pretty} {time}|2025-01-02T03:04Z> · resolved <!date^${T0 / 1000 + 60}^{date_short_pretty} {time}|2025-01-02T03:05Z>`);
    });
  });

  describe('PagerDuty', () => {
    it('triggers and resolves with the same stable dedup_key', () => {
      const trigger = pagerDutyBody(notification(), 'R0UTINGKEY');
      const resolve = pagerDutyBody(notification({ status: 'resolved', endsAt: T0 + 1 }), 'R0UTINGKEY');
      assert.equal(trigger.event_action, 'trigger');
      assert.equal(resolve.event_action, 'resolve');
      assert.equal(trigger.dedup_key, resolve.dedup_key);
      assert.equal(trigger.dedup_key, fingerprint('HighUtilization', 'core-1', '3'));
      assert.notEqual(trigger.dedup_key, fingerprint('HighUtilization', 'core-1', '4'));
      assert.notEqual(fingerprint('a b', 'c', ''), fingerprint('a', 'b c', ''), 'no ambiguity from joining');
      assert.deepEqual(Object.keys(resolve).sort(), ['dedup_key', 'event_action', 'routing_key']);
      assert.deepEqual(trigger.payload, {
        summary: 'core-1 uplink at 900000000 b/s', source: 'core-1', severity: 'critical',
        timestamp: new Date(T0).toISOString(), class: 'HighUtilization', component: 'xe-0/0/3',
        custom_details: { value: 9e8, threshold: 8e8, op: '>', field: 'ifHCInOctets', index: '3', labels: {} },
      });
    });

    it('leaves routing_key out without a credential', () => {
      assert.equal('routing_key' in pagerDutyBody(notification()), false);
    });

    it('caps summary and source, maps severities', () => {
      const e = pagerDutyBody(notification({ device: 'd'.repeat(1000), template: '{{a}}{{a}}{{a}}{{a}}{{a}}{{a}}', vars: { a: 'x'.repeat(256) } }));
      assert.ok(e.payload!.summary.length <= PD_LIMITS.summary);
      assert.ok(e.payload!.source.length <= PD_LIMITS.source);
      assert.deepEqual(['critical', 'major', 'warning', 'info', 'whatever'].map(pagerDutySeverity), ['critical', 'error', 'warning', 'info', 'error']);
      // the usual scales, written the usual ways; a word of none is an error, never info
      assert.deepEqual(['P1', 'sev1', 'SEV-1', 'p2', 'Sev 3', 'P4', 'notice', '', 'Disaster', 'constructor'].map(pagerDutySeverity),
        ['critical', 'critical', 'critical', 'error', 'warning', 'info', 'info', 'warning', 'critical', 'error']);
    });
  });

  it('the generic alert has the DESIGN.md fields and a raw summary', () => {
    const a = genericAlert(notification({ vars: { device: 'core-1', ifAlias: 'a < b', value: '900000000' } }));
    assert.deepEqual(Object.keys(a).sort(), ['alertname', 'device', 'endsAt', 'fingerprint', 'index', 'instance', 'labels', 'severity', 'startsAt', 'status', 'summary', 'threshold', 'value'].sort());
    assert.equal(a.summary, 'core-1 a < b at 900000000 b/s');
    assert.equal(a.endsAt, null);
    assert.deepEqual(formatAlert(notification(), 'alert'), genericAlert(notification()));
    assert.equal((formatAlert(notification(), 'pagerduty', { routingKey: 'k' }) as any).routing_key, 'k');
    assert.ok(Array.isArray((formatAlert(notification(), 'slack') as any).blocks));
  });
});
