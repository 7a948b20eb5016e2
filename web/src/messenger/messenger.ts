import type { Message, ReadyFrame } from '@neonchat/common/contracts';
import { ACCOUNT_GONE_NOTICE, SESSION_ENDED_NOTICE } from '../auth/session-notices.js';
import { h } from '../dom.js';
import { GatewayConnection, type ConnectionState } from '../net/gateway-connection.js';
import { ApiError, type RestClient, type Session } from '../net/rest-client.js';
import { MessengerState } from '../state/messenger-state.js';
import type { MessengerActions } from '../views/actions.js';
import { avatar } from '../views/avatar.js';
import { ChatListView } from '../views/chat-list-view.js';
import { ChatPaneView } from '../views/chat-pane-view.js';
import { showCreateChatDialog } from '../views/create-chat-dialog.js';
import { showForwardDialog } from '../views/forward-dialog.js';
import { showMembersDialog } from '../views/members-dialog.js';
import { PeopleSearch } from '../views/people-search.js';
import { MessageSearchBox } from '../views/search-box.js';
import { previewOf } from '../state/message-parts.js';
import { MessageJump } from './message-jump.js';
import { AccountController } from './account-controller.js';
import { Outbox } from './outbox.js';
import { ServerFrames } from './server-frames.js';
import { TypingSender } from './typing-sender.js';

/** Older pages are asked for this many at a time (more when the unread reach further back). */
const PAGE_SIZE = 50;
const PAGE_MAX = 200;
/**
 * At most this many unread are fetched to open a chat at its divider; with more, it opens at
 * the newest and the divider shows once scrolling up reaches it.
 */
const UNREAD_FETCH_MAX = 150;

/**
 * The signed-in screen. Wires the connection, the REST client, the state and the views, and
 * is what every button ends in (`MessengerActions`). Frames are turned into state by
 * `ServerFrames`; drawing is the views' job.
 */
export class Messenger implements MessengerActions {
  readonly element: HTMLElement;
  private readonly state: MessengerState;
  private readonly conn: GatewayConnection;
  private readonly outbox: Outbox;
  private readonly typingSender: TypingSender;
  private readonly frames: ServerFrames;
  private readonly chatList: ChatListView;
  private readonly pane: ChatPaneView;
  private readonly search: PeopleSearch;
  private readonly messageSearch: MessageSearchBox;
  private readonly jump: MessageJump;
  private readonly account: AccountController;
  private readonly dialog = h('dialog', { class: 'dialog' });
  private readonly connPill = h('span', { class: 'conn', attrs: { role: 'status', 'data-state': 'connecting' } }, 'Connecting…');
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** The page is going away (reload, close): its hidden state is no "away". */
  private unloading = false;

  constructor(
    readonly rest: RestClient,
    session: Session,
    wsUrl: string,
    /** To the login screen; `notice` says why when it was not "Log out". */
    private readonly onLogout: (notice?: string) => void,
    auth: { readonly token: string; refresh(): Promise<string | null> } = { token: session.token, refresh: async () => null },
  ) {
    this.state = new MessengerState(session.user, (chatId) => chatId === this.state.current && this.pane.renderHeader());
    this.conn = new GatewayConnection(wsUrl, () => auth.token, {
      ready: (f) => this.onReady(f),
      frame: (f) => this.frames.handle(f),
      state: (s, detail) => this.onConnection(s, detail),
      // Our own deletion closes the socket too: the controller leaves with its own notice.
      unauthorized: (code) => this.account.isDeleting || this.onLogout(code === 4003 ? ACCOUNT_GONE_NOTICE : SESSION_ENDED_NOTICE),
      tokenExpired: () => auth.refresh(),
      // Refused before the upgrade: a 401 from the API too means the session is over (the REST
      // client logs out), anything else is an outage and the connection keeps retrying.
      refused: () => void this.rest.me().catch(() => undefined),
    });
    this.outbox = new Outbox(this.conn, this.state, (chatId) => chatId === this.state.current && this.pane.renderMessages());
    this.typingSender = new TypingSender(this.conn);
    this.chatList = new ChatListView(this.state, this);
    this.pane = new ChatPaneView(this.state, this, () => this.conn.ready);
    this.search = new PeopleSearch(rest, session.user.id, this);
    this.account = new AccountController({
      rest,
      state: this.state,
      dialog: this.dialog,
      redrawChat: () => this.redrawChat(),
      leave: (notice) => this.onLogout(notice),
    });
    this.messageSearch = new MessageSearchBox(rest, this.state, this);
    this.jump = new MessageJump({
      state: this.state,
      rest,
      openChat: (chatId) => this.openChat(chatId),
      render: (scroll) => this.pane.renderMessages(scroll),
      loading: this.pane,
      focus: (id) => this.pane.element.querySelector<HTMLElement>(`.msg[data-id="${CSS.escape(id)}"]`)?.focus({ preventScroll: true }),
    });
    this.frames = new ServerFrames({
      state: this.state,
      conn: this.conn,
      outbox: this.outbox,
      screen: {
        list: () => this.chatList.render(),
        header: () => this.pane.renderHeader(),
        messages: (scroll) => this.pane.renderMessages(scroll),
        pane: () => {
          this.pane.render();
          if (!this.state.current) this.backToList();
        },
      },
      markRead: () => this.markRead(),
      refreshChatsSoon: () => this.refreshChatsSoon(),
      reopen: (chatId) => this.openTimeline(chatId),
      historyLoaded: (chatId) => {
        void this.loadUnread(chatId);
        this.jump.historyLoaded(chatId);
      },
      refreshDetails: (chatId) => void this.refreshDetails(chatId),
      closeDialogOf: (chatId) => this.dialog.dataset.chatId === chatId && this.dialog.close(),
    });
    this.element = this.layout(session.user.username);
    this.pane.render();
  }

