import type { Message } from '@neonchat/common/contracts';
import type { ChatDetails, ChatListItem, Session } from '../net/rest-client.js';
import { BlockBook } from './block-book.js';
import { ChatTimeline } from './chat-timeline.js';
import { shownName } from './display-name.js';
import { PresenceBook } from './presence-book.js';
import { TypingBook } from './typing-book.js';

/**
 * Everything the signed-in screen shows, in one place: the views read it, the frame and REST
 * handlers write it. Nothing here touches the DOM or the network.
 */
export class MessengerState {
  chats: ChatListItem[] = [];
  unreadOnly = false;
  /** The chat on screen. */
  current: string | null = null;
  /** Unread count of the current chat when it was opened: where the "new messages" divider goes. */
  unreadAtOpen = 0;
  /** The message the divider stands before, once the unread ones are all on screen. */
  dividerAt: string | null = null;
  readonly timelines = new Map<string, ChatTimeline>();
  readonly details = new Map<string, ChatDetails>();
  readonly presence = new PresenceBook();
  readonly typing: TypingBook;
  /** Whom I blocked, and the 1:1 chats that refused my messages. */
  readonly blocks = new BlockBook();
  /** Per chat, the highest seq this client has marked read. */
  readonly markedRead = new Map<string, number>();
  /** The message being edited in the composer. */
  editing: Message | null = null;
  /** The message whose actions (react, edit, delete) are open. */
  actionsFor: string | null = null;
  /** The message the composer's next send answers (the reply bar above it). */
  replyingTo: Message | null = null;
  /** The message a jump (a quote, a search hit) landed on: drawn highlighted. */
  highlighted: string | null = null;

  constructor(
    readonly me: Session['user'],
    typingChanged: (chatId: string) => void,
  ) {
    this.typing = new TypingBook(typingChanged);
  }

  timeline(chatId: string): ChatTimeline {
    let t = this.timelines.get(chatId);
    if (!t) this.timelines.set(chatId, (t = new ChatTimeline(chatId)));
    return t;
  }

  chat(chatId: string): ChatListItem | undefined {
    return this.chats.find((c) => c.id === chatId);
  }

  updateChat(chatId: string, change: (chat: ChatListItem) => void): boolean {
    const chat = this.chat(chatId);
    if (chat) change(chat);
    return chat !== undefined;
  }

  sortChats(): void {
    this.chats.sort((a, b) => b.updated_at.localeCompare(a.updated_at));
  }

  /** A chat list from REST: the list, and what it says about presence and read marks. */
  setChats(chats: ChatListItem[]): void {
    this.chats = chats;
    for (const c of chats) {
      if (c.partner) this.presence.setIfUnknown(c.partner.id, c.partner.online);
      if (c.others_read_seq) this.timeline(c.id).othersRead(c.others_read_seq);
    }
  }

  /** The chat left the list (removed, banned): forget what was on screen of it. */
  dropChat(chatId: string): void {
    this.chats = this.chats.filter((c) => c.id !== chatId);
    this.timelines.delete(chatId);
    this.details.delete(chatId);
    this.markedRead.delete(chatId);
    if (this.current === chatId) this.current = null;
  }

  chatTitle(chatId: string): string {
    const c = this.chat(chatId);
    const d = this.details.get(chatId);
    const partner = c?.partner?.username ?? d?.partner?.username;
    return partner !== undefined ? shownName(partner) : (c?.name ?? d?.name ?? 'Chat');
  }

  partnerOf(chatId: string): { id: string; username: string } | null {
    return this.details.get(chatId)?.partner ?? this.chat(chatId)?.partner ?? null;
  }

  /** A user's name from anything this client knows of them (members of any chat, partners); null if nothing. */
  userName(userId: string, chatId?: string): string | null {
    if (userId === this.me.id) return this.me.username;
    const inChat = chatId ? this.memberNames(chatId).get(userId) : undefined;
    if (inChat) return inChat;
    for (const d of this.details.values()) {
      const m = d.members.find((x) => x.user_id === userId);
      if (m) return m.username;
    }
    return this.chats.find((c) => c.partner?.id === userId)?.partner?.username ?? null;
  }

  memberNames(chatId: string): Map<string, string> {
    return new Map(this.details.get(chatId)?.members.map((m) => [m.user_id, shownName(m.username)]) ?? []);
  }
}
