import type { Message, ReadyFrame, ServerFrame } from '@neonchat/common/contracts';
import type { GatewayConnection } from '../net/gateway-connection.js';
import { mentionsUser } from '../state/message-parts.js';
import type { MessengerState } from '../state/messenger-state.js';
import { RETRYABLE, type Outbox } from './outbox.js';
import type { Screen } from './screen.js';

export interface ServerFrameDeps {
  state: MessengerState;
  conn: GatewayConnection;
  outbox: Outbox;
  screen: Screen;
  /** Mark the newest message of the chat on screen read (if the page is visible). */
  markRead(): void;
  /** Fetch the chat list again soon (a chat we do not know of yet spoke). */
  refreshChatsSoon(): void;
  /** Start a chat over from its newest messages (`open`). */
  reopen(chatId: string): void;
  /** The open chat's history came: load older pages if the unread reach further back. */
  historyLoaded(chatId: string): void;
  /** Read the chat's details (members, my role) again and redraw what shows them. */
  refreshDetails(chatId: string): void;
  /** Close the dialog if it is about this chat. */
  closeDialogOf(chatId: string): void;
}

/** Server frames (all but `ready`) into state, then the redraws they need. */
export class ServerFrames {
  constructor(private readonly d: ServerFrameDeps) {}

  handle(f: Exclude<ServerFrame, ReadyFrame>): void {
    const { state, screen } = this.d;
    switch (f.type) {
      case 'history': {
        const t = state.timeline(f.chat_id);
        t.upsert(f.messages);
        t.hasPrevious = f.has_previous;
        t.loaded = true;
        this.d.outbox.resendAll(t);
        if (f.chat_id === state.current) {
          screen.messages(state.unreadAtOpen > 0 ? 'divider' : 'bottom');
          this.d.historyLoaded(f.chat_id);
        }
        return this.d.markRead();
      }
      case 'new_message':
        return this.onMessage(f.message);
      case 'message_sent':
        state.timeline(f.message.chat_id).pending.delete(f.request_id);
        // Accepted: a refusal shown above this chat's composer is over (unblocked).
        if (state.blocks.acceptedIn(f.message.chat_id) && f.message.chat_id === state.current) screen.pane();
        return this.onMessage(f.message);
      case 'message_updated': {
        const t = state.timelines.get(f.chat_id);
        const wasNewest = t?.newest?.id === f.message_id;
        if (t?.edit(f.message_id, f.text, f.updated_at, f.seq) && f.chat_id === state.current) screen.messages();
        this.previewEdited(f.chat_id, f.message_id, wasNewest, f.text);
        return;
      }
      case 'message_deleted': {
        const t = state.timelines.get(f.chat_id);
        const wasNewest = t?.newest?.id === f.message_id || state.chat(f.chat_id)?.last_message?.id === f.message_id;
        if (t?.remove(f.message_id, f.seq) && f.chat_id === state.current) screen.messages();
        // The preview may have been that message: the list from REST says what it is now.
        if (wasNewest || !t?.loaded) this.d.refreshChatsSoon();
        return;
      }
      case 'read':
        return this.onRead(f.chat_id, f.user_id, f.message_id, f.seq);
      case 'gap':
        // An event the gateway could not show: nothing to draw, but its seq was seen (resume goes on past it).
        state.timelines.get(f.chat_id)?.seen(f.seq);
        return;
      case 'reaction':
        if (state.timelines.get(f.chat_id)?.react(f.message_id, f.emoji, f.user_id, f.op, f.seq) && f.chat_id === state.current)
          screen.messages();
        return;
      case 'typing':
        if (f.user_id !== state.me.id) state.typing.set(f.chat_id, f.user_id, f.is_typing);
        return;
      case 'presence':
        state.presence.set(f.user_id, f.event === 'user_online' ? 'online' : f.event === 'user_away' ? 'away' : 'offline');
        screen.list();
        return screen.header();
      case 'membership':
        return this.onMembership(f.event, f.chat_id);
      case 'resumed': {
        const t = state.timeline(f.chat_id);
        t.seen(f.last_seq);
        this.d.outbox.resendAll(t);
        if (f.chat_id === state.current) screen.messages();
        return this.d.markRead();
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
    const { state, screen } = this.d;
    const t = state.timelines.get(m.chat_id);
    const isNew = t ? !t.has(m.id) : true;
    if (t?.loaded && isNew) t.countReply(m);
    // After a jump far back the live end is not held: the newer pages bring this one.
    if (t?.loaded && !t.hasNext) t.upsert([m]);
    if (!state.chat(m.chat_id)) this.d.refreshChatsSoon();
    else if (isNew) {
      state.updateChat(m.chat_id, (c) => {
        c.last_message = { id: m.id, text: m.text, sender_id: m.sender_id, created_at: m.created_at };
        c.updated_at = m.created_at;
        const seen = m.chat_id === state.current && !document.hidden;
        if (m.sender_id !== state.me.id && !seen) c.unread_count += 1;
        if (mentionsUser(m, state.me.id) && !seen) c.mention_count = (c.mention_count ?? 0) + 1;
      });
      state.sortChats();
      screen.list();
    }
    if (m.chat_id === state.current) {
      state.typing.clear(m.chat_id, m.sender_id);
      screen.messages('follow');
      this.d.markRead();
    }
  }

  /**
   * An edit of the chat's newest message is the list's preview too. When the chat's messages
   * are not loaded here we cannot tell which message the preview is: REST knows.
   */
  private previewEdited(chatId: string, messageId: string, wasNewest: boolean, text: string): void {
    const { state, screen } = this.d;
    const chat = state.chat(chatId);
    const preview = chat?.last_message;
    if (!chat || !preview) return;
    const known = preview.id !== undefined || state.timelines.get(chatId)?.loaded;
    if (!known) return this.d.refreshChatsSoon();
    if (preview.id === messageId || (preview.id === undefined && wasNewest)) {
      preview.text = text;
      screen.list();
    }
  }

  /** Our own membership changed (on any device, by any admin): the list and the open chat follow at once. */
  private onMembership(event: 'chat_added' | 'chat_removed' | 'role_changed', chatId: string): void {
    const { state, screen } = this.d;
    if (event === 'chat_added') return this.d.refreshChatsSoon();
    if (event === 'role_changed') return this.d.refreshDetails(chatId);
    const wasOpen = state.current === chatId;
    state.dropChat(chatId);
    this.d.closeDialogOf(chatId);
    screen.list();
    if (wasOpen) screen.pane();
  }

  private onRead(chatId: string, userId: string, messageId: string, seq: number): void {
    const { state, screen } = this.d;
    const t = state.timelines.get(chatId);
    t?.seen(seq);
    if (userId === state.me.id) {
      if (state.updateChat(chatId, (c) => (c.unread_count = c.mention_count = 0))) screen.list();
      return;
    }
    // A read mark's seq is its own stream position; what was read is the message.
    const read = t?.messages.find((m) => m.id === messageId);
    if (t && read) t.othersRead(read.seq);
    if (chatId === state.current) screen.messages();
  }

  private onError(code: string, requestId: string | undefined): void {
    if (!requestId) return;
    if (requestId.startsWith('resume:') || requestId.startsWith('open:')) {
      const chatId = requestId.slice(requestId.indexOf(':') + 1);
      const t = this.d.state.timelines.get(chatId);
      if (!t) return;
      if (code === 'resume_too_far') {
        // Too much was missed to replay: start this chat over from its newest messages.
        this.d.state.timelines.delete(chatId);
        if (chatId === this.d.state.current) this.d.reopen(chatId);
      } else if (code === 'conflict' || RETRYABLE.has(code)) {
        setTimeout(() => this.d.conn.send({ type: 'resume', chat_id: chatId, after_seq: t.lastSeq, request_id: requestId }), 1000);
      }
      return;
    }
    const chatId = this.chatOfSend(requestId);
    this.d.outbox.refused(requestId, code);
    // In a 1:1 chat, `forbidden` on a send means the partner blocked us: the composer says so.
    const { state } = this.d;
    const blockedHere = code === 'forbidden' && chatId !== undefined && state.chat(chatId)?.type === 'direct';
    if (blockedHere && state.blocks.refusedIn(chatId) && chatId === state.current) this.d.screen.pane();
  }

  private chatOfSend(requestId: string): string | undefined {
    for (const t of this.d.state.timelines.values()) if (t.pending.has(requestId)) return t.chatId;
    return undefined;
  }
}