  private layout(username: string): HTMLElement {
    const unread = h('input', { attrs: { type: 'checkbox' }, on: { change: () => this.setUnreadOnly(unread.checked) } });
    return h(
      'div',
      { class: 'messenger', attrs: { 'data-view': 'list' } },
      h(
        'aside',
        { class: 'sidebar', attrs: { 'aria-label': 'Chats and people' } },
        h(
          'header',
          { class: 'me' },
          avatar(username),
          h('div', { class: 'me-name' }, h('strong', {}, username), this.connPill),
          h('button', { class: 'ghost', attrs: { type: 'button' }, on: { click: () => this.showAccount() } }, 'Account'),
          h('button', { class: 'ghost', attrs: { type: 'button' }, on: { click: () => this.logout() } }, 'Log out'),
        ),
        this.search.element,
        this.messageSearch.element,
        h(
          'div',
          { class: 'list-tools' },
          h('label', { class: 'check' }, unread, 'Unread only'),
          h('button', { class: 'ghost', attrs: { type: 'button' }, on: { click: () => this.showCreateChat() } }, '+ Group / channel'),
        ),
        this.chatList.element,
      ),
      this.pane.element,
      this.dialog,
    );
  }

  start(): void {
    this.conn.start();
    void this.refreshChats();
    void this.account.loadBlocks();
    this.outbox.start();
    document.addEventListener('visibilitychange', this.onVisibility);
    window.addEventListener('pagehide', this.onPageHide);
  }

  stop(): void {
    this.conn.stop();
    this.outbox.stop();
    document.removeEventListener('visibilitychange', this.onVisibility);
    window.removeEventListener('pagehide', this.onPageHide);
  }

  // A reload or close hides the page too (pagehide comes first): saying "away" then would
  // leave the others seeing us away until the next page's socket says otherwise.
  private readonly onPageHide = () => {
    this.unloading = true;
  };

  private readonly onVisibility = () => {
    if (this.unloading) return;
    this.conn.send({ type: 'presence', status: document.hidden ? 'away' : 'online' });
    if (!document.hidden) this.markRead();
  };

  // ── connection ───────────────────────────────────────────────────────────────────────────

  private onReady(_ready: ReadyFrame): void {
    // Every chat this client has history of continues from its last seq; the one on screen
    // without history yet is opened. Sends waiting for `message_sent` go again after `resumed`.
    for (const t of this.state.timelines.values()) {
      if (t.loaded) this.conn.send({ type: 'resume', chat_id: t.chatId, after_seq: t.lastSeq, request_id: `resume:${t.chatId}` });
      else if (t.chatId === this.state.current) this.openTimeline(t.chatId);
    }
    if (document.hidden) this.conn.send({ type: 'presence', status: 'away' });
    void this.refreshChats();
  }

  private onConnection(s: ConnectionState, detail: string): void {
    const label = { connecting: 'Connecting…', online: 'Online', reconnecting: 'Reconnecting…', offline: 'Offline' }[s];
    this.connPill.dataset.state = s;
    this.connPill.textContent = detail ? `${label} ${detail}` : label;
    const connected = s === 'online';
    // Presence comes over the socket: what we knew while it was up is stale once it is down.
    this.state.presence.setConnected(connected);
    this.chatList.render();
    this.pane.renderHeader();
  }

  // ── actions ──────────────────────────────────────────────────────────────────────────────

  /** Ends the session on the server first (so the token is refused from now on); a network error still logs out here. */
  logout(): void {
    // Our own socket is closed first: the 4004 the logout sends it is no "ended elsewhere".
    this.conn.stop();
    void this.rest
      .logout()
      .catch(() => undefined)
      .finally(() => this.onLogout());
  }

  selectChat(chatId: string): void {
    void this.openChat(chatId);
  }

