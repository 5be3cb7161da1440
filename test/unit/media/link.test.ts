import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLink, signLink } from '../../../src/media/link.ts';
import { contentDisposition, isActiveType, keyOf, safeFilename } from '../../../src/media/naming.ts';
import { MediaSchema } from '../../../src/media/config.ts';

const SECRET = 'link-secret-0123456789';

function parts(link: string) {
  const url = new URL(link);
  return { id: url.pathname.split('/').pop()!, e: url.searchParams.get('e'), s: url.searchParams.get('s') };
}

test('a signed link checks out until it expires, and not for another id or secret', () => {
  const id = keyOf('FILE1');
  const link = signLink('https://router.example.com/', SECRET, id, 2_000_000_000_000);
  assert.match(link, /^https:\/\/router\.example\.com\/media\/[0-9a-f]{64}\?e=2000000000&s=[\w-]{43}$/);
  const { e, s } = parts(link);
  assert.equal(checkLink(SECRET, id, e, s, 1_999_999_999_000), 'ok');
  assert.equal(checkLink(SECRET, id, e, s, 2_000_000_001_000), 'expired');
  assert.equal(checkLink(SECRET, keyOf('FILE2'), e, s, 0), 'bad_signature');
  assert.equal(checkLink('another-secret-0123456', id, e, s, 0), 'bad_signature');
  assert.equal(checkLink(SECRET, id, String(Number(e) + 1), s, 0), 'bad_signature', 'the expiry is signed');
  assert.equal(checkLink(SECRET, id, e, undefined, 0), 'bad_signature');
  assert.equal(checkLink(SECRET, id, ['1', '2'], s, 0), 'bad_signature');
});

test('names never come from the payload, and active types are attachments', () => {
  assert.equal(keyOf('a/../../etc/passwd').length, 64);
  assert.equal(safeFilename('../../etc/passwd', keyOf('x'), 'text/plain'), 'passwd');
  assert.equal(safeFilename('..', keyOf('x'), 'image/png'), `${keyOf('x').slice(0, 12)}.png`);
  assert.equal(safeFilename('a"b\r\nc.jpg', keyOf('x'), 'image/jpeg'), 'abc.jpg');
  for (const type of ['text/html', 'image/svg+xml', 'application/xml', 'text/javascript', 'application/xhtml+xml'])
    assert.ok(isActiveType(type), type);
  for (const type of ['image/jpeg', 'application/pdf', 'audio/ogg', 'text/plain']) assert.ok(!isActiveType(type), type);
  assert.equal(
    contentDisposition('résumé "1".pdf', 'application/pdf'),
    `inline; filename="r_sum_ _1_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.pdf`,
  );
  assert.match(contentDisposition('x.svg', 'image/svg+xml'), /^attachment;/);
});

test('the media: section says what is wrong and where', () => {
  const result = MediaSchema.safeParse({ token: '', linkSecret: 'short', linkTtl: 'soon', maxBytes: 'big', extra: 1 });
  assert.ok(!result.success);
  const issues = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  assert.ok(
    issues.some((issue) => issue.startsWith('token:')),
    issues.join('\n'),
  );
  assert.ok(issues.some((issue) => issue.startsWith('linkSecret: media.linkSecret must be at least 16')));
  assert.ok(issues.some((issue) => issue.startsWith('linkTtl: expected a duration')));
  assert.ok(issues.some((issue) => issue.startsWith('maxBytes: expected a size')));
  assert.ok(issues.some((issue) => /extra/.test(issue)));
  const defaults = MediaSchema.parse({ token: 't', linkSecret: 'x'.repeat(16) });
  assert.deepEqual(
    [defaults.apiUrl, defaults.dir, defaults.maxBytes, defaults.keepDays, defaults.linkTtl, defaults.retryBudget],
    ['https://api.wassenger.com', './data/media', 16 * 1024 * 1024, 30, 7 * 86_400_000, 600_000],
  );
});
