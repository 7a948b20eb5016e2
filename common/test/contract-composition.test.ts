import { expect } from 'chai';
import {
  CHAT_ACTIONS,
  ChatReadEvent,
  ERROR_CODE_DOCS,
  ERROR_CODES,
  MessageDeletedEvent,
  MessageDeletedFrame,
  MessageUpdatedEvent,
  MessageUpdatedFrame,
  OpenChatFrame,
  HistoryFrame,
  ReactFrame,
  ReactionAddedEvent,
  ReactionEvent,
  ReactionFrame,
  ReactionRemovedEvent,
  ReadFrame,
  TypingEventFrame,
  TypingFrame,
  chatEventValidator,
  compileValidator,
  httpStatusOf,
} from '@neonchat/common';

const chatId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b';
const messageId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5c';
const userId = '0190a7b2-1c3d-7e4f-8a9b-0c1d2e3f4a5d';
const at = '2026-12-01T00:00:00.000Z';

describe('contracts composed once (frames derived from events)', () => {
  it('a frame of a stored event takes its fields from the event schema', () => {
    expect(MessageUpdatedFrame.properties.text).to.deep.equal(MessageUpdatedEvent.properties.text);
    expect(MessageUpdatedFrame.properties.updated_at).to.deep.equal(MessageUpdatedEvent.properties.updated_at);
    expect(MessageDeletedFrame.properties.deleted_at).to.deep.equal(MessageDeletedEvent.properties.deleted_at);
    expect(ReadFrame.properties.seq).to.deep.equal(ChatReadEvent.properties.seq);
    expect(ReactionFrame.properties.emoji).to.deep.equal(ReactionEvent.properties.emoji);
    expect(ReactFrame.properties.emoji).to.deep.equal(ReactionEvent.properties.emoji);
    expect(TypingEventFrame.properties.is_typing).to.deep.equal(TypingFrame.properties.is_typing);
    expect(HistoryFrame.properties.request_id).to.deep.equal(OpenChatFrame.properties.request_id);
    for (const frame of [MessageUpdatedFrame, MessageDeletedFrame, ReadFrame, ReactionFrame]) {
      expect(frame.required).to.include.members(['type', 'chat_id', 'message_id', 'seq']);
      expect(frame.properties).not.to.have.property('anyOf');
    }
  });

  it('a reaction added or taken back is one schema; the named variants accept only their direction', () => {
    const added = { type: 'reaction.added', chat_id: chatId, message_id: messageId, user_id: userId, emoji: '👍', at };
    const removed = { ...added, type: 'reaction.removed' };
    const one = compileValidator(ReactionEvent);
    expect(one.check(added)).to.equal(true);
    expect(one.check(removed)).to.equal(true);
    expect(one.check({ ...added, type: 'reaction.toggled' })).to.equal(false);
    expect(compileValidator(ReactionAddedEvent).check(removed)).to.equal(false);
    expect(compileValidator(ReactionRemovedEvent).check(removed)).to.equal(true);
    expect(chatEventValidator.check(removed)).to.equal(true);
  });

  it('error codes and their HTTP status come from one table', () => {
    expect(Object.keys(ERROR_CODES)).to.deep.equal(Object.keys(ERROR_CODE_DOCS));
    for (const code of Object.keys(ERROR_CODE_DOCS) as Array<keyof typeof ERROR_CODE_DOCS>) {
      expect(httpStatusOf(code), code).to.equal(ERROR_CODE_DOCS[code].http);
    }
    expect(ERROR_CODES.validation_failed.http).to.equal(400);
    expect(ERROR_CODES.resume_too_far.http).to.equal(410);
  });

  it('permissions keep their action list', () => {
    expect(CHAT_ACTIONS).to.deep.equal([
      'read',
      'post',
      'edit_own_message',
      'delete_own_message',
      'delete_any_message',
      'add_member',
      'remove_member',
      'change_role',
      'ban',
      'rename',
      'leave',
      'mark_read',
      'typing',
      'react',
    ]);
  });
});
