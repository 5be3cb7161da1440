import {
  delivered,
  failed,
  retry,
  withExchange,
  type ConnectorState,
  type EventMedia,
  type MediaFiles,
  type Outcome,
} from '../../src/sdk/index.ts';
import { SlackCallError, type SlackApi } from './client.ts';
import { escapeMrkdwn } from './escape.ts';
import type { PostMessageArgs } from './message.ts';
import { outcomeOfError } from './outcomes.ts';

/** What the connector hands over for a message with a stored file. */
export interface FileDelivery {
  /** The rendered message, with the channel id resolved and `thread_ts` when the thread exists. */
  readonly args: PostMessageArgs;
  readonly media: EventMedia & { readonly url: string };
  /** `<idempotency key>:<channel>`: one upload per delivery and channel, whatever the redeliveries. */
  readonly key: string;
  /** Starting the chat's thread: called with the ts of the message that starts it. */
  readonly startThread?: ((ts: string) => Promise<void>) | undefined;
  readonly signal: AbortSignal;
}

/** The text with a link to the file after it (when it is not uploaded). */
export function withLink(text: string, media: EventMedia & { readonly url: string }): string {
  const label = escapeMrkdwn(media.filename ?? media.type ?? 'file').replace(/[|>]/g, '_');
  const link = `<${media.url.replace(/&/g, '&amp;')}|${label}>`;
  return text.trim() === '' ? link : `${text}\n${link}`;
}

/**
 * `uploadMedia`: the file goes into the chat's thread as Slack's own file (getUploadURLExternal →
 * bytes to the upload URL → completeUploadExternal, the flow of filesUploadV2), with the message
 * text as its comment. When a thread is to be started, the text is posted first (it starts the
 * thread) and the file follows in it. Refused uploads (scopes, file types) post the link instead.
 *
 * State `upload:<key>`: `posted:<ts>` once the text is posted, `pending:<file id>` while the
 * share is under way, `done:<file id>` after: a redelivery never uploads into the thread twice,
 * and a share that got no answer is not repeated (it may have gone through).
 */
export class MediaUploads {
  constructor(
    private readonly api: SlackApi,
    private readonly state: ConnectorState,
    private readonly files: MediaFiles,
  ) {}

  async deliver(job: FileDelivery): Promise<Outcome> {
    const stateKey = `upload:${job.key}`;
    const recorded = (await this.state.get(stateKey)) ?? '';
    if (recorded.startsWith('done:')) return delivered(`${recorded.slice(5)} (already uploaded)`);
    if (recorded.startsWith('pending:'))
      return failed(
        'an earlier attempt shared this file and got no answer, so it may be in the thread; it is not uploaded again (at most once)',
      );
    const file = await this.files.open(job.media);
    if (!file) return this.postLink(job, recorded);
    let bytes: Buffer;
    try {
      bytes = Buffer.concat(await file.stream.toArray());
    } catch (error) {
      return retry(`reading the stored file: ${(error as Error).message}`);
    }
    const args = { ...job.args };
    let comment: string | undefined = args.text;
    if (recorded.startsWith('posted:')) comment = undefined;
    if (job.startThread && !args.thread_ts) {
      // The text starts the thread; the file follows in it.
      const posted = await this.call(() => this.api.postMessage(args, job.signal), 'chat.postMessage');
      if ('outcome' in posted) return posted.outcome;
      await job.startThread(posted.value.ts);
      await this.state.set(stateKey, `posted:${posted.value.ts}`);
      args.thread_ts = posted.value.ts;
      comment = undefined;
    }
    const url = await this.call(
      () => this.api.getUploadURL(file.filename, bytes.length, job.signal),
      'files.getUploadURLExternal',
    );
    if ('outcome' in url)
      return 'refused' in url ? this.postLink({ ...job, args }, comment ? '' : 'posted:') : url.outcome;
    // The bytes go to Slack's upload URL: a plain POST, captured as sent (the body is described, not
    // copied). The URL itself is a short-lived capability to upload into this workspace: the
    // capture keeps its origin only.
    const upload = {
      method: 'POST',
      url: url.value.uploadUrl,
      headers: { 'content-type': 'application/octet-stream' },
    };
    const captured = {
      ...upload,
      url: `${URL.canParse(upload.url) ? new URL(upload.url).origin : 'slack'}/[upload URL redacted]`,
      body: bytes,
    };
    try {
      const sent = await fetch(upload.url, { ...upload, body: bytes, signal: job.signal });
      await sent.body?.cancel();
      if (!sent.ok)
        return withExchange(retry(`uploading the file to Slack: HTTP ${sent.status}`), {
          request: captured,
          response: { status: sent.status },
        });
    } catch (error) {
      return withExchange(retry(`uploading the file to Slack: ${(error as Error).message}`), { request: captured });
    }
    await this.state.set(stateKey, `pending:${url.value.fileId}`);
    const shared = await this.call(
      () =>
        this.api.completeUpload(
          { fileId: url.value.fileId, title: file.filename, channel: args.channel, threadTs: args.thread_ts, comment },
          job.signal,
        ),
      'files.completeUploadExternal',
    );
    if ('outcome' in shared) {
      // A clear refusal means nothing was shared: the next attempt may try again.
      if ('refused' in shared) {
        await this.state.set(stateKey, comment ? '' : `posted:${args.thread_ts ?? ''}`);
        return this.postLink({ ...job, args }, comment ? '' : 'posted:');
      }
      return shared.outcome;
    }
    await this.state.set(stateKey, `done:${url.value.fileId}`);
    return withExchange(delivered(url.value.fileId), shared.value.exchange);
  }

  /** The text (unless already posted) with the link, when the file cannot be uploaded. */
  private async postLink(job: FileDelivery, recorded: string): Promise<Outcome> {
    const args = { ...job.args, text: withLink(recorded.startsWith('posted:') ? '' : job.args.text, job.media) };
    const posted = await this.call(() => this.api.postMessage(args, job.signal), 'chat.postMessage');
    if ('outcome' in posted) return posted.outcome;
    if (job.startThread && !args.thread_ts) await job.startThread(posted.value.ts);
    await this.state.set(`upload:${job.key}`, `done:link ${posted.value.ts}`);
    return withExchange(delivered(posted.value.ts), posted.value.exchange);
  }

  /** Run a Slack call; a platform error is a refusal (the link is posted instead), others an outcome. */
  private async call<T>(
    run: () => Promise<T>,
    what: string,
  ): Promise<{ value: T } | { outcome: Outcome; refused?: true }> {
    try {
      return { value: await run() };
    } catch (error) {
      if (!(error instanceof SlackCallError)) return { outcome: retry(`${what}: ${(error as Error).message}`) };
      const outcome = outcomeOfError(error, what);
      return error.failure.kind === 'platform' && what !== 'chat.postMessage'
        ? { outcome, refused: true }
        : { outcome };
    }
  }
}
