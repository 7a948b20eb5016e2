import type { Message } from '@neonchat/common/contracts';
import { attachmentsView } from '../attachments.js';
import { h, replaceChildren, shortTime } from '../dom.js';
import type { ChatTimeline, PendingMessage } from '../state/chat-timeline.js';
import type { MessengerState } from '../state/messenger-state.js';
import { mentionsUser } from '../state/message-parts.js';
import type { MessengerActions } from './actions.js';
import { forwardedView, messageTextView, quoteView, replyCountView } from './message-parts-view.js';

/** The reactions a message's actions offer; any other emoji still shows when someone sends it. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'] as const;

/** `bottom`: scroll to the end; `follow`: only if already near it; `keep`: hold the view after older messages came in above; `divider`: to the "new messages" line; `highlight`: to the message a jump landed on. */
export type ScrollIntent = 'bottom' | 'follow' | 'keep' | 'divider' | 'highlight' | 'none';

export interface MessageListContext {
  state: MessengerState;
  actions: MessengerActions;
  connected: boolean;
  loadingOlder: boolean;
}

/** Draws one chat's messages into `list` (an `ol`), keeping the reader's place as asked. */
export function renderMessageList(list: HTMLElement, t: ChatTimeline, ctx: MessageListContext, scroll: ScrollIntent): void {
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  const fromBottom = list.scrollHeight - list.scrollTop;
  const rows: HTMLElement[] = [];
  if (t.loaded && t.hasPrevious)
    rows.push(h('li', { class: 'older muted' }, ctx.loadingOlder ? 'Loading…' : 'Scroll up for older messages'));
  else if (t.loaded && !t.messages.length && !t.pending.size) rows.push(h('li', { class: 'older muted' }, 'No messages yet. Say hi!'));
  else if (!t.loaded) rows.push(h('li', { class: 'older muted' }, 'Loading…'));
  // Found once, then kept: messages arriving while the chat is open do not move the line.
  ctx.state.dividerAt ??= firstUnreadId(t, ctx.state) ?? null;
  const firstUnread = ctx.state.dividerAt;
  for (const m of t.messages) {
    if (m.id === firstUnread)
      // A plain list item: an `ol` may hold only `li`s that are list items (axe's "list" rule).
      rows.push(h('li', { class: 'divider' }, 'New messages'));
    rows.push(messageRow(m, t, ctx));
  }
  if (t.hasNext) rows.push(newerRow(ctx));
  else for (const p of t.pending.values()) rows.push(pendingRow(t.chatId, p, ctx));
  // A redraw must not lose the keyboard user's place (a reaction, a read mark redraws the list).
  const focusKey = focusedKey(list);
  replaceChildren(list, ...rows);
  if (focusKey) list.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
  const divider = list.querySelector<HTMLElement>('.divider');
  const target = scroll === 'highlight' ? list.querySelector<HTMLElement>('.msg.highlight') : null;
  if (target) list.scrollTop = target.offsetTop - list.offsetTop - Math.max(0, (list.clientHeight - target.offsetHeight) / 2);
  else if (scroll === 'divider' && divider) list.scrollTop = divider.offsetTop - list.offsetTop - 8;
  else if (scroll === 'bottom' || scroll === 'divider' || (scroll === 'follow' && nearBottom)) list.scrollTop = list.scrollHeight;
  else if (scroll === 'keep') list.scrollTop = list.scrollHeight - fromBottom;
}

/**
 * The oldest of the last `unreadAtOpen` messages from others: what was unread when the chat
 * was opened. Undefined while those are not all on screen yet (older pages still coming).
 */
function firstUnreadId(t: ChatTimeline, state: MessengerState): string | undefined {
  let left = state.unreadAtOpen;
  if (left <= 0) return undefined;
  const messages = t.messages;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.sender_id !== state.me.id && --left === 0) return messages[i]!.id;
  }
  return t.hasPrevious ? undefined : messages.find((m) => m.sender_id !== state.me.id)?.id;
}

function focusedKey(list: HTMLElement): string | undefined {
  const active = document.activeElement;
  return active instanceof HTMLElement && list.contains(active) ? active.dataset.focusKey : undefined;
}

