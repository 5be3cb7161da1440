import { fixture } from '../router.ts';

export const DEVICE = '65f1c0ffee0123456789abcd';
export const MEDIA_TOKEN = 'wassenger-media-token-0123';
export const LINK_SECRET = 'media-link-secret-0123456789';

/**
 * An inbound image message (from the `message-in-new-image` fixture) for file `fileId`, with its
 * own message id, a download link to that file and an expiry in the future (unless given).
 */
export function imageMessage(
  messageId: string,
  fileId: string,
  overrides: { size?: number; expiresAt?: string; mime?: string; filename?: string; chat?: string } = {},
): object {
  const base = JSON.parse(fixture('message-in-new-image')) as {
    data: Record<string, unknown> & { media: Record<string, unknown> };
  };
  const media = base.data.media;
  return {
    ...base,
    id: messageId,
    data: {
      ...base.data,
      id: messageId,
      ...(overrides.chat ? { from: overrides.chat, chat: { ...(base.data.chat as object), id: overrides.chat } } : {}),
      media: {
        ...media,
        id: fileId,
        size: overrides.size ?? media.size,
        mime: overrides.mime ?? media.mime,
        filename: overrides.filename ?? media.filename,
        expiresAt: overrides.expiresAt ?? new Date(Date.now() + 7 * 86_400_000).toISOString(),
        links: { ...(media.links as object), download: `/v1/chat/${DEVICE}/files/${fileId}/download` },
      },
    },
  };
}

/** The `media:` section of a test config. */
export function mediaYaml(apiUrl: string, extra = ''): string {
  return `
media:
  token: \${MEDIA_TOKEN}
  apiUrl: ${apiUrl}
  dir: {{DIR}}/media
  linkSecret: \${MEDIA_SECRET}
${extra}`;
}

export const MEDIA_ENV = { MEDIA_TOKEN, MEDIA_SECRET: LINK_SECRET };

/** Deterministic bytes that look like nothing in particular (not all one value). */
export function someBytes(length: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = x >>> 16;
  }
  return bytes;
}
