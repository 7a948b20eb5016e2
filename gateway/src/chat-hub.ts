import { NeonError, type MembershipChangedEvent, type MembershipFrame } from '@neonchat/common/contracts';
import { type Logger } from '@neonchat/common/runtime';
import { chatTopic } from './chat-topics.js';
import type { ChatBus } from './bus/chat-bus.js';
import { LiveFeed, type GapReader, type LiveEvent, type LiveFeedSink, type LiveFrameType } from './live-feed.js';
import type { GatewayMetrics } from './metrics.js';
import type { Outbound } from './outbound.js';
import type { PresenceIndex } from './presence-index.js';
import type { ChatMembershipView } from './socket-state.js';
import type { Socket, SocketRegistry } from './socket-registry.js';
import type { TypingTracker } from './typing-tracker.js';

type MembershipEventType = MembershipFrame['event'];

/** What the hub needs of the uWS app: native topic fan-out. */
export interface TopicFanOut {
  publish(topic: string, message: string | ArrayBuffer | Uint8Array, isBinary?: boolean): boolean;
  numSubscribers(topic: string): number;
}

export interface ChatHubDeps {
  /** The chat's live traffic (the stream's republished events, typing). */
  readonly bus: Pick<ChatBus, 'subscribeLive' | 'flush'>;
  /** Reads a chat's stored events after a sequence (a live gap's repair). */
  readonly readGap: GapReader;
  readonly app: TopicFanOut;
  readonly sockets: SocketRegistry;
  readonly presenceIndex: PresenceIndex;
  readonly typing: TypingTracker;
  readonly outbound: Outbound;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

/** Sent already (so a caught-up socket must not get it again from what was held)? */
export type AlreadySent = (event: { seq: number; kind: LiveFrameType }) => boolean;

/**
 * Which sockets follow which chats, and everything that must change with it, in one place:
 * the socket's membership cache, its uWS topic, the gateway's live subscription (ref-counted
 * in `LiveFeed`), the followers list the backpressure sweep reads, the presence index, typing,
 * the live marks a resume reads, and the holds of a socket catching up. Every change of "a
 * socket follows a chat" goes through `follow` / `unfollow` / `admit` / `release`; catch-up
 * takes a socket off the topic and back through `holdLive` / `rejoinLive`. It is also the
 * live feed's sink: stored events and typing go out to the chat's topic here.
 */
export class ChatHub implements LiveFeedSink {
  readonly feed: LiveFeed;
  /** chat → sockets catching up on it: the only sockets a live event is handed to one by one. */
  private readonly catchingUp = new Map<string, Set<Socket>>();
  private publishingNow = false;

  constructor(private readonly deps: ChatHubDeps) {
    this.feed = new LiveFeed(deps.bus, this, deps.readGap, deps.logger);
  }

  /** True during a topic publish: a socket uWS cuts then was cut for backpressure. */
  get publishing(): boolean {
    return this.publishingNow;
  }

  /**
   * A socket was admitted: it follows every chat of its membership cache (live subscriptions,
   * followers, presence), but joins no topic before `markReady`.
   */
  admit(ws: Socket): void {
    const state = ws.getUserData();
    for (const chatId of state.chats.keys()) this.join(ws, chatId, state.ready);
    this.deps.presenceIndex.follow(
      state.userId,
      Array.from(state.chats, ([chatId, view]) => [chatId, view.type]),
    );
    this.deps.metrics.chatSubscriptions.set(this.feed.size);
  }

  /**
   * `ready` is going out, in this same turn: the socket joins the topics of every chat it now
   * follows, so nothing reaches it before `ready` and no live event falls in between.
   */
  markReady(ws: Socket): void {
    const state = ws.getUserData();
    state.ready = true;
    for (const chatId of state.chats.keys()) {
      if (state.catchingUp.has(chatId)) continue;
      ws.subscribe(chatTopic(chatId));
      state.liveSince.set(chatId, this.feed.liveMark(chatId));
    }
  }

  /** The socket starts following a chat (or updates its view of it, if it already does). */
  follow(ws: Socket, chatId: string, view: ChatMembershipView): void {
    const state = ws.getUserData();
    if (state.closed) return;
    const known = state.chats.get(chatId);
    if (known) {
      // A membership event knows no 1:1 peer: keep the one read before (it never changes).
      state.chats.set(chatId, view.peer === undefined && known.peer !== undefined ? { ...view, peer: known.peer } : view);
      return;
    }
    state.chats.set(chatId, view);
    // Before `ready` no topic is joined (`markReady` does it); a socket catching up on the chat
    // rejoins its topic when the catch-up ends.
    this.join(ws, chatId, state.ready && !state.catchingUp.has(chatId));
    this.deps.presenceIndex.follow(state.userId, [[chatId, view.type]]);
    this.deps.metrics.chatSubscriptions.set(this.feed.size);
  }

