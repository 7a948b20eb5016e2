import type { Message } from '@neonchat/common/contracts';
import type { RestClient } from '../net/rest-client.js';

/** What the views may ask of the messenger: every button and key ends in one of these. */
export interface MessengerActions {
  selectChat(chatId: string): void;
  backToList(): void;
  setUnreadOnly(unreadOnly: boolean): void;
  startDirectChat(userId: string): Promise<void>;
  /** The REST client, for what a view fetches itself (uploads, download links). */
  readonly rest: RestClient;
  /** Sends `text` and/or the upload ids (every upload complete). */
  send(text: string, attachments?: string[]): void;
  startEdit(message: Message): void;
  saveEdit(message: Message, text: string): void;
  cancelEdit(): void;
  deleteMessage(message: Message): void;
  toggleReaction(message: Message, emoji: string): void;
  toggleMessageActions(messageId: string): void;
  /** The reply bar above the composer: the next send answers `message`. */
  startReply(message: Message): void;
  cancelReply(): void;
  /** Opens the chat picker that copies `message` into another chat. */
  forwardMessage(message: Message): void;
  /** Opens `chatId` at a message (the page `around` its `seq` when it is not on screen) and highlights it. */
  openMessage(chatId: string, messageId: string, seq?: number): void;
  /** After a jump far back: the next page of newer messages, towards the live end. */
  loadNewer(): void;
  retrySend(chatId: string, requestId: string): void;
  loadOlder(): void;
  composerInput(): void;
  showMembers(chatId: string): void;
  showCreateChat(): void;
  logout(): void;
  /** The account dialog: sessions, password, blocked people, deletion (issue 27). */
  showAccount(): void;
  /** Blocks or unblocks someone (a 1:1 chat's partner, or one in the blocked list); rejects with the server's refusal. */
  setBlocked(user: { id: string; username: string }, blocked: boolean): Promise<void>;
}
