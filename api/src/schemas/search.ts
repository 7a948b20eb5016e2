import Type from 'typebox';
import { AUTHED, described, errorResponses } from '../openapi/error-responses.js';
import { SEARCH_QUERY_MAX } from '../domain/message-search.js';
import { bearerSecurity, IdOf } from './common.js';

export const SearchQuery = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: SEARCH_QUERY_MAX,
      description:
        'Words to find (all of them; the last also as a prefix). Russian and English words are stemmed; anything but letters and digits separates words, so no query syntax applies',
      examples: ['сообщения'],
    }),
    chat_id: Type.Optional(IdOf('a chat: search only there')),
    sender_id: Type.Optional(IdOf('a user: only their messages')),
    before: Type.Optional(IdOf('a message: hits older than it (the `next_before` of the last page)')),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Hits per page' }),
  },
  { additionalProperties: false },
);

export const SearchHit = Type.Object({
  message_id: IdOf('the message'),
  chat_id: IdOf('its chat'),
  seq: Type.Integer({ minimum: 1, description: 'Its position in the chat: open it with history `around=seq`' }),
  sender_id: IdOf('its author'),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  snippet: Type.String({
    description: 'A passage of its current text (8–24 words around the matches), HTML-escaped, the matched words inside `<mark>…</mark>`',
  }),
});

export const SearchReply = Type.Object({
  hits: Type.Array(SearchHit, { description: 'Newest first' }),
  next_before: Type.Optional(IdOf('the `before` of the next page; absent on the last')),
});

export const searchSchema = {
  tags: ['search'],
  summary: 'Full-text search over the messages of every chat you can read now',
  description:
    'Chats you left, were removed or banned from are not searched; deleted messages never match; edited ones match by their current text. A `q` with no letter or digit is 400.',
  security: bearerSecurity,
  querystring: SearchQuery,
  response: { 200: described(SearchReply, 'A page of hits'), ...errorResponses(...AUTHED) },
};
