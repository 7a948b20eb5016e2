import { h, replaceChildren } from '../dom.js';
import type { PublicUser, RestClient } from '../net/rest-client.js';
import type { MessengerActions } from './actions.js';
import { avatar } from './avatar.js';

/** "Find people…": a name prefix lists people; picking one opens the 1:1 chat with them. */
export class PeopleSearch {
  readonly input = h('input', { attrs: { type: 'search', placeholder: 'Find people…', 'aria-label': 'Find people' } });
  readonly results = h('ul', { class: 'search-results', attrs: { 'aria-label': 'People' } });
  readonly element = h('div', { class: 'search', attrs: { role: 'search' } }, this.input, this.results);
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly rest: RestClient,
    private readonly meId: string,
    private readonly actions: MessengerActions,
  ) {
    this.input.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.search(), 250);
    });
  }

  clear(): void {
    this.input.value = '';
    replaceChildren(this.results);
  }

  private async search(): Promise<void> {
    const query = this.input.value.trim();
    if (!query) return replaceChildren(this.results);
    let users: PublicUser[] = [];
    try {
      users = (await this.rest.searchUsers(query)).users.filter((u) => u.id !== this.meId);
    } catch {
      return;
    }
    replaceChildren(
      this.results,
      ...users.map((u) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              class: 'person',
              attrs: {
                type: 'button',
                'data-user': u.username,
                'aria-label': `Chat with ${u.username} (${u.online ? 'online' : 'offline'})`,
              },
              on: { click: () => void this.actions.startDirectChat(u.id) },
            },
            avatar(u.username, u.online ? 'online' : 'offline'),
            h('span', {}, u.username),
          ),
        ),
      ),
      users.length ? null : h('li', { class: 'muted' }, 'Nobody by that name'),
    );
  }
}
