import type { RestClient } from './rest-client.js';

/** One open session of mine, as `GET /me/sessions` lists it. */
export interface SessionInfo {
  id: string;
  /** User-Agent of the session's last login or refresh. */
  user_agent: string;
  ip: string;
  created_at: string;
  last_used_at: string;
  /** The session this tab's token belongs to. */
  current: boolean;
}

export interface BlockedUser {
  id: string;
  username: string;
  blocked_at: string;
}

/**
 * The account's own REST calls (issue 27): sessions, password, deletion, blocks. Kept apart
 * from `RestClient` (chats and messages) so each stays short; the refresh-and-retry of a 401
 * is `RestClient.request`'s, as for every other call.
 */
export class AccountApi {
  constructor(private readonly rest: RestClient) {}

  sessions(): Promise<{ sessions: SessionInfo[] }> {
    return this.rest.request('GET', '/me/sessions');
  }
  /** Ends one of my sessions (its sockets close with 4004, its refresh token is refused). */
  endSession(sessionId: string): Promise<void> {
    return this.rest.request('DELETE', `/me/sessions/${encodeURIComponent(sessionId)}`);
  }
  /** "Log out everywhere else": every session but this tab's. */
  endOtherSessions(): Promise<{ ended_sessions: number }> {
    return this.rest.request('POST', '/me/sessions/end-others');
  }
  /** Changes the password (the old one required: a wrong one is 403); the other sessions end. */
  changePassword(oldPassword: string, newPassword: string): Promise<{ ended_sessions: number }> {
    return this.rest.request('PUT', '/me/password', { old_password: oldPassword, new_password: newPassword });
  }
  /** Deletes the account (its password required: a wrong one is 403); every session ends. */
  deleteAccount(password: string): Promise<void> {
    return this.rest.request('DELETE', '/me', { password });
  }
  blocks(): Promise<{ users: BlockedUser[] }> {
    return this.rest.request('GET', '/me/blocks');
  }
  block(userId: string): Promise<void> {
    return this.rest.request('PUT', `/me/blocks/${encodeURIComponent(userId)}`);
  }
  unblock(userId: string): Promise<void> {
    return this.rest.request('DELETE', `/me/blocks/${encodeURIComponent(userId)}`);
  }
}
