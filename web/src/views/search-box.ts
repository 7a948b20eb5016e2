import { h, replaceChildren, shortTime } from '../dom.js';
import type { RestClient, SearchHit } from '../net/rest-client.js';
import type { MessengerState } from '../state/messenger-state.js';
import { snippetRuns } from '../state/search-snippet.js';
import type { MessengerActions } from './actions.js';

/** Typing pauses this long before a search goes out. */
const SEARCH_DEBOUNCE_MS = 250;
/** The api's bound on `q`. */
const QUERY_MAX = 256;

/**
 * "Search messages…": full-text search over every chat the user can read, results as they
 * type. Each keystroke aborts the request still out, so an older answer never replaces a newer
 * one. A hit opens its chat at that message, highlighted. The snippet is built from text nodes
 * and `<mark>` elements (`snippetRuns`), never parsed as HTML.
 */
export class MessageSearchBox {
  readonly input = h('input', {
    attrs: { type: 'search', placeholder: 'Search messages…', 'aria-label': 'Search messages', maxlength: String(QUERY_MAX) },
  });
  readonly status = h('p', { class: 'search-status muted', attrs: { role: 'status' } });
  readonly results = h('ul', { class: 'search-results message-hits', attrs: { 'aria-label': 'Messages found' } });
  readonly element = h(
    'div',
    { class: 'search', attrs: { role: 'search', 'aria-label': 'Messages' } },
    this.input,
    this.status,
    this.results,
  );
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: AbortController | null = null;

  constructor(
    private readonly rest: RestClient,
    private readonly state: MessengerState,
    private readonly actions: MessengerActions,
  ) {
    this.input.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.inFlight?.abort();
      this.timer = setTimeout(() => void this.search(), SEARCH_DEBOUNCE_MS);
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.input.value) {
        e.preventDefault();
        this.clear();
      }
    });
  }

  clear(): void {
    clearTimeout(this.timer);
    this.inFlight?.abort();
    this.input.value = '';
    this.status.textContent = '';
    replaceChildren(this.results);
  }

  private async search(): Promise<void> {
    const q = this.input.value.trim().slice(0, QUERY_MAX);
    // Only letters and digits are searched for: anything else alone is refused (400) by the api.
    if (!/[\p{L}\p{N}]/u.test(q)) {
      this.status.textContent = '';
      return replaceChildren(this.results);
    }
    const request = new AbortController();
    this.inFlight = request;
    let hits: SearchHit[];
    try {
      hits = (await this.rest.searchMessages(q, request.signal)).hits;
    } catch {
      if (!request.signal.aborted) this.status.textContent = 'Search failed: try again';
      return;
    }
    if (this.inFlight !== request) return;
    this.inFlight = null;
    this.status.textContent = hits.length ? `${hits.length}${hits.length >= 20 ? '+' : ''} found` : 'No messages found';
    replaceChildren(this.results, ...hits.map((hit) => this.hitRow(hit)));
  }

  private hitRow(hit: SearchHit): HTMLElement {
    const chat = this.state.chatTitle(hit.chat_id);
    const author = hit.sender_id === this.state.me.id ? 'You' : (this.state.userName(hit.sender_id, hit.chat_id) ?? '');
    const snippet = h(
      'span',
      { class: 'hit-snippet' },
      ...snippetRuns(hit.snippet).map((run) => (run.mark ? h('mark', {}, run.text) : run.text)),
    );
    return h(
      'li',
      {},
      h(
        'button',
        {
          class: 'hit',
          attrs: { type: 'button', 'data-message-id': hit.message_id, 'data-chat-id': hit.chat_id },
          on: { click: () => this.actions.openMessage(hit.chat_id, hit.message_id, hit.seq) },
        },
        h('span', { class: 'hit-top' }, h('strong', { class: 'hit-chat' }, chat), h('time', {}, shortTime(hit.created_at))),
        author ? h('span', { class: 'hit-author muted' }, `${author}: `) : null,
        snippet,
      ),
    );
  }
}
