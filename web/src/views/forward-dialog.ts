import type { Message } from '@neonchat/common/contracts';
import { h, replaceChildren } from '../dom.js';
import { errorText } from '../net/error-text.js';
import type { ChatListItem, RestClient } from '../net/rest-client.js';
import type { MessengerState } from '../state/messenger-state.js';
import { avatar } from './avatar.js';
import { openDialog } from './dialog-frame.js';

export interface ForwardDialogDeps {
  dialog: HTMLDialogElement;
  rest: RestClient;
  state: MessengerState;
  /** The copy is in `chatId`: open it there. */
  forwarded(chatId: string): void;
}

/**
 * "Forward to…": the chats the user can post in (a channel only where they are an admin), a
 * filter by name, and one press to copy the message there. Each target keeps its request id, so
 * pressing again after a lost answer stores nothing twice.
 */
export function showForwardDialog(deps: ForwardDialogDeps, message: Message): void {
  const { rest, state } = deps;
  const filter = h('input', { attrs: { type: 'search', placeholder: 'Find a chat…', 'aria-label': 'Find a chat to forward to' } });
  const targets = h('ul', { class: 'forward-targets', attrs: { 'aria-label': 'Chats to forward to', 'aria-busy': 'true' } });
  const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
  const requestIds = new Map<string, string>();
  let chats: ChatListItem[] = [];

  const forward = async (chatId: string, button: HTMLButtonElement) => {
    let requestId = requestIds.get(chatId);
    if (!requestId) requestIds.set(chatId, (requestId = crypto.randomUUID()));
    button.disabled = true;
    error.textContent = '';
    try {
      await rest.forward(chatId, message.chat_id, [message.id], requestId);
      deps.dialog.close();
      deps.forwarded(chatId);
    } catch (err) {
      error.textContent = errorText(err);
      button.disabled = false;
    }
  };
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    const shown = chats.filter((c) => state.chatTitle(c.id).toLowerCase().includes(q));
    targets.removeAttribute('aria-busy');
    replaceChildren(
      targets,
      ...shown.map((c) => {
        const title = state.chatTitle(c.id);
        const button = h(
          'button',
          { class: 'person', attrs: { type: 'button', 'data-chat-id': c.id, 'data-title': title, 'aria-label': `Forward to ${title}` } },
          avatar(title),
          h('span', {}, title),
        );
        button.addEventListener('click', () => void forward(c.id, button));
        return h('li', {}, button);
      }),
      shown.length ? null : h('li', { class: 'muted' }, 'No chat to forward to'),
    );
  };
  filter.addEventListener('input', draw);
  openDialog(deps.dialog, 'Forward to…', filter, targets, error);
  filter.focus();
  void postableChats(rest, state).then((found) => {
    chats = found;
    if (targets.isConnected) draw();
  });
}

/** The chats of the list one may post in: any 1:1 chat or group, a channel only as its admin (its details say). */
async function postableChats(rest: RestClient, state: MessengerState): Promise<ChatListItem[]> {
  const channels = state.chats.filter((c) => c.type === 'channel' && !state.details.has(c.id));
  await Promise.all(
    channels.map(async (c) => {
      try {
        state.details.set(c.id, await rest.chat(c.id));
      } catch {
        // left meanwhile: not offered
      }
    }),
  );
  return state.chats.filter((c) => c.type !== 'channel' || state.details.get(c.id)?.my_role === 'admin');
}
