import type { Message, ReplyPreview } from '@neonchat/common/contracts';
import { h, shortTime } from '../dom.js';
import { splitMentions } from '../state/mention-token.js';
import { quoteText, replyCountText } from '../state/message-parts.js';
import type { MessengerState } from '../state/messenger-state.js';
import type { MessengerActions } from './actions.js';

/** The parts of a bubble issue 30 adds: the quote a reply shows, "Forwarded from …", mentions, the reply count. */

/** The quote of the message a reply answers; pressing it jumps to the original (unless it is deleted). */
export function quoteView(chatId: string, preview: ReplyPreview, state: MessengerState, actions: MessengerActions | null): HTMLElement {
  const author = state.userName(preview.sender_id, chatId) ?? 'someone';
  const act = preview.deleted ? null : actions;
  // Named by what it shows (no aria-label, so the visible text is the name), with words for screen readers.
  const body = [
    h('span', { class: 'sr-only' }, 'In reply to '),
    h('span', { class: 'quote-author' }, author),
    h('span', { class: 'sr-only' }, ': '),
    h('span', { class: 'quote-text' }, quoteText(preview)),
    act ? h('span', { class: 'sr-only' }, '. Show the original') : null,
  ];
  if (!act) return h('div', { class: `quote${preview.deleted ? ' deleted' : ''}`, attrs: { 'data-reply-to': preview.id } }, ...body);
  return h(
    'button',
    {
      class: 'quote',
      attrs: { type: 'button', 'data-reply-to': preview.id, 'data-focus-key': `quote:${preview.id}` },
      on: { click: () => act.openMessage(chatId, preview.id) },
    },
    ...body,
  );
}

/** "Forwarded from alice · in Team" (the chat only when the server named it and we know it). */
export function forwardedView(m: Message, state: MessengerState): HTMLElement | null {
  const origin = m.forwarded_from;
  if (!origin) return null;
  const author = state.userName(origin.sender_id, origin.chat_id) ?? 'someone';
  const where = origin.chat_id && state.chat(origin.chat_id) ? ` · in ${state.chatTitle(origin.chat_id)}` : '';
  return h(
    'div',
    { class: 'forwarded', attrs: { title: `Sent ${new Date(origin.sent_at).toLocaleString()}` } },
    `Forwarded from ${author}${where}`,
    h('span', { class: 'sr-only' }, `, sent ${shortTime(origin.sent_at)}`),
  );
}

/** The text, with the `@name`s the server resolved drawn as mentions. */
export function messageTextView(m: Message, state: MessengerState): HTMLElement {
  const names = new Set<string>();
  for (const id of m.mentions ?? []) {
    const name = state.userName(id, m.chat_id);
    if (name) names.add(name.toLowerCase());
  }
  const meName = state.me.username.toLowerCase();
  return h(
    'div',
    { class: 'text' },
    ...splitMentions(m.text, names).map((s) =>
      s.mention ? h('span', { class: `mention${s.mention === meName ? ' me' : ''}` }, s.text) : s.text,
    ),
  );
}

export function replyCountView(m: Message): HTMLElement | null {
  const text = replyCountText(m.reply_count);
  return text ? h('span', { class: 'reply-count' }, text, ' · ') : null;
}
