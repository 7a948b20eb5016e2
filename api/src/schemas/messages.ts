import Type from 'typebox';
import { Emoji, MESSAGE_TEXT_MAX, Message, ReactionFrame } from '@neonchat/common/contracts';
import { AUTHED, described, errorResponses, WITH_BODY } from '../openapi/error-responses.js';
import { bearerSecurity, ChatIdParams, ChatMessageParams, IdOf, OthersReadSeq } from './common.js';

/** The Message every client sees, from common: REST and WebSocket frames share the shape. */
export const ApiMessage = Message;

export const HistoryQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Messages per page' }),
    before_id: Type.Optional(IdOf('a message: the page of messages older than it (not with after_id)')),
    after_id: Type.Optional(IdOf('a message: the page of messages newer than it (not with before_id)')),
  },
  { additionalProperties: false },
);

export const HistoryReply = Type.Object(
  {
    messages: Type.Array(ApiMessage, { description: 'Oldest first; deleted messages are left out' }),
    has_previous: Type.Boolean({ description: 'Older visible messages exist: ask again with before_id = the first id' }),
    has_next: Type.Boolean({ description: 'Newer visible messages exist: ask again with after_id = the last id' }),
    others_read_seq: OthersReadSeq,
  },
  { description: 'A page of history; both flags are asked of the data, whichever cursor was given' },
);

export const historySchema = {
  tags: ['messages'],
  summary: "A page of a chat's history, oldest first (keyset: before_id / after_id)",
  description:
    'Without a cursor: the newest page. `before_id` and `after_id` together are 400. A cursor naming no message of the chat is 404 (after a `resume_too_far`, a message seen over the socket may not be in PostgreSQL yet: retry shortly). Banned callers get 403, non-members 404.',
  security: bearerSecurity,
  params: ChatIdParams,
  querystring: HistoryQuery,
  response: { 200: described(HistoryReply, 'A page of history'), ...errorResponses(...AUTHED, 'forbidden', 'not_found') },
};

export const EditMessageBody = Type.Object(
  {
    text: Type.String({
      minLength: 1,
      maxLength: MESSAGE_TEXT_MAX,
      pattern: '\\S',
      description: 'The new text, trimmed; not blank',
      examples: ['hello again'],
    }),
  },
  { additionalProperties: false },
);

const changeErrors = errorResponses(...AUTHED, 'forbidden', 'not_found');

export const editMessageSchema = {
  tags: ['messages'],
  summary: 'Edit your message (published on the chat stream)',
  security: bearerSecurity,
  params: ChatMessageParams,
  body: EditMessageBody,
  response: { 200: described(ApiMessage, 'The edited message'), ...changeErrors, ...errorResponses(...WITH_BODY) },
};

export const deleteMessageSchema = {
  tags: ['messages'],
  summary: 'Delete a message: your own, or anyone’s as an admin',
  security: bearerSecurity,
  params: ChatMessageParams,
  response: { 204: Type.Null({ description: 'Deleted (published on the chat stream)' }), ...changeErrors },
};

export const MarkReadBody = Type.Object(
  {
    message_id: IdOf('the message read up to'),
    seq: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        description:
          "The message's `seq` (from `message_sent`, `new_message`, `history`). With it, a message the stream acked but PostgreSQL does not have yet is found in the stream; without it, such a message is 404",
      }),
    ),
  },
  { additionalProperties: false },
);

export const ReadMarkReply = Type.Object({
  chat_id: IdOf('the chat'),
  message_id: IdOf('the message read up to'),
  last_read_seq: Type.Integer({ description: 'Stream position of the read mark; it never moves back' }),
  unread_count: Type.Integer({ minimum: 0, description: 'Messages of others after the read mark' }),
});

export const markReadSchema = {
  tags: ['messages'],
  summary: 'Move your read mark forward to a message',
  security: bearerSecurity,
  params: ChatIdParams,
  body: MarkReadBody,
  response: { 200: described(ReadMarkReply, 'The read mark after the call'), ...changeErrors, ...errorResponses(...WITH_BODY) },
};

export const ReactionParams = Type.Object({
  chat_id: IdOf('the chat'),
  message_id: IdOf('the message'),
  emoji: { ...Emoji, description: 'One emoji, URL-encoded', examples: ['👍'] },
});

/** What a `reaction` frame carries, minus its type: the change as stored at `seq`. */
export const ReactionChangeReply = Type.Omit(ReactionFrame, ['type']);

export const addReactionSchema = {
  tags: ['messages'],
  summary: 'Add your emoji reaction to a message (URL-encode the emoji)',
  security: bearerSecurity,
  params: ReactionParams,
  response: { 200: described(ReactionChangeReply, 'The change as stored at `seq` (members get a `reaction` frame)'), ...changeErrors },
};

export const removeReactionSchema = {
  tags: ['messages'],
  summary: 'Take back your emoji reaction on a message',
  security: bearerSecurity,
  params: ReactionParams,
  response: { 200: described(ReactionChangeReply, 'The change as stored at `seq`'), ...changeErrors },
};
