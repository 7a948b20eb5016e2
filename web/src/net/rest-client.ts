import type { Message } from '@neonchat/common/contracts';

/** The REST API (`/api/v1`, same origin as the page), typed by what the client reads. */
export type ChatType = 'direct' | 'group' | 'channel';
export type Role = 'admin' | 'member';

export interface ChatListItem {
  id: string;
  type: ChatType;
  name: string | null;
  partner: { id: string; username: string; online: boolean } | null;
  /** `id` is absent from older servers. */
  last_message: { id?: string; text: string; sender_id: string; created_at: string } | null;
  unread_count: number;
  /** Unread messages that mention the caller; absent from older servers. */
  mention_count?: number;
  /** Seq of the newest message another member has read (the partner, in a 1:1 chat); absent from older servers. */
  others_read_seq?: number;
  updated_at: string;
}
export interface ChatDetails {
  id: string;
  type: ChatType;
  name: string | null;
  partner: { id: string; username: string } | null;
  members: Array<{ user_id: string; username: string; role: Role }>;
  my_role: Role;
}
export interface PublicUser {
  id: string;
  username: string;
  online: boolean;
  last_seen: string | null;
}
export interface HistoryPage {
  messages: Message[];
  has_previous: boolean;
  has_next: boolean;
  others_read_seq?: number;
}
/** One hit of `GET /search/messages`: `snippet` is HTML-escaped with `<mark>` around the matches. */
export interface SearchHit {
  message_id: string;
  chat_id: string;
  seq: number;
  sender_id: string;
  created_at: string;
  updated_at: string | null;
  snippet: string;
}
export interface Session {
  token: string;
  user: { id: string; username: string };
  /** The opaque refresh token; absent from servers without refresh. */
  refresh_token?: string;
  /** Seconds the access token lives, from when it was issued. */
  expires_in?: number;
  /** Kept by the client: when the access token expires (ms since the epoch). */
  expires_at?: number;
}