  backToList(): void {
    this.element.dataset.view = 'list';
  }

  setUnreadOnly(unreadOnly: boolean): void {
    this.state.unreadOnly = unreadOnly;
    void this.refreshChats();
  }

  async startDirectChat(userId: string): Promise<void> {
    const chat = await this.rest.openDirect(userId);
    this.search.clear();
    await this.refreshChats();
    await this.openChat(chat.id);
  }

  send(text: string, attachments?: string[]): void {
    const chatId = this.state.current;
    if (!chatId || (!text.trim() && !attachments?.length)) return;
    // Held far back after a jump: the chat starts over from its newest, where the sent one goes.
    if (this.state.timelines.get(chatId)?.hasNext) {
      this.state.timelines.delete(chatId);
      this.openTimeline(chatId);
    }
    const replyingTo = this.state.replyingTo?.chat_id === chatId ? this.state.replyingTo : null;
    this.outbox.send(chatId, text.trim() ? text : '', attachments, replyingTo ? previewOf(replyingTo) : undefined);
    if (replyingTo) this.cancelReply();
    this.typingSender.stop();
    this.pane.renderMessages('bottom');
  }

  retrySend(chatId: string, requestId: string): void {
    this.outbox.retry(chatId, requestId);
  }

  composerInput(): void {
    if (this.state.current) this.typingSender.input(this.state.current);
  }

  startEdit(message: Message): void {
    this.state.editing = message;
    this.state.actionsFor = null;
    this.pane.renderMessages();
    this.pane.renderEditing();
  }

  cancelEdit(): void {
    this.state.editing = null;
    this.pane.renderEditing();
  }

  saveEdit(message: Message, text: string): void {
    this.state.editing = null;
    this.pane.renderEditing();
    void this.rest
      .editMessage(message.chat_id, message.id, text)
      .then((edited) => {
        const t = this.state.timelines.get(edited.chat_id);
        const wasNewest = t?.newest?.id === edited.id;
        if (
          t?.upsert([{ ...edited, reactions: t.messages.find((m) => m.id === edited.id)?.reactions ?? edited.reactions }]) &&
          edited.chat_id === this.state.current
        )
          this.pane.renderMessages();
        if (wasNewest && this.state.updateChat(edited.chat_id, (c) => c.last_message && (c.last_message.text = edited.text)))
          this.chatList.render();
      })
      .catch(() => undefined);
  }

  deleteMessage(message: Message): void {
    void this.rest
      .deleteMessage(message.chat_id, message.id)
      .then(() => {
        if (this.state.timelines.get(message.chat_id)?.remove(message.id, 0) && message.chat_id === this.state.current)
          this.pane.renderMessages();
        this.refreshChatsSoon();
      })
      .catch(() => undefined);
  }

  toggleReaction(message: Message, emoji: string): void {
    const mine = message.reactions?.find((r) => r.emoji === emoji)?.user_ids.includes(this.state.me.id) ?? false;
    this.conn.send({
      type: 'react',
      chat_id: message.chat_id,
      message_id: message.id,
      emoji,
      op: mine ? 'remove' : 'add',
      request_id: crypto.randomUUID(),
    });
  }

  toggleMessageActions(messageId: string): void {
    this.state.actionsFor = this.state.actionsFor === messageId ? null : messageId;
    this.pane.renderMessages();
  }

  startReply(message: Message): void {
    this.state.replyingTo = message;
    this.state.actionsFor = null;
    this.pane.renderMessages();
    this.pane.renderReply(true);
  }

  cancelReply(): void {
    this.state.replyingTo = null;
    this.pane.renderReply(false);
  }

  forwardMessage(message: Message): void {
    this.state.actionsFor = null;
    this.pane.renderMessages();
    showForwardDialog(
      { dialog: this.dialog, rest: this.rest, state: this.state, forwarded: (chatId) => void this.openChat(chatId) },
      message,
    );
  }

  openMessage(chatId: string, messageId: string, seq?: number): void {
    void this.jump.jump(chatId, messageId, seq);
  }

  loadNewer(): void {
    void this.jump.loadNewer().then(() => this.markRead());
  }

  loadOlder(): void {
    void this.loadOlderPage(PAGE_SIZE, 'keep');
  }

  showMembers(chatId: string): void {
    showMembersDialog(
      {
        dialog: this.dialog,
        rest: this.rest,
        state: this.state,
        changed: (id) => id === this.state.current && this.pane.render(),
      },
      chatId,
    );
  }

  showCreateChat(): void {
    showCreateChatDialog(this.dialog, async (type, name) => {
      const chat = await this.rest.createGroup(type, name, []);
      this.dialog.close();
      await this.refreshChats();
      await this.openChat(chat.id);
    });
  }

  showAccount(): void {
    this.account.show();
  }

