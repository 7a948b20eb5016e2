import type { Message, ReadyFrame, ServerFrame } from '@neonchat/common/contracts';
import { ChatTimeline } from './chat-timeline.js';
import { h, replaceChildren, shortTime } from './dom.js';
import { GatewayConnection, type ConnectionState } from './gateway-connection.js';
import { ApiError, type ChatDetails, type ChatListItem, type PublicUser, type RestClient, type Session } from './rest-client.js';

type Presence = 'online' | 'away' | 'offline';

/** A send not confirmed by `message_sent` within this is sent again with the same request_id. */
const RESEND_AFTER_MS = 8000;
/** Typing is announced at most this often while the user keeps typing, and ends after this much quiet. */
const TYPING_REPEAT_MS = 2500;
const TYPING_QUIET_MS = 3000;
/** A `typing: true` without its `false` (a lost frame) stops showing after this. */
const TYPING_SHOWN_MS = 6000;
/** Error codes after which a send is worth repeating with the same request_id. */
const RETRYABLE = new Set(['unavailable', 'rate_limited', 'internal']);
const EDITING_NOTE = 'Editing a message. Enter saves, Escape cancels.';

/**
 * The signed-in screen: chat list, one open chat, dialogs. Owns the gateway connection and
 * turns its frames (and REST answers) into state, then re-renders the parts that changed.
 */
export class Messenger {
  readonly element: HTMLElement;
  private readonly me: Session['user'];
  private readonly conn: GatewayConnection;
  private chats: ChatListItem[] = [];
  private unreadOnly = false;
  private current: string | null = null;
  private readonly timelines = new Map<string, ChatTimeline>();
  private readonly details = new Map<string, ChatDetails>();
  private readonly presence = new Map<string, Presence>();
  private readonly typing = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();
  private readonly markedRead = new Map<string, number>();
  private loadingOlder = false;
  /** The chat the pane was last rendered for. */
  private paneChatId: string | null = null;
  private editing: Message | null = null;
  private typingSentAt = 0;
  private typingStop: ReturnType<typeof setTimeout> | undefined;
  private resendTimer: ReturnType<typeof setInterval> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  // Long-lived elements, filled by the render* methods.
  private readonly connPill = h('span', { class: 'conn', attrs: { role: 'status', 'data-state': 'connecting' } }, 'Connecting…');
  private readonly chatList = h('ul', { class: 'chat-list', attrs: { 'aria-label': 'Chats' } });
  private readonly searchInput = h('input', { attrs: { type: 'search', placeholder: 'Find people…', 'aria-label': 'Find people' } });
  private readonly searchResults = h('ul', { class: 'search-results', attrs: { 'aria-label': 'People' } });
  private readonly pane = h('main', { class: 'chat-pane' });
  private readonly dialog = h('dialog', { class: 'dialog' });

