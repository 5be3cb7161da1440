/**
 * Slack's external file upload, as @slack/web-api's filesUploadV2 drives it:
 * 1. files.getUploadURLExternal (filename, length) → { upload_url, file_id };
 * 2. POST the bytes to upload_url (raw, or multipart form data; no token needed);
 * 3. files.completeUploadExternal (files: [{id, title}], channel_id, thread_ts, initial_comment)
 *    shares the file into the channel (thread). Uploads never completed are never shared.
 */

/** A file shared into a channel (thread) by files.completeUploadExternal. */
export interface FakeUpload {
  readonly id: string;
  readonly channel: string;
  readonly thread_ts?: string | undefined;
  readonly initial_comment?: string | undefined;
  readonly filename: string;
  readonly title?: string | undefined;
  readonly bytes: Buffer;
  readonly at: number;
}

interface Pending {
  readonly filename: string;
  readonly length: number;
  bytes?: Buffer;
}

type Answer = { readonly status: number; readonly body: object | string };

export class FakeUploads {
  readonly shared: FakeUpload[] = [];
  private readonly pending = new Map<string, Pending>();
  private counter = 0;

  /** files.getUploadURLExternal */
  getUploadURL(args: Record<string, unknown>, baseUrl: string): Answer {
    const filename = typeof args.filename === 'string' ? args.filename : '';
    const length = Number(args.length);
    if (filename === '') return { status: 200, body: { ok: false, error: 'invalid_arguments' } };
    if (!Number.isInteger(length) || length < 1)
      return { status: 200, body: { ok: false, error: 'invalid_arguments' } };
    this.counter += 1;
    const id = `F0FAKE${String(this.counter).padStart(5, '0')}`;
    this.pending.set(id, { filename, length });
    return { status: 200, body: { ok: true, upload_url: `${baseUrl}/upload/v1/${id}`, file_id: id } };
  }

  /** The POST of the bytes to the upload URL. */
  async receive(id: string, body: Buffer, contentType: string): Promise<Answer> {
    const pending = this.pending.get(id);
    if (!pending) return { status: 404, body: 'unknown upload' };
    let bytes = body;
    if (contentType.startsWith('multipart/form-data')) {
      const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
      const file = [...form.values()].find((value) => typeof value !== 'string');
      if (!file || typeof file === 'string') return { status: 400, body: 'no file in the form' };
      bytes = Buffer.from(await file.arrayBuffer());
    }
    if (bytes.length !== pending.length)
      return { status: 400, body: `expected ${pending.length} bytes, got ${bytes.length}` };
    pending.bytes = bytes;
    return { status: 200, body: `OK - ${bytes.length}` };
  }

  /** files.completeUploadExternal; `channelOk` checks the channel as chat.postMessage does. */
  complete(args: Record<string, unknown>, channelOk: (id: string) => string | undefined): Answer {
    let files: unknown;
    try {
      files = typeof args.files === 'string' ? JSON.parse(args.files) : args.files;
    } catch {
      return { status: 200, body: { ok: false, error: 'invalid_arguments' } };
    }
    if (!Array.isArray(files) || files.length === 0)
      return { status: 200, body: { ok: false, error: 'invalid_arguments' } };
    const channel = typeof args.channel_id === 'string' ? args.channel_id : undefined;
    if (channel) {
      const error = channelOk(channel);
      if (error) return { status: 200, body: { ok: false, error } };
    }
    const done: { id: string; title: string }[] = [];
    for (const entry of files as { id?: unknown; title?: unknown }[]) {
      const id = String(entry.id ?? '');
      const pending = this.pending.get(id);
      if (!pending?.bytes) return { status: 200, body: { ok: false, error: 'file_not_found' } };
      this.pending.delete(id);
      const title = typeof entry.title === 'string' ? entry.title : undefined;
      if (channel)
        this.shared.push({
          id,
          channel,
          thread_ts: typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : undefined,
          initial_comment: typeof args.initial_comment === 'string' ? args.initial_comment : undefined,
          filename: pending.filename,
          title,
          bytes: pending.bytes,
          at: Date.now(),
        });
      done.push({ id, title: title ?? pending.filename });
    }
    return { status: 200, body: { ok: true, files: done } };
  }
}
