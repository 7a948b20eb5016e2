import Type from 'typebox';
import { Emoji, MESSAGE_TEXT_MAX, Message, REQUEST_ID_PATTERN, ReactionFrame } from '@neonchat/common/contracts';
import { FORWARD_MESSAGES_MAX } from '../domain/message-forwards.js';
import { AUTHED, described, errorResponses, WITH_BODY } from '../openapi/error-responses.js';
import { bearerSecurity, ChatIdParams, ChatMessageParams, IdOf, OthersReadSeq } from './common.js';

/** The Message every client sees, from common: REST and WebSocket frames share the shape. */
export const ApiMessage = Message;

export const HistoryQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Messages per page' }),
    before_id: Type.Optional(IdOf('a message: the page of messages older than it (not with after_id)')),
    after_id: Type.Optional(IdOf('a message: the page of messages newer than it (not with before_id)')),
    around: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        description: "A message's `seq`: the page centred on it (half before, the rest from it on); not with a cursor",
      }),
    ),
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

export const RepliesQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Replies per page' }),
    after_seq: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      default: 0,
      description: 'The `seq` of the last reply seen: the page of replies after it',
    }),
  },
  { additionalProperties: false },
);

export const RepliesReply = Type.Object({
  messages: Type.Array(ApiMessage, { description: 'Replies, oldest first; deleted ones are left out' }),
  has_next: Type.Boolean({ description: 'More replies: ask again with after_seq = the last seq' }),
});

export const repliesSchema = {
  tags: ['messages'],
  summary: 'The replies to one message, oldest first (keyset: after_seq)',
  description: 'A message that is not in the chat is 404; a deleted original still lists its replies. Banned callers 403, non-members 404.',
  security: bearerSecurity,
  params: ChatMessageParams,
  querystring: RepliesQuery,
  response: { 200: described(RepliesReply, 'A page of replies'), ...errorResponses(...AUTHED, 'forbidden', 'not_found') },
};

export const ForwardBody = Type.Object(
  {
    from_chat_id: IdOf('the chat the messages are in (the caller must be able to read it)'),
    message_ids: Type.Array(IdOf('a message to forward'), {
      minItems: 1,
      maxItems: FORWARD_MESSAGES_MAX,
      uniqueItems: true,
      description: `Up to ${FORWARD_MESSAGES_MAX} messages; copied in their stream order`,
    }),
    request_id: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: REQUEST_ID_PATTERN,
      description: 'Client id of this forward: a retry with the same one stores nothing twice',
    }),
  },
  { additionalProperties: false },
);

export const ForwardReply = Type.Object({
  messages: Type.Array(ApiMessage, { description: 'The copies as stored, each with `forwarded_from`' }),
});

export const forwardSchema = {
  tags: ['messages'],
  summary: 'Forward messages into this chat (copies with `forwarded_from`; members get `new_message`)',
  description:
    'The caller must be able to post here and read `from_chat_id`. `forwarded_from.chat_id` names the first origin only when the caller can read it. A message not stored yet (just sent) or deleted is 404. A message’s files (`attachments`) are forwarded with it: the same stored files (no copy), which the target chat’s members may then download and which stay while any message shows them.',
  security: bearerSecurity,
  params: ChatIdParams,
  body: ForwardBody,
  response: { 200: described(ForwardReply, 'The copies'), ...changeErrors, ...errorResponses(...WITH_BODY) },
};
