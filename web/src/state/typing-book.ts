/** A `typing: true` without its `false` (a lost frame) stops showing after this. */
const TYPING_SHOWN_MS = 6000;

/** Who is typing in which chat, each entry ending by itself if its `false` never comes. */
export class TypingBook {
  private readonly byChat = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();

  /** `changed(chatId)` is called whenever a chat's typers change, also when one times out. */
  constructor(private readonly changed: (chatId: string) => void) {}

  set(chatId: string, userId: string, isTyping: boolean): void {
    const users = this.byChat.get(chatId) ?? new Map<string, ReturnType<typeof setTimeout>>();
    this.byChat.set(chatId, users);
    clearTimeout(users.get(userId));
    if (isTyping)
      users.set(
        userId,
        setTimeout(() => this.clear(chatId, userId), TYPING_SHOWN_MS),
      );
    else users.delete(userId);
    this.changed(chatId);
  }

  clear(chatId: string, userId: string): void {
    const users = this.byChat.get(chatId);
    if (!users?.has(userId)) return;
    clearTimeout(users.get(userId));
    users.delete(userId);
    this.changed(chatId);
  }

  typers(chatId: string): string[] {
    return [...(this.byChat.get(chatId)?.keys() ?? [])];
  }
}
