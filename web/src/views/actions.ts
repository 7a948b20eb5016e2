import type { Message } from '@neonchat/common/contracts';

/** What the views may ask of the messenger: every button and key ends in one of these. */
export interface MessengerActions {
  selectChat(chatId: string): void;
  backToList(): void;
  setUnreadOnly(unreadOnly: boolean): void;
  startDirectChat(userId: string): Promise<void>;
  send(text: string): void;
  startEdit(message: Message): void;
  saveEdit(message: Message, text: string): void;
  cancelEdit(): void;
  deleteMessage(message: Message): void;
  toggleReaction(message: Message, emoji: string): void;
  toggleMessageActions(messageId: string): void;
  retrySend(chatId: string, requestId: string): void;
  loadOlder(): void;
  composerInput(): void;
  showMembers(chatId: string): void;
  showCreateChat(): void;
  logout(): void;
}
