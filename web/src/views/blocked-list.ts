import { h, replaceChildren } from '../dom.js';
import type { AccountApi, BlockedUser } from '../net/account-api.js';
import { errorText } from '../net/error-text.js';
import { avatar } from './avatar.js';
import { dateTime } from './sessions-list.js';

export interface BlockedSection {
  readonly element: HTMLElement;
  reload(): Promise<void>;
}

/** "Blocked people": whom I blocked (newest first), each with Unblock. */
export function blockedSection(
  api: AccountApi,
  setBlocked: (user: { id: string; username: string }, blocked: boolean) => Promise<void>,
): BlockedSection {
  const list = h('ul', { class: 'blocked-users', attrs: { 'aria-labelledby': 'account-blocked' } });
  const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });

  const row = (u: BlockedUser): HTMLElement =>
    h(
      'li',
      { class: 'member', attrs: { 'data-user': u.username } },
      avatar(u.username),
      h(
        'span',
        { class: 'grow' },
        u.username,
        h('span', { class: 'muted' }, ' · blocked ', h('time', { attrs: { datetime: u.blocked_at } }, dateTime(u.blocked_at))),
      ),
      h(
        'button',
        {
          class: 'link',
          attrs: { type: 'button', 'aria-label': `Unblock ${u.username}` },
          on: {
            click: () =>
              void (async () => {
                error.textContent = '';
                try {
                  await setBlocked(u, false);
                } catch (err) {
                  error.textContent = errorText(err);
                }
                await reload();
              })(),
          },
        },
        'Unblock',
      ),
    );

  async function reload(): Promise<void> {
    try {
      const { users } = await api.blocks();
      replaceChildren(list, ...users.map(row), users.length ? null : h('li', { class: 'muted' }, 'You have not blocked anyone.'));
    } catch (err) {
      error.textContent = errorText(err);
    }
  }

  const element = h(
    'section',
    { class: 'account-section', attrs: { 'aria-labelledby': 'account-blocked' } },
    h('h4', { attrs: { id: 'account-blocked' } }, 'Blocked people'),
    h('p', { class: 'muted' }, 'They cannot write to you in a 1:1 chat or find you in search. Groups are not affected.'),
    list,
    error,
  );
  return { element, reload };
}
