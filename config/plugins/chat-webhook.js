// Example custom connector: posts a one-line text message to a chat "incoming webhook"
// (Microsoft Teams, Google Chat, Mattermost, Discord-style endpoints all accept {"text": "..."}).
//
// Enable it in config/wa-router.yaml:
//   plugins: [./plugins/chat-webhook.js]
//   connectors:
//     team-chat: { type: chat_webhook, url: "${CHAT_WEBHOOK_URL}", text: "{{ contact.name }}: {{ message.body }}" }
//
// The default export is a factory that receives the wa-router SDK, so this plain .js file needs no
// package imports and works when mounted into the container. `export default defineConnector({...})`
// with `import { defineConnector, z } from 'wa-router/sdk'` works as well.
export default ({ defineConnector, z, template, templateScope, classifyHttpStatus, classifyNetworkError }) =>
  defineConnector({
    sdkVersion: 1,
    type: 'chat_webhook',
    summary: 'Post a text line to a chat incoming-webhook URL ({"text": "..."}).',
    config: z
      .object({
        url: z.string().url().describe('Incoming-webhook URL (a secret: use ${VAR}).'),
        text: template().prefault('{{ contact.name }}: {{ message.body }}').describe('Text of the message.'),
      })
      .strict(),
    examples: [
      {
        title: 'Inbound messages to a team chat',
        config: { url: 'https://chat.example.com/hooks/abc', text: '{{ contact.name }}: {{ message.body }}' },
      },
    ],
    // Chat webhooks allow about one message per second; keep one chat's messages in order.
    delivery: { maxBatch: 1, maxInFlight: 1, ratePerSec: 1, orderBy: 'chat' },
    create(config) {
      const render = (delivery) => ({ text: config.text.renderString(templateScope(delivery)) });
      return {
        preview: (delivery) => ({ url: '[configured url]', body: render(delivery) }),
        async deliver(batch, signal) {
          return Promise.all(
            batch.map(async (delivery) => {
              try {
                const response = await fetch(config.url, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json', 'idempotency-key': delivery.idempotencyKey },
                  body: JSON.stringify(render(delivery)),
                  signal,
                });
                const detail = response.ok ? '' : (await response.text()).slice(0, 200);
                if (response.ok) await response.body?.cancel();
                return classifyHttpStatus(response.status, response.headers, detail);
              } catch (error) {
                return classifyNetworkError(error);
              }
            }),
          );
        },
      };
    },
  });
