import { expect } from 'chai';
import {
  AttachmentRef,
  ForwardOrigin,
  MESSAGE_ATTACHMENTS_MAX,
  MESSAGE_MENTIONS_MAX,
  Mentions,
  Message,
  NeonError,
  REPLY_PREVIEW_CHARS,
  ReplyPreview,
  chatEventValidator,
  compileValidator,
  createdMessageJson,
  decodeChatEvent,
  frameForChatEvent,
  messageFromCreatedEvent,
  type ChatEvent,
  type MessageCreatedEvent,
} from '@neonchat/common';

const chatId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b';
const messageId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5c';
const userId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5d';
const otherId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5e';
const at = '2026-12-01T00:00:00.000Z';
const MIB = 'x'.repeat(1024 * 1024);
/** `[[[…0…]]]`, `depth` arrays deep, as raw JSON. */
const deepJson = (depth: number) => `${'['.repeat(depth)}0${']'.repeat(depth)}`;

const attachment: AttachmentRef = {
  id: otherId,
  name: 'отпуск 2026.jpg',
  size: 123_456,
  content_type: 'image/jpeg',
  kind: 'image',
  width: 1920,
  height: 1080,
  has_thumbnail: true,
};
const reply: ReplyPreview = { id: otherId, sender_id: userId, text: 'the original', deleted: false, attachments_count: 1 };
const forward: ForwardOrigin = { message_id: otherId, sender_id: userId, chat_id: chatId, sent_at: at };
const created: MessageCreatedEvent = {
  type: 'message.created',
  id: messageId,
  chat_id: chatId,
  sender_id: userId,
  text: 'hi @bob',
  created_at: at,
  reply_to: reply,
  attachments: [attachment],
  mentions: [otherId],
  forwarded_from: forward,
};

const attachments = compileValidator(AttachmentRef);
const replies = compileValidator(ReplyPreview);
const forwards = compileValidator(ForwardOrigin);
const mentions = compileValidator(Mentions);
const messages = compileValidator(Message);

/** The `validation_failed` field `parse` names, or undefined when it accepts the value. */
function refusedField<T>(parse: (v: unknown) => T, value: unknown): string | undefined {
  try {
    parse(value);
    return undefined;
  } catch (err) {
    expect(err).to.be.instanceOf(NeonError);
    expect((err as NeonError).code).to.equal('validation_failed');
    return String((err as NeonError).details?.field ?? 'value');
  }
}

