import { h } from '../dom.js';
import { errorText } from '../net/error-text.js';
import { isDeletedAccount, shownName } from '../state/display-name.js';
import type { MessengerState } from '../state/messenger-state.js';
import type { MessengerActions } from './actions.js';

/**
 * The 1:1 chat's "⋯" menu in its header: Block / Unblock the partner (issue 27). A menu button
 * (WAI-ARIA menu pattern): Enter or Space opens it with the focus on its first item, arrows move,
 * Escape closes it back onto the button. Null for a chat with a deleted account.
 */
export function chatMenu(state: MessengerState, actions: MessengerActions, chatId: string): HTMLElement | null {
  const partner = state.partnerOf(chatId);
  if (!partner || isDeletedAccount(partner.username)) return null;
  const blocked = state.blocks.isBlocked(partner.id);
  const error = h('p', { class: 'form-error menu-error', attrs: { role: 'alert' } });
  const toggle = h(
    'button',
    {
      class: 'ghost chat-menu-button',
      attrs: {
        type: 'button',
        'aria-label': 'Chat options',
        'aria-haspopup': 'menu',
        'aria-expanded': 'false',
        'aria-controls': 'chat-menu',
      },
    },
    '⋯',
  );
  const item = h(
    'button',
    { class: 'menu-item', attrs: { type: 'button', role: 'menuitem', tabindex: '-1', 'data-action': blocked ? 'unblock' : 'block' } },
    blocked ? `Unblock ${partner.username}` : `Block ${partner.username}`,
  );
  const menu = h('div', { class: 'chat-menu', attrs: { id: 'chat-menu', role: 'menu', 'aria-label': 'Chat options', hidden: true } }, item);
  const items = [item];
  const wrapper = h('div', { class: 'chat-menu-wrap' }, toggle, menu, error);

  const setOpen = (open: boolean, focus: 'item' | 'button' | 'none') => {
    menu.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (focus === 'item') items[0]?.focus();
    else if (focus === 'button') toggle.focus();
  };
  toggle.addEventListener('click', () => setOpen(menu.hidden, menu.hidden ? 'item' : 'none'));
  toggle.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      setOpen(true, 'item');
    }
  });
  menu.addEventListener('keydown', (e) => {
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      setOpen(false, 'button');
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      items[(at + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
    } else if (e.key === 'Tab') {
      setOpen(false, 'none');
    }
  });
  // A click or focus anywhere else closes it.
  wrapper.addEventListener('focusout', (e) => {
    if (!wrapper.contains(e.relatedTarget as Node | null)) setOpen(false, 'none');
  });
  item.addEventListener('click', () => {
    setOpen(false, 'button');
    error.textContent = '';
    actions.setBlocked(partner, !blocked).catch((err: unknown) => {
      error.textContent = errorText(err);
    });
  });
  return wrapper;
}

/**
 * Above the composer of a 1:1 chat: that I blocked the partner (with Unblock), or that the
 * partner refused my messages (the gateway's `forbidden`: they blocked me). Null otherwise.
 */
export function directChatNotice(state: MessengerState, actions: MessengerActions, chatId: string): HTMLElement | null {
  const partner = state.partnerOf(chatId);
  if (!partner) return null;
  const name = shownName(partner.username);
  if (state.blocks.isBlocked(partner.id)) {
    const error = h('span', { class: 'form-error', attrs: { role: 'alert' } });
    return h(
      'div',
      { class: 'chat-notice', attrs: { role: 'status', 'data-notice': 'you-blocked' } },
      h('span', {}, `You blocked ${name}: they cannot write to you here.`),
      h(
        'button',
        {
          class: 'link',
          attrs: { type: 'button', 'aria-label': `Unblock ${name}` },
          on: {
            click: () =>
              void actions.setBlocked(partner, false).catch((err: unknown) => {
                error.textContent = errorText(err);
              }),
          },
        },
        'Unblock',
      ),
      error,
    );
  }
  if (state.blocks.isRefusedIn(chatId))
    return h(
      'div',
      { class: 'chat-notice refused', attrs: { role: 'alert', 'data-notice': 'refused' } },
      isDeletedAccount(partner.username)
        ? 'This account was deleted: your message was not sent.'
        : `${name} does not accept messages from you: your message was not sent.`,
    );
  return null;
}
