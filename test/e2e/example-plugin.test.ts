import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { HttpSink } from '../testkit/http-sink.ts';
import { SERVER_YAML, fixture, startTestRouter } from '../testkit/router.ts';
import { waitFor } from '../testkit/wait.ts';

const examplePlugin = fileURLToPath(new URL('../../config/plugins/chat-webhook.js', import.meta.url));

test('the example plugin shipped in config/plugins loads and delivers', async () => {
  const sink = await HttpSink.start({ status: 200 });
  const t = await startTestRouter(
    `${SERVER_YAML}
plugins: [${JSON.stringify(examplePlugin)}]
connectors:
  team-chat: { type: chat_webhook, url: "\${CHAT_WEBHOOK_URL}", text: "{{ contact.name }} wrote: {{ message.body }}" }
  default-text: { type: chat_webhook, url: "\${CHAT_WEBHOOK_URL}" }
routes:
  - name: inbound
    when: { event: message:in:new }
    to: [team-chat, default-text]
`,
    { CHAT_WEBHOOK_URL: `${sink.url}/hooks/secret-path` },
  );
  try {
    assert.equal((await t.post(fixture('message-in-new'))).status, 200);
    await waitFor(() => sink.requests.length === 2, 'the two chat messages');
    assert.ok(sink.requests.every((request) => request.url === '/hooks/secret-path'));
    assert.deepEqual(
      sink
        .bodies<{ text: string }>()
        .map((body) => body.text)
        .sort(),
      ['Bob A. wrote: Hello', 'Bob A.: Hello'],
    );
  } finally {
    await t.close();
    await sink.close();
  }
});
