import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadOk, problems } from './kit.ts';

const HEAD = `
server:
  port: 3000
  secret: abcdefghij
store: sqlite:./data/x.db
`;

describe('validate: templates are checked against the normalized event', () => {
  test('a misspelt field is an error with the field meant, at the key that holds the template', async () => {
    const issues = await problems(`${HEAD}connectors:
  hook:
    type: http
    url: http://127.0.0.1:9/hook/{{ mesage.id }}
    headers:
      X-Name: "{{ contact.nmae }}"
    body:
      text: "{{ mesage.body }}"
      labels: ["{{ chat.lables }}"]
routes:
  - name: all
    to: [hook]
`);
    assert.equal(issues.length, 4);
    assert.match(
      issues[0]!,
      /^8:10 connectors\.hook\.url: the event has no field "mesage" \(did you mean "message"\?\)/,
    );
    assert.match(
      issues[1]!,
      /^10:15 connectors\.hook\.headers\.X-Name: "contact" has no field "nmae" \(did you mean "name"\?\)/,
    );
    assert.match(
      issues[2]!,
      /^12:13 connectors\.hook\.body\.text: the event has no field "mesage" \(did you mean "message"\?\)/,
    );
    assert.match(
      issues[3]!,
      /^13:16 connectors\.hook\.body\.labels\[0\]: "chat" has no field "lables" \(did you mean "labels"\?\)/,
    );
  });

  test('a Liquid syntax error or an unknown filter names the key inside a body, not the whole body', async () => {
    const issues = await problems(`${HEAD}connectors:
  hook:
    type: http
    url: http://127.0.0.1:9/hook
    body:
      ok: "{{ message.body }}"
      nested:
        text: "{{ message.body | upcase }"
        who: "{{ contact.name | nosuchfilter }}"
routes:
  - name: all
    to: [hook]
`);
    assert.deepEqual(issues, [
      '12:15 connectors.hook.body.nested.text: invalid template: output "{{ message.body | upcase }" not closed, line:1, col:1',
      '13:14 connectors.hook.body.nested.who: invalid template: undefined filter: nosuchfilter',
    ]);
  });

  test('a route `with:` template, a Kafka topic and a CRM path are checked too', async () => {
    const issues = await problems(`${HEAD}connectors:
  hook: { type: http, url: "http://127.0.0.1:9/hook" }
  bus: { type: kafka, brokers: ["127.0.0.1:9092"], topic: "wa.{{ evnt }}" }
  crm:
    type: crm
    baseUrl: http://127.0.0.1:9/api
    path: /persons/{{ contact.metadata.CRM_ID }}/{{ chat.idd }}
    auth: { bearer: abcdefgh }
routes:
  - name: all
    to:
      - connector: hook
        with: { headers: { X-Device: "{{ devise.id }}" } }
      - bus
      - crm
`);
    assert.equal(issues.length, 3, issues.join('\n'));
    const text = issues.join('\n');
    assert.match(text, /connectors\.bus\.topic: the event has no field "evnt" \(did you mean "event"\?\)/);
    assert.match(text, /connectors\.crm\.path: "chat" has no field "idd" \(did you mean "id"\?\)/);
    assert.match(
      text,
      /routes\[0\]\.to\[0\]\.with\.headers\.X-Device: the event has no field "devise" \(did you mean "device"\?\)/,
    );
  });

  test('Slack blocks: each template is checked and named down to its key inside the blocks', async () => {
    const issues = await problems(`${HEAD}connectors:
  ops:
    type: slack
    token: xoxb-0000000000-aaaaaaaa
    channel: C0GENERAL
    blocks:
      - type: section
        text: { type: mrkdwn, text: "*{{ contact.nmae }}*: {{ message.body }}" }
routes:
  - name: all
    to: [ops]
`);
    assert.equal(issues.length, 1, issues.join('\n'));
    assert.match(
      issues[0]!,
      /connectors\.ops\.blocks\[0\]\.text\.text: "contact" has no field "nmae" \(did you mean "name"\?\)/,
    );
  });

  test('what templates may read loads: loops, assigned names, metadata keys, raw data, params, Liquid properties', async () => {
    const config = await loadOk(`${HEAD}connectors:
  hook:
    type: http
    url: http://127.0.0.1:9/hook/{{ chat.labels.size }}
    headers:
      X-A: "{% for l in chat.labels %}{{ l }}{{ forloop.index }}{% endfor %}{{ chat.labels[0] }}{{ chat.labels.first }}"
      X-B: "{% assign who = contact.name %}{{ who.size }}{% capture c %}{{ route }}{% endcapture %}{{ c }}"
      X-C: "{{ contact.metadata.CRM_ID }}{{ contact.metadata['with space'] }}{{ data.anything.at.all }}"
      X-D: "{{ message.media.url }}{{ message.quoted.body }}{{ params.x }}{{ idempotencyKey }}{{ data[message.id] }}"
      X-E: "{{ message.body.size }}{{ contact }}{{ event | replace: ':', '.' }}"
routes:
  - name: all
    to: [hook]
`);
    assert.equal(config.connectors.get('hook')?.type, 'http');
  });

  test('reading a field below a value says what the value is', async () => {
    const issues = await problems(`${HEAD}connectors:
  hook: { type: http, url: "http://127.0.0.1:9/hook/{{ message.body.text }}" }
routes:
  - name: all
    to: [hook]
`);
    assert.match(issues[0]!, /connectors\.hook\.url: "message\.body" is a single value with no field "text"/);
  });
});

describe('validate: durations are written the same way in every field', () => {
  test('delivery timeouts and backoff accept "10s", "2m", "24h" and milliseconds', async () => {
    const config = await loadOk(`${HEAD}connectors:
  hook:
    type: http
    url: http://127.0.0.1:9/hook
    delivery: { timeoutMs: 10s, backoffBaseMs: 1500, maxBackoffMs: 2m, maxAgeMs: 24h }
routes:
  - name: all
    to: [hook]
`);
    const policy = config.connectors.get('hook')!.policy;
    assert.equal(policy.timeoutMs, 10_000);
    assert.equal(policy.backoffBaseMs, 1_500);
    assert.equal(policy.maxBackoffMs, 120_000);
    assert.equal(policy.maxAgeMs, 86_400_000);
  });

  test('a wrong delivery block and a wrong connector key are both reported in one run', async () => {
    const issues = await problems(`${HEAD}connectors:
  hook:
    type: http
    url: http://127.0.0.1:9/hook/{{ mesage.id }}
    delivery: { timeoutMs: 0, maxBackoffMs: soon }
routes:
  - name: all
    to: [hook]
`);
    const text = issues.join('\n');
    assert.match(text, /connectors\.hook\.url: the event has no field "mesage"/);
    assert.match(text, /connectors\.hook\.delivery\.timeoutMs: must be at least 1 ms \(got 0\)/);
    assert.match(
      text,
      /connectors\.hook\.delivery\.maxBackoffMs: expected a duration like 30000 \(ms\), "30s", "5m" or "7d" \(got "soon"\)/,
    );
  });
});
