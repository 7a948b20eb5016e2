import type { ChatType } from '@neonchat/common/contracts';

/** Loads the active members of chats, for the chats not indexed yet. */
export type MemberLoader = (chatIds: readonly string[]) => Promise<Map<string, string[]>>;

/**
 * Who shares a chat with whom, for the chats this gateway's sockets follow, so a presence
 * transition of any user reaches exactly the local users who share a chat with them. Channels
 * are left out: a broadcast's subscribers don't see each other come and go, and their member
 * lists can be huge.
 */
export class PresenceIndex {
  /** chat → every active member (local or not). */
  private readonly members = new Map<string, Set<string>>();
  /** user → indexed chats they are in. */
  private readonly chatsOf = new Map<string, Set<string>>();
  /** chat → local users following it, with their socket counts. */
  private readonly local = new Map<string, Map<string, number>>();
  private readonly loading = new Set<string>();

  constructor(
    private readonly load: MemberLoader,
    private readonly onLoadError: (err: unknown) => void,
  ) {}

  /** A socket of `userId` follows these chats. */
  follow(userId: string, chats: Iterable<[string, ChatType]>): void {
    const missing: string[] = [];
    for (const [chatId, type] of chats) {
      if (type === 'channel') continue;
      let users = this.local.get(chatId);
      if (!users) this.local.set(chatId, (users = new Map()));
      users.set(userId, (users.get(userId) ?? 0) + 1);
      if (!this.members.has(chatId) && !this.loading.has(chatId)) missing.push(chatId);
    }
    if (!missing.length) return;
    for (const id of missing) this.loading.add(id);
    this.load(missing)
      .then((loaded) => {
        for (const [chatId, userIds] of loaded) {
          if (!this.loading.delete(chatId) || !this.local.has(chatId)) continue;
          // Membership events that arrived meanwhile were applied to nothing: the read is newer anyway.
          this.members.set(chatId, new Set(userIds));
          for (const u of userIds) this.link(u, chatId);
        }
      })
      .catch((err: unknown) => {
        for (const id of missing) this.loading.delete(id);
        this.onLoadError(err);
      });
  }

  unfollow(userId: string, chatId: string): void {
    const users = this.local.get(chatId);
    if (!users) return;
    const n = (users.get(userId) ?? 0) - 1;
    if (n > 0) users.set(userId, n);
    else users.delete(userId);
    if (users.size) return;
    this.local.delete(chatId);
    for (const u of this.members.get(chatId) ?? []) this.unlink(u, chatId);
    this.members.delete(chatId);
  }

  /** A membership event: keeps indexed member lists current. */
  memberChanged(chatId: string, userId: string, active: boolean): void {
    const members = this.members.get(chatId);
    if (!members) return;
    if (active) {
      members.add(userId);
      this.link(userId, chatId);
    } else {
      members.delete(userId);
      this.unlink(userId, chatId);
    }
  }

  /** Local users who share an indexed chat with `userId` (not `userId` itself). */
  recipientsOf(userId: string): Set<string> {
    const out = new Set<string>();
    for (const chatId of this.chatsOf.get(userId) ?? []) {
      for (const u of this.local.get(chatId)?.keys() ?? []) if (u !== userId) out.add(u);
    }
    return out;
  }

  private link(userId: string, chatId: string): void {
    let chats = this.chatsOf.get(userId);
    if (!chats) this.chatsOf.set(userId, (chats = new Set()));
    chats.add(chatId);
  }

  private unlink(userId: string, chatId: string): void {
    const chats = this.chatsOf.get(userId);
    chats?.delete(chatId);
    if (chats?.size === 0) this.chatsOf.delete(userId);
  }
}