  constructor(
    private readonly rest: RestClient,
    session: Session,
    wsUrl: string,
    private readonly logout: () => void,
  ) {
    this.me = session.user;
    this.conn = new GatewayConnection(wsUrl, session.token, {
      ready: (f) => this.onReady(f),
      frame: (f) => this.onFrame(f),
      state: (s, detail) => this.renderConnection(s, detail),
      unauthorized: () => this.logout(),
      // Refused before the upgrade: a 401 from the API too means the session is over (the REST
      // client logs out), anything else is an outage and the connection keeps retrying.
      refused: () => void this.rest.me().catch(() => undefined),
    });
    let searchTimer: ReturnType<typeof setTimeout> | undefined;
    this.searchInput.addEventListener('input', () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => void this.search(), 250);
    });
    const unread = h('input', { attrs: { type: 'checkbox' } });
    unread.addEventListener('change', () => {
      this.unreadOnly = unread.checked;
      void this.refreshChats();
    });
    this.element = h(
      'div',
      { class: 'messenger', attrs: { 'data-view': 'list' } },
      h(
        'aside',
        { class: 'sidebar' },
        h(
          'header',
          { class: 'me' },
          avatar(this.me.username),
          h('div', { class: 'me-name' }, h('strong', {}, this.me.username), this.connPill),
          h('button', { class: 'ghost', attrs: { type: 'button' }, on: { click: () => this.logout() } }, 'Log out'),
        ),
        h('div', { class: 'search' }, this.searchInput, this.searchResults),
        h(
          'div',
          { class: 'list-tools' },
          h('label', { class: 'check' }, unread, 'Unread only'),
          h('button', { class: 'ghost', attrs: { type: 'button' }, on: { click: () => this.showCreateDialog() } }, '+ Group / channel'),
        ),
        this.chatList,
      ),
      this.pane,
      this.dialog,
    );
    this.renderPane();
  }

  start(): void {
    this.conn.start();
    void this.refreshChats();
    this.resendTimer = setInterval(() => this.resendStale(), 2000);
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  stop(): void {
    this.conn.stop();
    clearInterval(this.resendTimer);
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  private readonly onVisibility = () => {
    this.conn.send({ type: 'presence', status: document.hidden ? 'away' : 'online' });
    if (!document.hidden) this.markRead();
  };

  // ── connection ───────────────────────────────────────────────────────────────────────────

  private onReady(_ready: ReadyFrame): void {
    // Every chat this client has history of continues from its last seq; the one on screen
    // without history yet is opened. Sends waiting for `message_sent` go again after `resumed`.
    for (const t of this.timelines.values()) {
      if (t.loaded) this.conn.send({ type: 'resume', chat_id: t.chatId, after_seq: t.lastSeq, request_id: `resume:${t.chatId}` });
      else if (t.chatId === this.current) this.conn.send({ type: 'open', chat_id: t.chatId, request_id: `open:${t.chatId}` });
    }
    if (document.hidden) this.conn.send({ type: 'presence', status: 'away' });
    void this.refreshChats();
  }

  private renderConnection(state: ConnectionState, detail: string): void {
    const label = { connecting: 'Connecting…', online: 'Online', reconnecting: 'Reconnecting…', offline: 'Offline' }[state];
    this.connPill.dataset.state = state;
    this.connPill.textContent = detail ? `${label} ${detail}` : label;
  }

  private onFrame(f: Exclude<ServerFrame, ReadyFrame>): void {
    switch (f.type) {
      case 'history': {
        const t = this.timeline(f.chat_id);
        t.upsert(f.messages);
        t.hasPrevious = f.has_previous;
        t.loaded = true;
        this.resendPending(t);
        if (f.chat_id === this.current) this.renderMessages('bottom');
        this.markRead();
        return;
      }
      case 'new_message':
        return this.onMessage(f.message);
      case 'message_sent': {
        const t = this.timeline(f.message.chat_id);
        t.pending.delete(f.request_id);
        this.onMessage(f.message);
        return;
      }
      case 'message_updated':
        if (this.timelines.get(f.chat_id)?.edit(f.message_id, f.text, f.updated_at, f.seq) && f.chat_id === this.current)
          this.renderMessages();
        return;
      case 'message_deleted':
        if (this.timelines.get(f.chat_id)?.remove(f.message_id, f.seq) && f.chat_id === this.current) this.renderMessages();
        return;
      case 'read': {
        const t = this.timelines.get(f.chat_id);
        t?.seen(f.seq);
        if (f.user_id === this.me.id) {
          this.updateChat(f.chat_id, (c) => (c.unread_count = 0));
        } else if (t) {
          // A read mark's seq is its own stream position; what was read is the message.
          const read = t.messages.find((m) => m.id === f.message_id);
          if (read && read.seq > t.othersReadSeq) t.othersReadSeq = read.seq;
          if (f.chat_id === this.current) this.renderMessages();
        }
        return;
      }
      // `gap`: an event the gateway could not show; nothing to render, but its seq was seen (resume goes on past it).
      case 'reaction':
      case 'gap':
        this.timelines.get(f.chat_id)?.seen(f.seq);
        return;
      case 'typing':
        return this.onTyping(f.chat_id, f.user_id, f.is_typing);
      case 'presence':
        this.presence.set(f.user_id, f.event === 'user_online' ? 'online' : f.event === 'user_away' ? 'away' : 'offline');
        this.renderChatList();
        this.renderHeader();
        return;
      case 'resumed': {
        const t = this.timeline(f.chat_id);
        t.seen(f.last_seq);
        this.resendPending(t);
        if (f.chat_id === this.current) this.renderMessages();
        this.markRead();
        return;
      }
      case 'error':
        return this.onError(f.code, f.request_id);
      case 'reaction_saved':
      case 'pong':
        return;
      default: {
        const unknown: never = f;
        void unknown;
      }
    }
  }

  private onMessage(m: Message): void {
    const t = this.timelines.get(m.chat_id);
    const isNew = t ? !t.has(m.id) : true;
    if (t?.loaded) t.upsert([m]);
    if (!this.chats.some((c) => c.id === m.chat_id)) this.scheduleRefresh();
    else if (isNew) {
      this.updateChat(m.chat_id, (c) => {
        c.last_message = { text: m.text, sender_id: m.sender_id, created_at: m.created_at };
        c.updated_at = m.created_at;
        const seen = m.chat_id === this.current && !document.hidden;
        if (m.sender_id !== this.me.id && !seen) c.unread_count += 1;
      });
      this.chats.sort((a, b) => b.updated_at.localeCompare(a.updated_at));
      this.renderChatList();
    }
    if (m.chat_id === this.current) {
      this.clearTyping(m.chat_id, m.sender_id);
      this.renderMessages('follow');
      this.markRead();
    }
  }

  private onError(code: string, requestId: string | undefined): void {
    if (!requestId) return;
    if (requestId.startsWith('resume:') || requestId.startsWith('open:')) {
      const chatId = requestId.slice(requestId.indexOf(':') + 1);
      const t = this.timelines.get(chatId);
      if (!t) return;
      if (code === 'resume_too_far') {
        // Too much was missed to replay: start this chat over from its newest messages.
        this.timelines.delete(chatId);
        if (chatId === this.current) this.openTimeline(chatId);
      } else if (code === 'conflict' || RETRYABLE.has(code)) {
        setTimeout(() => this.conn.send({ type: 'resume', chat_id: chatId, after_seq: t.lastSeq, request_id: requestId }), 1000);
      }
      return;
    }
    for (const t of this.timelines.values()) {
      const p = t.pending.get(requestId);
      if (!p) continue;
      if (RETRYABLE.has(code)) setTimeout(() => this.sendPending(t, p), 1000);
      else p.failed = true;
      if (t.chatId === this.current) this.renderMessages();
    }
  }

  // ── sending ──────────────────────────────────────────────────────────────────────────────

  private send(text: string): void {
    const chatId = this.current;
    if (!chatId || !text.trim()) return;
    const t = this.timeline(chatId);
    const p = { requestId: crypto.randomUUID(), text, failed: false, sentAt: 0 };
    t.pending.set(p.requestId, p);
    this.sendPending(t, p);
    this.stopTyping();
    this.renderMessages('bottom');
  }

  private sendPending(t: ChatTimeline, p: { requestId: string; text: string; failed: boolean; sentAt: number }): void {
    if (!t.pending.has(p.requestId)) return;
    p.failed = false;
    p.sentAt = Date.now();
    this.conn.send({ type: 'message', chat_id: t.chatId, text: p.text, request_id: p.requestId });
  }

  private resendPending(t: ChatTimeline): void {
    for (const p of t.pending.values()) if (!p.failed) this.sendPending(t, p);
  }

  /** The same request_id again: the gateway's dedup stores it once and answers `message_sent`. */
  private resendStale(): void {
    if (!this.conn.ready) return;
    const now = Date.now();
    for (const t of this.timelines.values()) {
      for (const p of t.pending.values()) if (!p.failed && now - p.sentAt > RESEND_AFTER_MS) this.sendPending(t, p);
    }
  }

  private onComposerInput(): void {
    const chatId = this.current;
    if (!chatId) return;
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_REPEAT_MS) {
      this.typingSentAt = now;
      this.conn.send({ type: 'typing', chat_id: chatId, is_typing: true });
    }
    clearTimeout(this.typingStop);
    this.typingStop = setTimeout(() => this.stopTyping(), TYPING_QUIET_MS);
  }

  private stopTyping(): void {
    clearTimeout(this.typingStop);
    if (this.typingSentAt && this.current) this.conn.send({ type: 'typing', chat_id: this.current, is_typing: false });
    this.typingSentAt = 0;
  }

  private onTyping(chatId: string, userId: string, isTyping: boolean): void {
    if (userId === this.me.id) return;
    const users = this.typing.get(chatId) ?? new Map<string, ReturnType<typeof setTimeout>>();
    this.typing.set(chatId, users);
    clearTimeout(users.get(userId));
    if (isTyping)
      users.set(
        userId,
        setTimeout(() => this.clearTyping(chatId, userId), TYPING_SHOWN_MS),
      );
    else users.delete(userId);
    if (chatId === this.current) this.renderHeader();
  }

  private clearTyping(chatId: string, userId: string): void {
    const users = this.typing.get(chatId);
    if (!users?.has(userId)) return;
    clearTimeout(users.get(userId));
    users.delete(userId);
    if (chatId === this.current) this.renderHeader();
  }

  private markRead(): void {
    const chatId = this.current;
    const newest = chatId ? this.timelines.get(chatId)?.newest : undefined;
    if (!chatId || !newest || document.hidden) return;
    if ((this.markedRead.get(chatId) ?? 0) >= newest.seq) return;
    this.markedRead.set(chatId, newest.seq);
    this.updateChat(chatId, (c) => (c.unread_count = 0));
    this.renderChatList();
    this.rest.markRead(chatId, newest.id).catch(() => this.markedRead.delete(chatId));
  }

  // ── chats ────────────────────────────────────────────────────────────────────────────────

  private timeline(chatId: string): ChatTimeline {
    let t = this.timelines.get(chatId);
    if (!t) this.timelines.set(chatId, (t = new ChatTimeline(chatId)));
    return t;
  }

  private updateChat(chatId: string, change: (chat: ChatListItem) => void): void {
    const chat = this.chats.find((c) => c.id === chatId);
    if (chat) change(chat);
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refreshChats(), 200);
  }

  private async refreshChats(): Promise<void> {
    try {
      const { chats } = await this.rest.listChats(this.unreadOnly);
      this.chats = chats;
      for (const c of chats)
        if (c.partner) this.presence.set(c.partner.id, this.presence.get(c.partner.id) ?? (c.partner.online ? 'online' : 'offline'));
      this.renderChatList();
      this.renderHeader();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) this.renderConnection('offline', '(API unreachable)');
    }
  }

  private async selectChat(chatId: string): Promise<void> {
    if (this.current && this.current !== chatId) this.stopTyping();
    this.current = chatId;
    this.editing = null;
    this.element.dataset.view = 'chat';
    this.renderChatList();
    this.renderPane();
    const t = this.timelines.get(chatId);
    if (!t?.loaded) this.openTimeline(chatId);
    else this.markRead();
    try {
      this.details.set(chatId, await this.rest.chat(chatId));
    } catch {
      // the header shows what the list knows
    }
    if (this.current === chatId) this.renderPane();
  }

  private openTimeline(chatId: string): void {
    this.timeline(chatId);
    this.conn.send({ type: 'open', chat_id: chatId, request_id: `open:${chatId}` });
  }

  private async loadOlder(): Promise<void> {
    const chatId = this.current;
    const t = chatId ? this.timelines.get(chatId) : undefined;
    const oldest = t?.oldest;
    if (!chatId || !t || !oldest || !t.hasPrevious || this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      const page = await this.rest.olderMessages(chatId, oldest.id);
      t.upsert(page.messages);
      t.hasPrevious = page.has_previous;
      if (this.current === chatId) this.renderMessages('keep');
    } finally {
      this.loadingOlder = false;
    }
  }

  private async search(): Promise<void> {
    const query = this.searchInput.value.trim();
    if (!query) return replaceChildren(this.searchResults);
    let users: PublicUser[] = [];
    try {
      users = (await this.rest.searchUsers(query)).users.filter((u) => u.id !== this.me.id);
    } catch {
      return;
    }
    replaceChildren(
      this.searchResults,
      ...users.map((u) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              class: 'person',
              attrs: { type: 'button', 'data-user': u.username },
              on: {
                click: () =>
                  void (async () => {
                    const chat = await this.rest.openDirect(u.id);
                    this.searchInput.value = '';
                    replaceChildren(this.searchResults);
                    await this.refreshChats();
                    await this.selectChat(chat.id);
                  })(),
              },
            },
            avatar(u.username, u.online ? 'online' : 'offline'),
            h('span', {}, u.username),
          ),
        ),
      ),
      users.length ? null : h('li', { class: 'muted' }, 'Nobody by that name'),
    );
  }

  // ── rendering ────────────────────────────────────────────────────────────────────────────

  private chatTitle(chatId: string): string {
    const c = this.chats.find((x) => x.id === chatId);
    const d = this.details.get(chatId);
    return c?.partner?.username ?? c?.name ?? d?.partner?.username ?? d?.name ?? 'Chat';
  }

  private renderChatList(): void {
    // The list is drawn anew on every message, read mark and presence change: a keyboard user
    // on one of its chats keeps the focus there, or Enter would open nothing.
    const active = document.activeElement;
    const focusedChat = active instanceof HTMLElement && this.chatList.contains(active) ? active.dataset.chatId : undefined;
    const items = this.chats.map((c) => {
      const title = c.partner?.username ?? c.name ?? 'Chat';
      const status = c.partner ? (this.presence.get(c.partner.id) ?? 'offline') : undefined;
      const last = c.last_message;
      const kind = c.type === 'direct' ? null : h('span', { class: 'kind' }, c.type === 'channel' ? 'channel' : 'group');
      return h(
        'li',
        {},
        h(
          'button',
          {
            class: `chat-item${c.id === this.current ? ' active' : ''}`,
            attrs: {
              type: 'button',
              'data-chat-id': c.id,
              'data-title': title,
              'aria-current': c.id === this.current ? 'true' : undefined,
            },
            on: { click: () => void this.selectChat(c.id) },
          },
          avatar(title, status),
          h(
            'span',
            { class: 'chat-item-body' },
            h(
              'span',
              { class: 'chat-item-top' },
              h('span', { class: 'chat-item-title' }, title),
              kind,
              h('time', {}, last ? shortTime(last.created_at) : ''),
            ),
            h(
              'span',
              { class: 'chat-item-bottom' },
              h('span', { class: 'last' }, last ? `${last.sender_id === this.me.id ? 'You: ' : ''}${last.text}` : 'No messages yet'),
              c.unread_count ? h('span', { class: 'badge', attrs: { 'aria-label': `${c.unread_count} unread` } }, c.unread_count) : null,
            ),
          ),
        ),
      );
    });
    replaceChildren(
      this.chatList,
      ...items,
      items.length ? null : h('li', { class: 'muted empty' }, this.unreadOnly ? 'No unread chats' : 'No chats yet: find someone above'),
    );
    if (focusedChat !== undefined) {
      this.chatList.querySelector<HTMLElement>(`.chat-item[data-chat-id="${CSS.escape(focusedChat)}"]`)?.focus();
    }
  }

  private renderPane(): void {
    const chatId = this.current;
    // Re-rendering the same chat (its details came in, a role changed) keeps what is being typed.
    const oldBox = this.pane.querySelector<HTMLTextAreaElement>('.composer textarea');
    const draft =
      chatId !== null && chatId === this.paneChatId && oldBox ? { text: oldBox.value, focused: document.activeElement === oldBox } : null;
    this.paneChatId = chatId;
    if (!chatId) {
      replaceChildren(
        this.pane,
        h(
          'div',
          { class: 'empty-pane' },
          h('p', { class: 'logo' }, 'NeonChat'),
          h('p', { class: 'muted' }, 'Pick a chat, or find someone to talk to.'),
        ),
      );
      return;
    }
    const d = this.details.get(chatId);
    const list = h('ol', { class: 'messages', attrs: { 'aria-label': 'Messages', tabindex: '0' } });
    list.addEventListener('scroll', () => {
      // A list replaced by a redraw still gets the scroll event queued before it; detached, its
      // scrollTop reads 0, which is not the reader scrolling to the top.
      if (list.isConnected && list.scrollTop < 80) void this.loadOlder();
    });
    const type = d?.type ?? this.chats.find((c) => c.id === chatId)?.type;
    const readOnly = type === 'channel' && d?.my_role !== 'admin';
    replaceChildren(
      this.pane,
      h(
        'header',
        { class: 'chat-header' },
        h(
          'button',
          {
            class: 'ghost back',
            attrs: { type: 'button', 'aria-label': 'Back to chats' },
            on: {
              click: () => {
                this.element.dataset.view = 'list';
              },
            },
          },
          '←',
        ),
        h(
          'div',
          { class: 'chat-header-text' },
          h('h2', {}, this.chatTitle(chatId)),
          h('div', { class: 'subtitle', attrs: { 'aria-live': 'polite' } }),
        ),
        type && type !== 'direct'
          ? h('button', { class: 'ghost', attrs: { type: 'button' }, on: { click: () => this.showMembersDialog(chatId) } }, 'Members')
          : null,
      ),
      list,
      readOnly ? h('p', { class: 'read-only' }, 'Only admins can post in this channel.') : d || type !== 'channel' ? this.composer() : null,
    );
    this.renderHeader();
    this.renderMessages('bottom');
    const box = this.pane.querySelector<HTMLTextAreaElement>('.composer textarea');
    if (box && draft) {
      box.value = draft.text;
      if (draft.focused) box.focus();
      const note = this.pane.querySelector<HTMLElement>('.edit-note');
      if (note && this.editing) {
        note.hidden = false;
        note.textContent = EDITING_NOTE;
      }
    } else {
      this.editing = null;
    }
  }

  private composer(): HTMLElement {
    const input = h('textarea', { attrs: { rows: '1', placeholder: 'Message', 'aria-label': 'Message', maxlength: '4096' } });
    const editNote = h('div', { class: 'edit-note', attrs: { hidden: true } });
    const submit = () => {
      const text = input.value;
      if (!text.trim()) return;
      if (this.editing) {
        const m = this.editing;
        this.editing = null;
        editNote.hidden = true;
        void this.rest
          .editMessage(m.chat_id, m.id, text.trim())
          .then((edited) => {
            if (this.timelines.get(edited.chat_id)?.upsert([edited]) && edited.chat_id === this.current) this.renderMessages();
          })
          .catch(() => undefined);
      } else {
        this.send(text);
      }
      input.value = '';
    };
    input.addEventListener('input', () => this.onComposerInput());
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        submit();
      } else if (e.key === 'Escape' && this.editing) {
        this.editing = null;
        editNote.hidden = true;
        input.value = '';
      } else if (e.key === 'ArrowUp' && !input.value) {
        const own = this.timelines
          .get(this.current ?? '')
          ?.messages.filter((m) => m.sender_id === this.me.id)
          .at(-1);
        if (own) {
          e.preventDefault();
          this.startEdit(own);
        }
      }
    });
    return h(
      'form',
      {
        class: 'composer',
        on: {
          submit: (e) => {
            e.preventDefault();
            submit();
          },
        },
      },
      editNote,
      input,
      h('button', { class: 'primary', attrs: { type: 'submit', 'aria-label': 'Send' } }, 'Send'),
    );
  }

  private startEdit(m: Message): void {
    const input = this.pane.querySelector<HTMLTextAreaElement>('.composer textarea');
    const note = this.pane.querySelector<HTMLElement>('.edit-note');
    if (!input || !note) return;
    this.editing = m;
    input.value = m.text;
    note.hidden = false;
    note.textContent = EDITING_NOTE;
    input.focus();
  }

  private renderHeader(): void {
    const chatId = this.current;
    const subtitle = this.pane.querySelector('.subtitle');
    if (!chatId || !subtitle) return;
    const d = this.details.get(chatId);
    const names = new Map(d?.members.map((m) => [m.user_id, m.username]) ?? []);
    const typers = [...(this.typing.get(chatId)?.keys() ?? [])].map((id) => names.get(id) ?? 'Someone');
    const partner = d?.partner ?? this.chats.find((c) => c.id === chatId)?.partner;
    subtitle.classList.toggle('typing', typers.length > 0);
    if (typers.length) subtitle.textContent = `${typers.join(', ')} ${typers.length > 1 ? 'are' : 'is'} typing…`;
    else if (partner) subtitle.textContent = this.presence.get(partner.id) ?? 'offline';
    else if (d)
      subtitle.textContent = `${d.type === 'channel' ? 'channel' : 'group'} · ${d.members.length} member${d.members.length === 1 ? '' : 's'}`;
    else subtitle.textContent = '';
    if (partner) subtitle.setAttribute('data-presence', this.presence.get(partner.id) ?? 'offline');
  }

  /** `bottom`: scroll to the end; `follow`: only if already near it; `keep`: hold the view after older messages came in above. */
  private renderMessages(scroll: 'bottom' | 'follow' | 'keep' | 'none' = 'none'): void {
    const chatId = this.current;
    const list = this.pane.querySelector<HTMLOListElement>('.messages');
    if (!chatId || !list) return;
    const t = this.timeline(chatId);
    const d = this.details.get(chatId);
    const names = new Map(d?.members.map((m) => [m.user_id, m.username]) ?? []);
    const showAuthors = d ? d.type !== 'direct' : false;
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
    const fromBottom = list.scrollHeight - list.scrollTop;

    const rows: HTMLElement[] = [];
    if (t.loaded && t.hasPrevious)
      rows.push(h('li', { class: 'older muted' }, this.loadingOlder ? 'Loading…' : 'Scroll up for older messages'));
    else if (t.loaded && !t.messages.length && !t.pending.size) rows.push(h('li', { class: 'older muted' }, 'No messages yet. Say hi!'));
    else if (!t.loaded) rows.push(h('li', { class: 'older muted' }, 'Loading…'));
    for (const m of t.messages) {
      const mine = m.sender_id === this.me.id;
      const actions = mine
        ? h(
            'span',
            { class: 'actions' },
            h(
              'button',
              { class: 'link', attrs: { type: 'button', 'aria-label': 'Edit message' }, on: { click: () => this.startEdit(m) } },
              'Edit',
            ),
            h(
              'button',
              {
                class: 'link',
                attrs: { type: 'button', 'aria-label': 'Delete message' },
                on: {
                  click: () =>
                    void this.rest
                      .deleteMessage(m.chat_id, m.id)
                      .then(() => {
                        if (t.remove(m.id, 0) && m.chat_id === this.current) this.renderMessages();
                      })
                      .catch(() => undefined),
                },
              },
              'Delete',
            ),
          )
        : null;
      rows.push(
        h(
          'li',
          { class: `msg ${mine ? 'mine' : 'theirs'}`, attrs: { 'data-id': m.id, 'data-seq': String(m.seq) } },
          showAuthors && !mine ? h('div', { class: 'author' }, names.get(m.sender_id) ?? 'someone') : null,
          h('div', { class: 'text' }, m.text),
          h(
            'div',
            { class: 'meta' },
            m.updated_at ? 'edited · ' : '',
            shortTime(m.created_at),
            mine
              ? h(
                  'span',
                  { class: 'ticks', attrs: { title: m.seq <= t.othersReadSeq ? 'read' : 'delivered' } },
                  m.seq <= t.othersReadSeq ? ' ✓✓' : ' ✓',
                )
              : null,
            actions,
          ),
        ),
      );
    }
    for (const p of t.pending.values()) {
      rows.push(
        h(
          'li',
          { class: `msg mine pending${p.failed ? ' failed' : ''}`, attrs: { 'data-request-id': p.requestId } },
          h('div', { class: 'text' }, p.text),
          h(
            'div',
            { class: 'meta' },
            p.failed
              ? h('button', { class: 'link', attrs: { type: 'button' }, on: { click: () => this.sendPending(t, p) } }, 'Not sent: retry')
              : this.conn.ready
                ? 'sending…'
                : 'waiting for connection…',
          ),
        ),
      );
    }
    replaceChildren(list, ...rows);
    if (scroll === 'bottom' || (scroll === 'follow' && nearBottom)) list.scrollTop = list.scrollHeight;
    else if (scroll === 'keep') list.scrollTop = list.scrollHeight - fromBottom;
  }

  // ── dialogs ──────────────────────────────────────────────────────────────────────────────

  private openDialog(...children: Array<Node | null>): void {
    replaceChildren(
      this.dialog,
      h(
        'form',
        { attrs: { method: 'dialog' }, class: 'dialog-body' },
        ...children,
        h('div', { class: 'dialog-actions' }, h('button', { class: 'ghost', attrs: { type: 'submit', value: 'close' } }, 'Close')),
      ),
    );
    if (!this.dialog.open) this.dialog.showModal();
  }

  private showCreateDialog(): void {
    const name = h('input', { attrs: { 'aria-label': 'Name', placeholder: 'Name', maxlength: '100' } });
    const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
    const create = (type: 'group' | 'channel') =>
      void (async () => {
        if (!name.value.trim()) return void (error.textContent = 'Give it a name');
        try {
          const chat = await this.rest.createGroup(type, name.value.trim(), []);
          this.dialog.close();
          await this.refreshChats();
          await this.selectChat(chat.id);
        } catch (err) {
          error.textContent = err instanceof ApiError ? err.message : 'Could not create it';
        }
      })();
    this.openDialog(
      h('h3', {}, 'New group or channel'),
      h('p', { class: 'muted' }, 'In a channel only admins post; everyone else reads.'),
      name,
      error,
      h(
        'div',
        { class: 'row' },
        h('button', { class: 'primary', attrs: { type: 'button' }, on: { click: () => create('group') } }, 'Create group'),
        h('button', { class: 'primary', attrs: { type: 'button' }, on: { click: () => create('channel') } }, 'Create channel'),
      ),
    );
    name.focus();
  }

  private showMembersDialog(chatId: string): void {
    const d = this.details.get(chatId);
    if (!d) return;
    const admin = d.my_role === 'admin';
    const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
    const act = (action: () => Promise<unknown>) =>
      void (async () => {
        try {
          await action();
          this.details.set(chatId, await this.rest.chat(chatId));
          this.showMembersDialog(chatId);
          this.renderPane();
        } catch (err) {
          error.textContent = err instanceof ApiError ? err.message : 'That did not work';
        }
      })();
    const btn = (label: string, action: () => Promise<unknown>) =>
      h('button', { class: 'link', attrs: { type: 'button' }, on: { click: () => act(action) } }, label);
    const rows = d.members.map((m) =>
      h(
        'li',
        { class: 'member', attrs: { 'data-user': m.username } },
        avatar(m.username, this.presence.get(m.user_id)),
        h('span', { class: 'grow' }, m.username, m.user_id === this.me.id ? ' (you)' : ''),
        h('span', { class: 'role' }, m.role),
        admin && m.user_id !== this.me.id
          ? h(
              'span',
              { class: 'actions' },
              m.role === 'admin'
                ? btn('Make member', () => this.rest.setRole(chatId, m.user_id, 'member'))
                : btn('Make admin', () => this.rest.setRole(chatId, m.user_id, 'admin')),
              btn('Remove', () => this.rest.removeMember(chatId, m.user_id)),
              btn('Ban', () => this.rest.ban(chatId, m.user_id)),
            )
          : null,
      ),
    );
    const add = h('input', { attrs: { type: 'search', placeholder: 'Add someone by name…', 'aria-label': 'Add member' } });
    const found = h('ul', { class: 'search-results' });
    let timer: ReturnType<typeof setTimeout> | undefined;
    add.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          void (async () => {
            const q = add.value.trim();
            const users = q ? (await this.rest.searchUsers(q).catch(() => ({ users: [] }))).users : [];
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
                      {
                        class: 'person',
                        attrs: { type: 'button', 'data-user': u.username },
                        on: { click: () => act(() => this.rest.addMember(chatId, u.id)) },
                      },
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
    this.openDialog(
      h('h3', {}, `${this.chatTitle(chatId)} · members`),
      h('ul', { class: 'members' }, ...rows),
      error,
      admin ? add : null,
      admin ? found : null,
    );
  }
}

/** A round initial with an optional presence dot. */
function avatar(name: string, status?: Presence): HTMLElement {
  let hue = 0;
  for (const ch of name) hue = (hue * 31 + ch.codePointAt(0)!) % 360;
  const el = h('span', { class: 'avatar', attrs: { 'aria-hidden': 'true' } }, [...name][0]?.toUpperCase() ?? '?');
  el.style.setProperty('--hue', String(hue));
  if (status) el.appendChild(h('span', { class: `dot ${status}`, attrs: { 'data-presence': status } }));
  return el;
}
