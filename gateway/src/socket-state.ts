import type { ChatType, MemberRole, ServerFrame } from '@neonchat/common/contracts';
import { TokenBucket } from './rate-limit.js';

/** What a gateway knows of one chat of a socket's user. */
export interface ChatMembershipView {
  readonly type: ChatType;
  readonly role: MemberRole;
  /** A 1:1 chat's other member, when the read that made the view knew it (the block check uses it). */
  readonly peer?: string;
}

/** Live events held back for a socket while it catches up on a chat (open or resume). */
export interface CatchUpBuffer {
  /** `kind`: the frame's type, from the contract (a misspelt kind does not compile). */
  readonly events: Array<{ seq: number; kind: ServerFrame['type']; data: string }>;
  bytes: number;
}

/** Per-socket state, kept as uWS user data. */
export interface SocketState {
  readonly userId: string;
  readonly username: string;
  readonly connectionId: string;
  /** Unix seconds when the token expires. */
  readonly tokenExp: number;
  /** Unix seconds when the token was issued (a user-wide revocation ends tokens issued before it). */
  readonly tokenIat: number;
  /** The token's session (`sid`): the socket closes when that session ends. */
  readonly sessionId: string | undefined;
  /** Membership cache: chats this socket follows (active memberships of its user). */
  readonly chats: Map<string, ChatMembershipView>;
  /**
   * Whether the upgrade already read the user's chats (a user this gateway did not know yet):
   * `read` (they are in `chats`, `open` does not read them again) or `unavailable` (PostgreSQL
   * did not answer: `open` closes with 1013). Undefined: `open` reads them.
   */
  chatsAtUpgrade: 'read' | 'unavailable' | undefined;
  /** Chat to open right after connecting (the `chat_id` query parameter). */
  readonly openChatId: string | undefined;
  readonly bucket: TokenBucket;
  /**
   * Per chat, a live-feed mark taken when the socket joined the chat's topic: what it got live
   * since then, which a resume must not send again.
   */
  readonly liveSince: Map<string, number | null>;
  /** Chats being caught up (history or resume): their live events wait here, not on the topic. */
  readonly catchingUp: Map<string, CatchUpBuffer>;
  /** Chats this socket said it is typing in. */
  readonly typingIn: Set<string>;
  /** Wakes async work that paused for this socket's send buffer to drain. */
  drainWaiters: Array<() => void>;
  /** Seen above half the backpressure bound: if it then dies abruptly, uWS's own limit cut it. */
  nearLimit: boolean;
  /** Passed the per-user cap and registered; a refused socket has nothing to clean up. */
  admitted: boolean;
  /**
   * `ready` went out. Until then the socket is on no topic and its frames wait in `early`, so
   * nothing, not even an answer, can reach the client before `ready`.
   */
  ready: boolean;
  /** Client frames that arrived before `ready`, handled right after it (bounded). */
  early: EarlyFrame[];
  /** Set when the socket closed: async work must not touch it afterwards. */
  closed: boolean;
}

/** A client frame held until `ready`: decoded at arrival (uWS reuses the buffer). */
export interface EarlyFrame {
  readonly byteLength: number;
  readonly isBinary: boolean;
  /** Undefined for a binary or oversized frame, which is refused without being read. */
  readonly text: string | undefined;
}

/** Who a new socket is and what it starts with: the rest of its state starts empty. */
export interface NewSocket
  extends
    Pick<SocketState, 'userId' | 'username' | 'connectionId' | 'tokenExp' | 'chats' | 'openChatId'>,
    Partial<Pick<SocketState, 'tokenIat' | 'sessionId'>> {
  readonly ratePerSecond: number;
  readonly rateBurst: number;
}

/** The one place a socket's state is built, by the upgrade and by the unit tests alike. */
export function newSocketState(s: NewSocket): SocketState {
  return {
    userId: s.userId,
    username: s.username,
    connectionId: s.connectionId,
    tokenExp: s.tokenExp,
    tokenIat: s.tokenIat ?? 0,
    sessionId: s.sessionId,
    chats: s.chats,
    chatsAtUpgrade: undefined,
    openChatId: s.openChatId,
    bucket: new TokenBucket(s.ratePerSecond, s.rateBurst),
    liveSince: new Map(),
    catchingUp: new Map(),
    typingIn: new Set(),
    drainWaiters: [],
    nearLimit: false,
    admitted: false,
    ready: false,
    early: [],
    closed: false,
  };
}