/** A refusal in the API's shape `{error: {code, message, field?}}`; `errorText` words it for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class RestClient {
  /** Called on a 401 with a token: the session is over. */
  onUnauthorized: () => void = () => {};
  /** Called on a 401 with a token before giving up: a fresh token to retry the call once with, or null. */
  refreshToken: (() => Promise<string | null>) | null = null;

  constructor(
    private token: string | null,
    private readonly base = '/api/v1',
  ) {}

  setToken(token: string | null): void {
    this.token = token;
  }

  /** `signal` aborts the call (a search overtaken by the next keystroke). */
  async request<T>(method: string, path: string, body?: unknown, retried = false, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    // The refresh call stands on its refresh token alone (the access token may have expired).
    if (this.token && path !== '/auth/refresh') headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    if (res.status === 204) return undefined as T;
    const data = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string; field?: string } };
    if (!res.ok) {
      if (res.status === 401 && this.token && !path.startsWith('/auth/')) {
        const fresh = retried || !this.refreshToken ? null : await this.refreshToken();
        if (fresh) return this.request(method, path, body, true, signal);
        // Not refreshed on the network alone: the refresher retries; otherwise the session is over.
        if (!this.refreshToken || retried) this.onUnauthorized();
      }
      throw new ApiError(res.status, data.error?.code ?? 'internal', data.error?.message ?? `HTTP ${res.status}`, data.error?.field);
    }
    return data as T;
  }

  /** Registration opens a session too (tokens in the answer; absent from older servers). */
  register(username: string, password: string, phone?: string): Promise<{ id: string; username: string } & Partial<Omit<Session, 'user'>>> {
    return this.request('POST', '/auth/register', phone ? { username, password, phone } : { username, password });
  }
  /** `login` is a username, or a phone number when it looks like one. */
  login(login: string, password: string): Promise<Session> {
    const byPhone = /^\+?[0-9]{5,20}$/.test(login);
    return this.request('POST', '/auth/login', byPhone ? { phone: login, password } : { username: login, password });
  }
  /** Rotates the refresh token: a new access and refresh token (401 when the session is over). */
  refresh(refreshToken: string): Promise<Session & { expires_in: number }> {
    return this.request('POST', '/auth/refresh', { refresh_token: refreshToken });
  }
  /** Ends this session on the server (its refresh token and its sockets). */
  logout(): Promise<unknown> {
    return this.request('POST', '/auth/logout');
  }
  me(): Promise<{ id: string; username: string }> {
    return this.request('GET', '/me');
  }
  searchUsers(query: string): Promise<{ users: PublicUser[] }> {
    return this.request('GET', `/users?${new URLSearchParams({ query, limit: '10' })}`);
  }
  listChats(unreadOnly: boolean): Promise<{ chats: ChatListItem[] }> {
    return this.request('GET', `/chats?limit=100&unread_only=${unreadOnly}`);
  }
  openDirect(partnerId: string): Promise<{ id: string }> {
    return this.request('POST', '/chats', { partner_id: partnerId });
  }
  createGroup(type: 'group' | 'channel', name: string, memberIds: string[]): Promise<{ id: string }> {
    return this.request('POST', '/chats', { type, name, member_ids: memberIds });
  }
  chat(chatId: string): Promise<ChatDetails> {
    return this.request('GET', `/chats/${chatId}`);
  }
  olderMessages(chatId: string, beforeId: string, limit = 50): Promise<HistoryPage> {
    return this.request('GET', `/chats/${chatId}/messages?${new URLSearchParams({ before_id: beforeId, limit: String(limit) })}`);
  }
  editMessage(chatId: string, messageId: string, text: string): Promise<Message> {
    return this.request('PATCH', `/chats/${chatId}/messages/${messageId}`, { text });
  }
  deleteMessage(chatId: string, messageId: string): Promise<void> {
    return this.request('DELETE', `/chats/${chatId}/messages/${messageId}`);
  }
  history(chatId: string, limit = 50): Promise<HistoryPage> {
    return this.request('GET', `/chats/${chatId}/messages?${new URLSearchParams({ limit: String(limit) })}`);
  }
  /** The page centred on the message at stream position `seq` (half before it, the rest from it on). */
  aroundMessages(chatId: string, seq: number, limit = 50): Promise<HistoryPage> {
    return this.request('GET', `/chats/${chatId}/messages?${new URLSearchParams({ around: String(seq), limit: String(limit) })}`);
  }
  newerMessages(chatId: string, afterId: string, limit = 50): Promise<HistoryPage> {
    return this.request('GET', `/chats/${chatId}/messages?${new URLSearchParams({ after_id: afterId, limit: String(limit) })}`);
  }
  /** Copies messages of `fromChatId` into `chatId`; a retry with the same `requestId` stores nothing twice. */
  forward(chatId: string, fromChatId: string, messageIds: string[], requestId: string): Promise<{ messages: Message[] }> {
    return this.request('POST', `/chats/${chatId}/forward`, { from_chat_id: fromChatId, message_ids: messageIds, request_id: requestId });
  }
  searchMessages(q: string, signal?: AbortSignal, limit = 20): Promise<{ hits: SearchHit[]; next_before?: string }> {
    return this.request('GET', `/search/messages?${new URLSearchParams({ q, limit: String(limit) })}`, undefined, false, signal);
  }
  /** With `seq`, a message the stream acked and PostgreSQL does not have yet can be marked too. */
  markRead(chatId: string, messageId: string, seq: number): Promise<unknown> {
    return this.request('POST', `/chats/${chatId}/read`, { message_id: messageId, seq });
  }
  addMember(chatId: string, userId: string): Promise<unknown> {
    return this.request('POST', `/chats/${chatId}/members`, { user_id: userId });
  }
  removeMember(chatId: string, userId: string): Promise<unknown> {
    return this.request('DELETE', `/chats/${chatId}/members/${userId}`);
  }
  setRole(chatId: string, userId: string, role: Role): Promise<unknown> {
    return this.request('PATCH', `/chats/${chatId}/members/${userId}`, { role });
  }
  ban(chatId: string, userId: string): Promise<unknown> {
    return this.request('PUT', `/chats/${chatId}/bans/${userId}`);
  }
}
