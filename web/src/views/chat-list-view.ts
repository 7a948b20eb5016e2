import { h, replaceChildren, shortTime } from '../dom.js';
import { shownName } from '../state/display-name.js';
import type { MessengerState } from '../state/messenger-state.js';
import type { ChatListItem } from '../net/rest-client.js';
import type { MessengerActions } from './actions.js';
import { avatar, PRESENCE_TEXT } from './avatar.js';

/** The chat list: one button per chat with presence, preview and unread count. */
export class ChatListView {
  readonly element = h('ul', { class: 'chat-list', attrs: { 'aria-label': 'Chats' } });

  constructor(
    private readonly state: MessengerState,
    private readonly actions: MessengerActions,
  ) {}

  render(): void {
    // Drawn anew on every message, read mark and presence change: a keyboard user on one of its
    // chats keeps the focus there, or Enter would open nothing.
    const active = document.activeElement;
    const focused = active instanceof HTMLElement && this.element.contains(active) ? active.dataset.chatId : undefined;
    const items = this.state.chats.map((c) => this.item(c));
    replaceChildren(
      this.element,
      ...items,
      items.length
        ? null
        : h('li', { class: 'muted empty' }, this.state.unreadOnly ? 'No unread chats' : 'No chats yet: find someone above'),
    );
    if (focused !== undefined) this.element.querySelector<HTMLElement>(`.chat-item[data-chat-id="${CSS.escape(focused)}"]`)?.focus();
  }

  private item(c: ChatListItem): HTMLElement {
    const { me, current, presence } = this.state;
    const title = c.partner ? shownName(c.partner.username) : (c.name ?? 'Chat');
    const status = c.partner ? presence.of(c.partner.id) : undefined;
    const last = c.last_message;
    const preview = last ? `${last.sender_id === me.id ? 'You: ' : ''}${last.text}` : 'No messages yet';
    const kind = c.type === 'direct' ? null : h('span', { class: 'kind' }, c.type === 'channel' ? 'channel' : 'group');
    return h(
      'li',
      {},
      h(
        'button',
        {
          class: `chat-item${c.id === current ? ' active' : ''}`,
          attrs: {
            type: 'button',
            'data-chat-id': c.id,
            'data-title': title,
            'aria-current': c.id === current ? 'true' : undefined,
          },
          on: { click: () => this.actions.selectChat(c.id) },
        },
        avatar(title, status),
        h(
          'span',
          { class: 'chat-item-body' },
          h(
            'span',
            { class: 'chat-item-top' },
            h('span', { class: 'chat-item-title' }, title),
            // The dot is decorative; screen readers hear the status in words.
            status ? h('span', { class: 'sr-only' }, `, ${PRESENCE_TEXT[status]}`) : null,
            kind,
            h('time', {}, last ? shortTime(last.created_at) : ''),
          ),
          h(
            'span',
            { class: 'chat-item-bottom' },
            h('span', { class: 'last' }, preview),
            c.mention_count
              ? h(
                  'span',
                  { class: 'mention-badge', attrs: { title: 'Mentions of you' } },
                  '@',
                  c.mention_count,
                  h('span', { class: 'sr-only' }, c.mention_count === 1 ? ' mention' : ' mentions'),
                )
              : null,
            c.unread_count ? h('span', { class: 'badge' }, c.unread_count, h('span', { class: 'sr-only' }, ' unread')) : null,
          ),
        ),
      ),
    );
  }
}
