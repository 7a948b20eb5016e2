import { h } from '../dom.js';
import { previewOf } from '../state/message-parts.js';
import type { MessengerState } from '../state/messenger-state.js';
import type { MessengerActions } from './actions.js';
import { quoteView } from './message-parts-view.js';

/** Above the composer while a reply is being written: the quoted original and a way out (✕ or Escape). */
export function replyBar(state: MessengerState, actions: MessengerActions): HTMLElement | null {
  const m = state.replyingTo;
  if (!m || m.chat_id !== state.current) return null;
  return h(
    'div',
    { class: 'reply-bar', attrs: { role: 'group', 'aria-label': 'Replying to' } },
    h('span', { class: 'reply-bar-label' }, 'Reply to'),
    quoteView(m.chat_id, previewOf(m), state, null),
    h(
      'button',
      {
        class: 'ghost',
        attrs: { type: 'button', 'aria-label': 'Cancel reply', title: 'Cancel reply (Escape)' },
        on: { click: () => actions.cancelReply() },
      },
      '✕',
    ),
  );
}
