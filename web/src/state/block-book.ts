/**
 * Blocks as this client knows them (issue 27). `byMe`: the people I blocked (`GET /me/blocks`,
 * then my own block/unblock). `refusedIn`: 1:1 chats where the gateway refused my message with
 * `forbidden` (the partner blocked me: the server does not say so otherwise), until a message
 * of mine there is accepted again.
 */
export class BlockBook {
  private readonly byMe = new Map<string, string>();
  private readonly refused = new Set<string>();

  /** The whole list from the server. */
  setBlocked(users: Array<{ id: string; username: string }>): void {
    this.byMe.clear();
    for (const u of users) this.byMe.set(u.id, u.username);
  }

  blocked(userId: string, username: string, blocked: boolean): void {
    if (blocked) this.byMe.set(userId, username);
    else this.byMe.delete(userId);
  }

  isBlocked(userId: string): boolean {
    return this.byMe.has(userId);
  }

  /** A send of mine in this 1:1 chat was refused with `forbidden`; false if that was known already. */
  refusedIn(chatId: string): boolean {
    if (this.refused.has(chatId)) return false;
    this.refused.add(chatId);
    return true;
  }

  /** A message of mine in this chat was accepted: whatever refused it before is over; false if nothing was. */
  acceptedIn(chatId: string): boolean {
    return this.refused.delete(chatId);
  }

  isRefusedIn(chatId: string): boolean {
    return this.refused.has(chatId);
  }
}
