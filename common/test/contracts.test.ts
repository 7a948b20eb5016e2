import { expect } from 'chai';
import {
  ERROR_CODES,
  NeonError,
  SUBJECTS,
  chatIdOfSubject,
  clientFrameValidators,
  chatEventValidator,
  compileValidator,
  httpStatusOf,
  isClientFrameType,
  sendDedupId,
} from '@neonchat/common';
import Type from 'typebox';

const chatId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b';

describe('contracts', () => {
  it('maps every error code to a 4xx/5xx status', () => {
    for (const code of Object.keys(ERROR_CODES) as Array<keyof typeof ERROR_CODES>) {
      expect(httpStatusOf(code)).to.be.within(400, 599);
    }
    expect(new NeonError('forbidden', 'no').httpStatus).to.equal(403);
  });

  it('routes chats by subject', () => {
    expect(SUBJECTS.chatEvents(chatId)).to.equal(`chat.${chatId}.events`);
    expect(chatIdOfSubject(SUBJECTS.liveEvents(chatId))).to.equal(chatId);
    expect(chatIdOfSubject(SUBJECTS.liveTyping(chatId))).to.equal(chatId);
    expect(chatIdOfSubject('membership.x')).to.equal(undefined);
    expect(sendDedupId('c', 'u', 'r')).to.equal('c:u:r');
  });

  it('validates message frames: uuid chat, 1–4096 chars that are not all blank, a request id', () => {
    const ok = { type: 'message', chat_id: chatId, text: 'hi', request_id: 'r1' };
    expect(clientFrameValidators.message.check(ok)).to.equal(true);
    expect(clientFrameValidators.message.check({ ...ok, text: '   ' })).to.equal(false);
    expect(clientFrameValidators.message.check({ ...ok, text: 'x'.repeat(4097) })).to.equal(false);
    expect(clientFrameValidators.message.check({ ...ok, chat_id: 'nope' })).to.equal(false);
    const { request_id: _omit, ...noRequest } = ok;
    expect(clientFrameValidators.message.check(noRequest)).to.equal(false);
  });

  it('names the first bad field when parsing', () => {
    const err = (() => {
      try {
        clientFrameValidators.message.parse({ type: 'message', chat_id: 'bad', text: 'x', request_id: 'r' });
      } catch (e) {
        return e as NeonError;
      }
      return undefined;
    })();
    expect(err).to.be.instanceOf(NeonError);
    expect(err?.code).to.equal('validation_failed');
    expect(err?.details).to.deep.equal({ field: 'chat_id' });
    expect(() => compileValidator(Type.String()).parse(5)).to.throw(NeonError);
  });

  it('knows the client frame types', () => {
    expect(isClientFrameType('message')).to.equal(true);
    expect(isClientFrameType('toString')).to.equal(false);
    expect(isClientFrameType(42)).to.equal(false);
  });

  it('validates stored chat events', () => {
    const event = {
      type: 'message.created',
      id: chatId,
      chat_id: chatId,
      sender_id: chatId,
      text: 'x',
      created_at: new Date().toISOString(),
    };
    expect(chatEventValidator.check(event)).to.equal(true);
    expect(chatEventValidator.check({ ...event, type: 'message.exploded' })).to.equal(false);
  });
});
