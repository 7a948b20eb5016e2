import type { WebSocket } from 'uWebSockets.js';
import type { SocketState } from './socket-state.js';

export type Socket = WebSocket<SocketState>;

/** This gateway's open sockets, by connection id and by user. */
export class SocketRegistry {
  private readonly byConnection = new Map<string, Socket>();
  private readonly byUserId = new Map<string, Set<Socket>>();
  /** chat → local sockets following it: what a backpressure check after a fan-out looks at. */
  private readonly byChat = new Map<string, Set<Socket>>();

  get size(): number {
    return this.byConnection.size;
  }

  add(ws: Socket): void {
    const state = ws.getUserData();
    this.byConnection.set(state.connectionId, ws);
    let mine = this.byUserId.get(state.userId);
    if (!mine) this.byUserId.set(state.userId, (mine = new Set()));
    mine.add(ws);
  }

  /** Also forgets the socket's chats: call with its chats still in its state. */
  remove(ws: Socket): void {
    const state = ws.getUserData();
    this.byConnection.delete(state.connectionId);
    const mine = this.byUserId.get(state.userId);
    mine?.delete(ws);
    if (mine?.size === 0) this.byUserId.delete(state.userId);
    for (const chatId of state.chats.keys()) this.unfollow(ws, chatId);
  }

  follow(ws: Socket, chatId: string): void {
    let followers = this.byChat.get(chatId);
    if (!followers) this.byChat.set(chatId, (followers = new Set()));
    followers.add(ws);
  }

  unfollow(ws: Socket, chatId: string): void {
    const followers = this.byChat.get(chatId);
    followers?.delete(ws);
    if (followers?.size === 0) this.byChat.delete(chatId);
  }

  followersOf(chatId: string): ReadonlySet<Socket> {
    return this.byChat.get(chatId) ?? EMPTY;
  }

  connection(connectionId: string): Socket | undefined {
    return this.byConnection.get(connectionId);
  }

  ofUser(userId: string): ReadonlySet<Socket> {
    return this.byUserId.get(userId) ?? EMPTY;
  }

  socketsOfUser(userId: string): number {
    return this.byUserId.get(userId)?.size ?? 0;
  }

  all(): IterableIterator<Socket> {
    return this.byConnection.values();
  }
}

const EMPTY: ReadonlySet<Socket> = new Set();
