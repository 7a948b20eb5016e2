import type { ChatType, MemberRole } from '@neonchat/common';

/** What a gateway knows of one chat of a socket's user. */
export interface ChatMembershipView {
  readonly type: ChatType;
  readonly role: MemberRole;
}

/** Per-socket state, kept as uWS user data. */
export interface SocketState {
  readonly userId: string;
  readonly username: string;
  readonly connectionId: string;
  /** Unix seconds when the token expires. */
  readonly tokenExp: number;
  /** Chats this socket follows: active memberships of its user. */
  readonly chats: Map<string, ChatMembershipView>;
  /** Chat to open right after connecting (the `chat_id` query parameter). */
  readonly openChatId: string | undefined;
  /** Set when the socket closed: async work must not touch it afterwards. */
  closed: boolean;
}