describe('message parts contract (replies, forwards, mentions, attachments)', () => {
  it('accepts a full attachment, a file without dimensions, and the bounds themselves', () => {
    expect(attachments.check(attachment)).to.equal(true);
    const { width: _w, height: _h, ...file } = attachment;
    expect(attachments.check({ ...file, kind: 'file', content_type: 'application/vnd.oasis.opendocument.text' })).to.equal(true);
    expect(attachments.check({ ...attachment, size: 0 })).to.equal(true);
    expect(attachments.check({ ...attachment, size: Number.MAX_SAFE_INTEGER, width: 65535, height: 1 })).to.equal(true);
    expect(attachments.check({ ...attachment, name: '😀'.repeat(255) }), '255 code points').to.equal(true);
    expect(attachments.check({ ...attachment, name: '..' }), 'dots alone name no directory').to.equal(true);
  });

  it('refuses attachment names with NUL, control characters, path separators, or too long', () => {
    for (const name of [
      '',
      'a\u0000.jpg',
      'a\u0007b',
      'a\u009fb',
      'line\nbreak',
      '../etc/passwd',
      'dir/file',
      'C:\\x.exe',
      '😀'.repeat(256),
      MIB,
    ]) {
      expect(attachments.check({ ...attachment, name }), JSON.stringify(name.slice(0, 20))).to.equal(false);
    }
    expect(refusedField(attachments.parse, { ...attachment, name: 'a\u0000' })).to.equal('name');
  });

  it('refuses sizes and dimensions that are not bounded integers (1e309, -1, 1.5, 2^53, -0 where 0 is out of range)', () => {
    const raw = JSON.stringify(attachment);
    for (const [field, bad] of [
      ['size', '1e309'],
      ['size', '-1'],
      ['size', '1.5'],
      ['size', '9007199254740992'],
      ['size', '"1"'],
      ['width', '0'],
      ['width', '-0'],
      ['width', '65536'],
      ['height', '1e309'],
    ] as const) {
      const value: unknown = JSON.parse(raw.replace(new RegExp(`"${field}":[^,]+`), `"${field}":${bad}`));
      expect(attachments.check(value), `${field} ${bad}`).to.equal(false);
    }
    // -0 is zero: a valid size, and the JSON written for it says 0.
    const minusZero = attachments.parse(JSON.parse(raw.replace(/"size":\d+/, '"size":-0')));
    expect(JSON.parse(JSON.stringify(minusZero)).size).to.equal(0);
    expect(JSON.stringify(minusZero)).to.include('"size":0,');
  });

  it('refuses content types that are not a lower-case type/subtype of at most 127 characters', () => {
    for (const content_type of [
      'image/JPEG',
      'Image/jpeg',
      'image',
      'image/',
      '/jpeg',
      'text/html; charset=utf-8',
      'a/b/c',
      `a/${'b'.repeat(126)}`,
      MIB,
      'image/jp\u0000eg',
    ]) {
      expect(attachments.check({ ...attachment, content_type }), content_type.slice(0, 30)).to.equal(false);
    }
    expect(attachments.check({ ...attachment, content_type: `a/${'b'.repeat(125)}` }), '127 characters').to.equal(true);
    expect(attachments.check({ ...attachment, kind: 'video' })).to.equal(false);
    expect(attachments.check({ ...attachment, has_thumbnail: 'yes' })).to.equal(false);
    const { has_thumbnail: _t, ...noThumbnailFlag } = attachment;
    expect(attachments.check(noThumbnailFlag)).to.equal(false);
  });

  it('bounds reply previews to REPLY_PREVIEW_CHARS code points; empty text is a deleted original', () => {
    expect(replies.check(reply)).to.equal(true);
    expect(replies.check({ ...reply, text: '', deleted: true, attachments_count: 0 })).to.equal(true);
    expect(replies.check({ ...reply, text: '😀'.repeat(REPLY_PREVIEW_CHARS) })).to.equal(true);
    expect(replies.check({ ...reply, text: 'x'.repeat(REPLY_PREVIEW_CHARS + 1) })).to.equal(false);
    expect(replies.check({ ...reply, text: MIB })).to.equal(false);
    expect(replies.check({ ...reply, attachments_count: -1 })).to.equal(false);
    expect(replies.check({ ...reply, attachments_count: MESSAGE_ATTACHMENTS_MAX + 1 })).to.equal(false);
    expect(replies.check(JSON.parse(JSON.stringify(reply).replace('"attachments_count":1', '"attachments_count":1e309')))).to.equal(false);
    expect(refusedField(replies.parse, { ...reply, text: 'a\u0000b' })).to.equal('text');
    expect(replies.check({ ...reply, deleted: undefined })).to.equal(false);
  });

  it('a forward names its original chat only optionally', () => {
    expect(forwards.check(forward)).to.equal(true);
    const { chat_id: _c, ...withoutChat } = forward;
    expect(forwards.check(withoutChat)).to.equal(true);
    expect(forwards.check({ ...forward, sent_at: 'yesterday' })).to.equal(false);
    expect(forwards.check({ ...forward, chat_id: `${chatId}\u0000` })).to.equal(false);
  });

  it('mentions: unique ids, at most MESSAGE_MENTIONS_MAX', () => {
    const ids = Array.from({ length: MESSAGE_MENTIONS_MAX }, (_, i) => `0190a7b2-1c3d-7e4f-8a9b-${String(i).padStart(12, '0')}`);
    expect(mentions.check(ids)).to.equal(true);
    expect(mentions.check([])).to.equal(true);
    expect(mentions.check([...ids, otherId])).to.equal(false);
    expect(mentions.check([otherId, otherId])).to.equal(false);
    expect(mentions.check(['@bob'])).to.equal(false);
    expect(mentions.check(Array.from({ length: 100_000 }, () => otherId))).to.equal(false);
  });

  it('upper-case ids are lower-cased by parse, in every part', () => {
    const upper = JSON.parse(
      JSON.stringify(created).replaceAll(otherId, otherId.toUpperCase()).replaceAll(chatId, chatId.toUpperCase()),
    ) as unknown;
    const parsed = chatEventValidator.parse(upper);
    expect(parsed).to.deep.equal(created);
  });

  it('a stored message.created event carries the parts; hostile ones make it no event', () => {
    expect(decodeChatEvent(new TextEncoder().encode(JSON.stringify(created)))).to.deep.equal(created);
    const { reply_to: _r, attachments: _a, mentions: _m, forwarded_from: _f, ...plain } = created;
    expect(chatEventValidator.check(plain), 'every part is optional').to.equal(true);
    const hostile: Array<[string, unknown]> = [
      ['reply_to null (only a Message may say null)', { ...created, reply_to: null }],
      ['11 attachments', { ...created, attachments: Array.from({ length: MESSAGE_ATTACHMENTS_MAX + 1 }, () => attachment) }],
      ['NUL in a name', { ...created, attachments: [{ ...attachment, name: 'a\u0000' }] }],
      ['1 MiB reply text', { ...created, reply_to: { ...reply, text: MIB } }],
      ['duplicate mention', { ...created, mentions: [otherId, otherId] }],
      ['forward without a time', { ...created, forwarded_from: { ...forward, sent_at: undefined } }],
    ];
    for (const [what, event] of hostile) expect(chatEventValidator.check(event), what).to.equal(false);
    const json = JSON.stringify(created);
    for (const field of ['attachments', 'mentions', 'reply_to', 'forwarded_from']) {
      const deep = json.replace(new RegExp(`"${field}":`), `"${field}":${deepJson(10_000)},"ignored":`);
      expect(decodeChatEvent(new TextEncoder().encode(deep)), `${field} 10,000 deep`).to.equal(undefined);
    }
  });

  it('Message: the same parts, reply_to may be null, reply_count a bounded integer', () => {
    const message = messageFromCreatedEvent(created, 5);
    expect(messages.check(message)).to.equal(true);
    expect(messages.check({ ...message, reply_to: null, reply_count: 0 })).to.equal(true);
    expect(messages.check({ ...message, reply_count: -1 })).to.equal(false);
    expect(messages.check({ ...message, reply_count: 1.5 })).to.equal(false);
    expect(
      messages.check(JSON.parse(JSON.stringify({ ...message, reply_count: 1 }).replace('"reply_count":1', '"reply_count":1e309'))),
    ).to.equal(false);
    expect(messages.check({ ...message, attachments: [{ ...attachment, content_type: 'IMAGE/PNG' }] })).to.equal(false);
  });

  it('messageFromCreatedEvent and frameForChatEvent carry the parts; a message without them is unchanged', () => {
    const message = messageFromCreatedEvent(created, 5);
    expect(message).to.deep.equal({
      id: messageId,
      chat_id: chatId,
      sender_id: userId,
      text: 'hi @bob',
      seq: 5,
      created_at: at,
      updated_at: null,
      reply_to: reply,
      attachments: [attachment],
      mentions: [otherId],
      forwarded_from: forward,
    });
    expect(frameForChatEvent(created as ChatEvent, 5)).to.deep.equal({ type: 'new_message', message });
    const { reply_to: _r, attachments: _a, mentions: _m, forwarded_from: _f, ...plain } = created;
    expect(Object.keys(messageFromCreatedEvent(plain, 5)).sort()).to.deep.equal(
      ['id', 'chat_id', 'sender_id', 'text', 'seq', 'created_at', 'updated_at'].sort(),
    );
  });

  it('the message spliced from the event JSON equals the mapped one, parts included', () => {
    const spliced = createdMessageJson(JSON.stringify(created), chatId, 5);
    expect(spliced).to.be.a('string');
    expect(JSON.parse(spliced!)).to.deep.equal(messageFromCreatedEvent(created, 5));
  });
});