function messageRow(m: Message, t: ChatTimeline, ctx: MessageListContext): HTMLElement {
  const { state, actions } = ctx;
  const mine = m.sender_id === state.me.id;
  const d = state.details.get(m.chat_id);
  const showAuthor = d !== undefined && d.type !== 'direct' && !mine;
  const read = mine && m.seq <= t.othersReadSeq;
  const open = state.actionsFor === m.id;
  const extra = `${mentionsUser(m, state.me.id) ? ' mentioned' : ''}${state.highlighted === m.id ? ' highlight' : ''}`;
  return h(
    'li',
    {
      class: `msg ${mine ? 'mine' : 'theirs'}${open ? ' open' : ''}${extra}`,
      attrs: {
        'data-id': m.id,
        'data-seq': String(m.seq),
        // The message a jump landed on takes the focus (and keeps it across redraws).
        tabindex: state.highlighted === m.id ? '-1' : undefined,
        'data-focus-key': state.highlighted === m.id ? `msg:${m.id}` : undefined,
      },
    },
    showAuthor ? h('div', { class: 'author' }, state.memberNames(m.chat_id).get(m.sender_id) ?? 'someone') : null,
    forwardedView(m, state),
    m.reply_to ? quoteView(m.chat_id, m.reply_to, state, actions) : null,
    m.text ? messageTextView(m, state) : null,
    m.attachments?.length ? attachmentsView(ctx.actions.rest, m.attachments) : null,
    reactionRow(m, actions, state.me.id),
    h(
      'div',
      { class: 'meta' },
      replyCountView(m),
      m.updated_at ? 'edited · ' : '',
      shortTime(m.created_at),
      mine
        ? h(
            'span',
            { class: 'ticks', attrs: { title: read ? 'read' : 'delivered', 'aria-label': read ? 'read' : 'delivered' } },
            read ? ' ✓✓' : ' ✓',
          )
        : null,
      h(
        'button',
        {
          class: 'link more',
          attrs: { type: 'button', 'aria-label': 'Message actions', 'aria-expanded': String(open), 'data-focus-key': `more:${m.id}` },
          on: { click: () => actions.toggleMessageActions(m.id) },
        },
        '⋯',
      ),
    ),
    open ? actionRow(m, mine, actions) : null,
  );
}

function reactionRow(m: Message, actions: MessengerActions, me: string): HTMLElement | null {
  if (!m.reactions?.length) return null;
  return h(
    'div',
    { class: 'reactions' },
    ...m.reactions.map((r) => {
      const mineToo = r.user_ids.includes(me);
      return h(
        'button',
        {
          class: `reaction${mineToo ? ' mine' : ''}`,
          attrs: {
            type: 'button',
            'aria-pressed': String(mineToo),
            'aria-label': `${r.emoji} ${r.user_ids.length}${mineToo ? ', yours: press to take back' : ': press to add yours'}`,
            'data-emoji': r.emoji,
            'data-focus-key': `reaction:${m.id}:${r.emoji}`,
          },
          on: { click: () => actions.toggleReaction(m, r.emoji) },
        },
        `${r.emoji} ${r.user_ids.length}`,
      );
    }),
  );
}

function actionRow(m: Message, mine: boolean, actions: MessengerActions): HTMLElement {
  const button = (label: string, text: string, key: string, click: () => void) =>
    h('button', { class: 'link', attrs: { type: 'button', 'aria-label': label, 'data-focus-key': `${key}:${m.id}` }, on: { click } }, text);
  return h(
    'div',
    { class: 'actions', attrs: { role: 'group', 'aria-label': 'Message actions' } },
    ...QUICK_REACTIONS.map((emoji) => button(`React ${emoji}`, emoji, `react-${emoji}`, () => actions.toggleReaction(m, emoji))),
    button('Reply to message', 'Reply', 'reply', () => actions.startReply(m)),
    button('Forward message', 'Forward', 'forward', () => actions.forwardMessage(m)),
    mine ? button('Edit message', 'Edit', 'edit', () => actions.startEdit(m)) : null,
    mine ? button('Delete message', 'Delete', 'delete', () => actions.deleteMessage(m)) : null,
  );
}

function pendingRow(chatId: string, p: PendingMessage, ctx: MessageListContext): HTMLElement {
  return h(
    'li',
    { class: `msg mine pending${p.failed ? ' failed' : ''}`, attrs: { 'data-request-id': p.requestId } },
    p.replyTo ? quoteView(chatId, p.replyTo, ctx.state, null) : null,
    h('div', { class: 'text' }, p.text || (p.attachments ? `📎 ${p.attachments.length} file(s)` : '')),
    h(
      'div',
      { class: 'meta' },
      p.failed
        ? h(
            'button',
            { class: 'link', attrs: { type: 'button' }, on: { click: () => ctx.actions.retrySend(chatId, p.requestId) } },
            'Not sent: retry',
          )
        : ctx.connected
          ? 'sending…'
          : 'waiting for connection…',
    ),
  );
}

/** After a jump far back, the messages up to the live end are not here: a button (and scrolling down) brings them. */
function newerRow(ctx: MessageListContext): HTMLElement {
  return h(
    'li',
    { class: 'older muted newer' },
    ctx.loadingOlder
      ? 'Loading…'
      : h(
          'button',
          { class: 'link', attrs: { type: 'button', 'data-focus-key': 'newer' }, on: { click: () => ctx.actions.loadNewer() } },
          'Show newer messages',
        ),
  );
}