  setBlocked(user: { id: string; username: string }, blocked: boolean): Promise<void> {
    return this.account.setBlocked(user, blocked);
  }

  /** The open chat again (keeping the draft), and the keyboard's place in its menu or notice. */
  private redrawChat(): void {
    if (!this.state.current) return;
    const active = document.activeElement;
    const inMenu = active instanceof HTMLElement && this.pane.element.contains(active) && active.closest('.chat-menu-wrap, .chat-notice');
    this.pane.render();
    if (inMenu) this.pane.element.querySelector<HTMLElement>('.chat-menu-button')?.focus();
  }

  // ── chats ────────────────────────────────────────────────────────────────────────────────

  private async openChat(chatId: string): Promise<void> {
    if (this.state.current && this.state.current !== chatId) this.typingSender.stop();
    const { state } = this;
    if (state.current !== chatId) {
      state.unreadAtOpen = state.chat(chatId)?.unread_count ?? 0;
      state.dividerAt = null;
      state.actionsFor = null;
      state.highlighted = null;
    }
    state.current = chatId;
    state.editing = null;
    this.element.dataset.view = 'chat';
    this.chatList.render();
    this.pane.render();
    const t = state.timelines.get(chatId);
    if (!t?.loaded) this.openTimeline(chatId);
    else {
      void this.loadUnread(chatId);
      this.markRead();
    }
    try {
      state.details.set(chatId, await this.rest.chat(chatId));
    } catch {
      // the header shows what the list knows
    }
    if (state.current === chatId) this.pane.render();
  }

  private async refreshDetails(chatId: string): Promise<void> {
    if (!this.state.details.has(chatId)) return;
    try {
      this.state.details.set(chatId, await this.rest.chat(chatId));
    } catch {
      return; // removed meanwhile: a chat_removed follows
    }
    if (this.state.current === chatId) this.pane.render();
    if (this.dialog.open && this.dialog.dataset.chatId === chatId) this.showMembers(chatId);
  }

  private openTimeline(chatId: string): void {
    this.state.timeline(chatId);
    this.conn.send({ type: 'open', chat_id: chatId, request_id: `open:${chatId}` });
  }

  /** Older pages until every message unread at opening is on screen, so the divider can stand before the first. */
  private async loadUnread(chatId: string): Promise<void> {
    const { state } = this;
    const t = state.timelines.get(chatId);
    if (!t || state.current !== chatId || state.unreadAtOpen <= 0 || state.unreadAtOpen > UNREAD_FETCH_MAX) return;
    const othersShown = t.messages.filter((m) => m.sender_id !== state.me.id).length;
    const missing = state.unreadAtOpen - othersShown;
    if (missing <= 0 || !t.hasPrevious) return;
    await this.loadOlderPage(Math.min(PAGE_MAX, missing + 10), 'divider');
    if (t.hasPrevious && state.current === chatId) await this.loadUnread(chatId);
  }

  private async loadOlderPage(limit: number, scroll: 'keep' | 'divider'): Promise<void> {
    const chatId = this.state.current;
    const t = chatId ? this.state.timelines.get(chatId) : undefined;
    const oldest = t?.oldest;
    if (!chatId || !t || !oldest || !t.hasPrevious || this.pane.loadingOlder) return;
    this.pane.loadingOlder = true;
    try {
      const page = await this.rest.olderMessages(chatId, oldest.id, limit);
      t.upsert(page.messages);
      t.hasPrevious = page.has_previous;
      if (page.others_read_seq) t.othersRead(page.others_read_seq);
    } finally {
      this.pane.loadingOlder = false;
    }
    // Not away from a message a jump just landed on.
    if (this.state.current === chatId) this.pane.renderMessages(this.state.highlighted ? 'keep' : scroll);
  }

  private markRead(): void {
    const { state } = this;
    const chatId = state.current;
    const t = chatId ? state.timelines.get(chatId) : undefined;
    const newest = t?.newest;
    // Held far back after a jump, the newest here is not the chat's newest.
    if (!chatId || !newest || t.hasNext || document.hidden) return;
    if ((state.markedRead.get(chatId) ?? 0) >= newest.seq) return;
    state.markedRead.set(chatId, newest.seq);
    state.updateChat(chatId, (c) => (c.unread_count = c.mention_count = 0));
    this.chatList.render();
    this.rest.markRead(chatId, newest.id, newest.seq).catch(() => state.markedRead.delete(chatId));
  }

  private refreshChatsSoon(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refreshChats(), 200);
  }

  private async refreshChats(): Promise<void> {
    try {
      const { chats } = await this.rest.listChats(this.state.unreadOnly);
      this.state.setChats(chats);
      this.chatList.render();
      this.pane.renderHeader();
      if (this.state.current) this.pane.renderMessages();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) this.onConnection('offline', '(API unreachable)');
    }
  }
}