  unfollow(ws: Socket, chatId: string): void {
    const state = ws.getUserData();
    if (!state.chats.delete(chatId)) return;
    ws.unsubscribe(chatTopic(chatId));
    state.liveSince.delete(chatId);
    this.deps.sockets.unfollow(ws, chatId);
    this.abandonCatchUp(ws, chatId);
    this.deps.typing.stop(state.connectionId, chatId);
    state.typingIn.delete(chatId);
    this.feed.release(chatId);
    this.deps.presenceIndex.unfollow(state.userId, chatId);
    this.deps.metrics.chatSubscriptions.set(this.feed.size);
  }

  /** The socket closed: everything it held is let go (uWS drops its topics itself). */
  release(ws: Socket): void {
    const state = ws.getUserData();
    this.abandonCatchUp(ws);
    for (const chatId of state.typingIn) this.deps.typing.stop(state.connectionId, chatId);
    for (const chatId of state.chats.keys()) {
      this.feed.release(chatId);
      this.deps.presenceIndex.unfollow(state.userId, chatId);
    }
    this.deps.metrics.chatSubscriptions.set(this.feed.size);
  }

  /**
   * A membership change (an api announcement), applied to the user's sockets here: they follow
   * the chat or stop, and each ready one is told with a `membership` frame (`chat_added`,
   * `chat_removed`, `role_changed`) when what it knew changed. A socket not ready yet gets the
   * chat in its `ready` instead.
   */
  membershipChanged(event: MembershipChangedEvent): void {
    const { chat_id: chatId, user_id: userId } = event;
    const view = event.status === 'active' ? { type: event.chat_type, role: event.role } : undefined;
    this.deps.presenceIndex.memberChanged(chatId, userId, view !== undefined);
    for (const ws of this.deps.sockets.ofUser(userId)) {
      const state = ws.getUserData();
      if (state.closed) continue;
      const before = state.chats.get(chatId);
      if (view) this.follow(ws, chatId, view);
      else this.unfollow(ws, chatId);
      const change = membershipChange(before, view);
      if (change && state.ready && !state.closed) {
        const { chat_type, role, status, at } = event;
        this.deps.outbound.frame(ws, { type: 'membership', event: change, chat_id: chatId, chat_type, role, status, at });
      }
    }
  }

  /** The user's active chats as re-read from the database: their sockets follow exactly those. */
  resync(userId: string, chats: ReadonlyMap<string, ChatMembershipView>): void {
    for (const ws of this.deps.sockets.ofUser(userId)) {
      const state = ws.getUserData();
      if (state.closed) continue;
      for (const chatId of [...state.chats.keys()]) if (!chats.has(chatId)) this.unfollow(ws, chatId);
      for (const [chatId, view] of chats) this.follow(ws, chatId, view);
    }
  }

  // ── catch-up: off the topic while a snapshot or replay goes out, live events held ─────────

  /** Takes the socket off the chat's topic; live events of the chat are held for it until `rejoinLive`. */
  holdLive(ws: Socket, chatId: string): void {
    const state = ws.getUserData();
    if (state.catchingUp.has(chatId)) throw new NeonError('conflict', 'this chat is already being opened or resumed on this socket');
    state.catchingUp.set(chatId, { events: [], bytes: 0 });
    let sockets = this.catchingUp.get(chatId);
    if (!sockets) this.catchingUp.set(chatId, (sockets = new Set()));
    sockets.add(ws);
    ws.unsubscribe(chatTopic(chatId));
  }

  /** Sends what was held (minus what `alreadySent` says went out) and rejoins the topic, in one step. */
  rejoinLive(ws: Socket, chatId: string, alreadySent: AlreadySent): void {
    const state = ws.getUserData();
    const buffer = state.catchingUp.get(chatId);
    this.abandonCatchUp(ws, chatId);
    if (state.closed || !buffer) return;
    for (const e of buffer.events) {
      if (alreadySent(e)) continue;
      if (!this.deps.outbound.send(ws, e.data, e.kind)) return;
    }
    if (!state.chats.has(chatId)) return;
    ws.subscribe(chatTopic(chatId));
    state.liveSince.set(chatId, this.feed.liveMark(chatId));
  }

