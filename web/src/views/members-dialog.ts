import { h, replaceChildren } from '../dom.js';
import { errorText } from '../net/error-text.js';
import type { ChatDetails, PublicUser, RestClient } from '../net/rest-client.js';
import { shownName } from '../state/display-name.js';
import type { MessengerState } from '../state/messenger-state.js';
import { avatar } from './avatar.js';
import { openDialog } from './dialog-frame.js';

export interface MembersDialogDeps {
  dialog: HTMLDialogElement;
  rest: RestClient;
  state: MessengerState;
  /** The chat's details changed (a member added, removed, promoted): redraw what shows them. */
  changed(chatId: string): void;
}

/** A group's or channel's members; an admin adds, removes, bans and promotes/demotes here. */
export function showMembersDialog(deps: MembersDialogDeps, chatId: string): void {
  const { rest, state } = deps;
  const d = state.details.get(chatId);
  if (!d) return;
  const admin = d.my_role === 'admin';
  const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
  const act = (action: () => Promise<unknown>) =>
    void (async () => {
      try {
        await action();
        state.details.set(chatId, await rest.chat(chatId));
        showMembersDialog(deps, chatId);
        deps.changed(chatId);
      } catch (err) {
        error.textContent = errorText(err);
      }
    })();
  const btn = (label: string, who: string, action: () => Promise<unknown>) =>
    h('button', { class: 'link', attrs: { type: 'button', 'aria-label': `${label} ${who}` }, on: { click: () => act(action) } }, label);
  const rows = d.members.map((m) =>
    h(
      'li',
      { class: 'member', attrs: { 'data-user': m.username } },
      avatar(shownName(m.username), state.presence.of(m.user_id)),
      h('span', { class: 'grow' }, shownName(m.username), m.user_id === state.me.id ? ' (you)' : ''),
      h('span', { class: 'role' }, m.role),
      admin && m.user_id !== state.me.id
        ? h(
            'span',
            { class: 'actions' },
            m.role === 'admin'
              ? btn('Make member', m.username, () => rest.setRole(chatId, m.user_id, 'member'))
              : btn('Make admin', m.username, () => rest.setRole(chatId, m.user_id, 'admin')),
            btn('Remove', m.username, () => rest.removeMember(chatId, m.user_id)),
            btn('Ban', m.username, () => rest.ban(chatId, m.user_id)),
          )
        : null,
    ),
  );
  openDialog(
    deps.dialog,
    `${state.chatTitle(chatId)} · members`,
    h('ul', { class: 'members' }, ...rows),
    error,
    ...(admin ? addMemberSearch(deps, d, (userId) => act(() => rest.addMember(chatId, userId))) : []),
  );
  // Which chat the open dialog is about: a membership change of ours redraws or closes it.
  deps.dialog.dataset.chatId = chatId;
}

function addMemberSearch(deps: MembersDialogDeps, d: ChatDetails, add: (userId: string) => void): HTMLElement[] {
  const input = h('input', { attrs: { type: 'search', placeholder: 'Add someone by name…', 'aria-label': 'Add member' } });
  const found = h('ul', { class: 'search-results', attrs: { 'aria-label': 'People to add' } });
  let timer: ReturnType<typeof setTimeout> | undefined;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(
      () =>
        void (async () => {
          const q = input.value.trim();
          const users: PublicUser[] = q ? (await deps.rest.searchUsers(q).catch(() => ({ users: [] }))).users : [];
          replaceChildren(
            found,
            ...users
              .filter((u) => !d.members.some((m) => m.user_id === u.id))
              .map((u) =>
                h(
                  'li',
                  {},
                  h(
                    'button',
                    { class: 'person', attrs: { type: 'button', 'data-user': u.username }, on: { click: () => add(u.id) } },
                    avatar(u.username),
                    h('span', {}, `Add ${u.username}`),
                  ),
                ),
              ),
          );
        })(),
      250,
    );
  });
  return [input, found];
}