  /** Forgets the socket's holds (of one chat, or all). */
  abandonCatchUp(ws: Socket, chatId?: string): void {
    const state = ws.getUserData();
    for (const id of chatId ? [chatId] : [...state.catchingUp.keys()]) {
      state.catchingUp.delete(id);
      const sockets = this.catchingUp.get(id);
      sockets?.delete(ws);
      if (sockets?.size === 0) this.catchingUp.delete(id);
    }
  }

  // ── LiveFeedSink: one serialization per event, uWS topics do the rest natively ──────────

  event(e: LiveEvent): void {
    const topic = chatTopic(e.chatId);
    const origin = e.origin ? this.deps.sockets.connection(e.origin) : undefined;
    this.hold(e, origin);
    this.deps.metrics.framesOut.inc({ type: e.type });
    const skipOrigin = origin !== undefined && e.type === 'new_message';
    const receivers = this.deps.app.numSubscribers(topic) - (skipOrigin && origin.isSubscribed(topic) ? 1 : 0);
    // The sender's own socket already has `message_sent`: publishing from it leaves it out.
    this.publishingNow = true;
    try {
      if (skipOrigin) origin.publish(topic, e.data, false);
      else this.deps.app.publish(topic, e.data, false);
    } finally {
      this.publishingNow = false;
    }
    if (receivers > 0) this.deps.metrics.deliveries.inc({ type: e.type }, receivers);
    this.deps.outbound.noteFanOut(e.chatId, e.data.length);
  }

  wanted(chatId: string, originId: string | undefined, newMessage: boolean): boolean {
    if (this.catchingUp.has(chatId)) return true;
    // The followers (plain JS sets) rather than uWS's topic: asking uWS costs a native call,
    // and a follower not on the topic (not ready yet) only makes this say yes for nothing.
    const followers = this.deps.sockets.followersOf(chatId);
    if (followers.size !== 1) return followers.size > 1;
    // One follower: unwanted only if it is the sender's socket and this is its new message.
    const origin = newMessage && originId ? this.deps.sockets.connection(originId) : undefined;
    return origin === undefined || !followers.has(origin);
  }

  typing(chatId: string, data: Uint8Array, originId: string | undefined): void {
    const topic = chatTopic(chatId);
    const origin = originId ? this.deps.sockets.connection(originId) : undefined;
    this.deps.metrics.framesOut.inc({ type: 'typing' });
    if (origin) origin.publish(topic, data, false);
    else this.deps.app.publish(topic, data, false);
    this.deps.outbound.noteFanOut(chatId, data.byteLength);
  }

  dropped(_chatId: string, reason: 'malformed' | 'duplicate' | 'gap_unrepaired'): void {
    this.deps.metrics.drops.inc({ reason });
  }

  repaired(_chatId: string, count: number): void {
    this.deps.metrics.gapRepairs.inc(count);
  }

  private join(ws: Socket, chatId: string, subscribe: boolean): void {
    const state = ws.getUserData();
    this.feed.acquire(chatId);
    if (subscribe) {
      ws.subscribe(chatTopic(chatId));
      state.liveSince.set(chatId, this.feed.liveMark(chatId));
    }
    if (state.admitted) this.deps.sockets.follow(ws, chatId);
  }

  /** Holds a live event for the sockets catching up on its chat. */
  private hold(event: LiveEvent, originSocket: Socket | undefined): void {
    const sockets = this.catchingUp.get(event.chatId);
    if (!sockets) return;
    for (const ws of sockets) {
      if (ws === originSocket && event.type === 'new_message') continue;
      const buffer = ws.getUserData().catchingUp.get(event.chatId);
      if (!buffer) continue;
      buffer.events.push({ seq: event.seq, kind: event.type, data: event.data });
      buffer.bytes += event.data.length;
      if (buffer.bytes > this.deps.outbound.limit) this.deps.outbound.closeSlow(ws, 'catch_up_overflow');
    }
  }
}

/** What a socket that knew `before` of a chat is told when it is now `after` (undefined: a member no more). */
function membershipChange(before: ChatMembershipView | undefined, after: ChatMembershipView | undefined): MembershipEventType | undefined {
  if (!before) return after ? 'chat_added' : undefined;
  if (!after) return 'chat_removed';
  return before.role === after.role ? undefined : 'role_changed';
}
