import { NeonError, toIsoTimestamp } from '@neonchat/common/contracts';
import { signAccessToken, uuidv7, type AccessClaims, type RevocationList, type SigningKeys } from '@neonchat/common/runtime';
import type { ClientInfo } from '../repositories/mod.js';
import type { Repositories } from '../repositories/mod.js';
import { newRefreshToken, refreshTokenHash } from './refresh-tokens.js';

/** What login, register and refresh answer (`token` is the access token, as before 2.1.0). */
export interface TokenAnswer {
  readonly token: string;
  readonly access_token: string;
  readonly expires_in: number;
  readonly refresh_token: string;
  readonly refresh_expires_in: number;
  readonly session_id: string;
  readonly user: { readonly id: string; readonly username: string };
}

export interface SessionView {
  readonly id: string;
  readonly user_agent: string;
  readonly ip: string;
  readonly created_at: string;
  readonly last_used_at: string;
  readonly current: boolean;
}

export interface SessionSettings {
  readonly keys: SigningKeys;
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
}

/** Sessions listed at most (a user with more has them ended by refresh expiry in time). */
const SESSIONS_LISTED_MAX = 500;
const USER_AGENT_MAX = 256;
const IP_MAX = 64;

/** Request headers as stored: control characters (NUL included) dropped, bounded. */
export function clientInfo(userAgent: string | undefined, ip: string | undefined): ClientInfo {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is dropped
  const clean = (s: string | undefined, max: number) => (s ?? '').replace(/[\u0000-\u001f\u007f]/g, '').slice(0, max);
  return { userAgent: clean(userAgent, USER_AGENT_MAX), ip: clean(ip, IP_MAX) };
}

/**
 * Sessions end to end: issuing tokens, rotating refresh tokens (a rotated token presented
 * again ends its whole session: OAuth 2.0 Security BCP, refresh token rotation), and ending
 * sessions in PostgreSQL and on the revocation list every gateway follows. What ends goes on
 * the list before the database changes: if the second step fails, the session is refused
 * anyway (the safe side) and the request answers an error to retry.
 */
export class Sessions {
  constructor(
    private readonly settings: SessionSettings,
    private readonly revocations: RevocationList,
  ) {}

  async open(repos: Repositories, user: { id: string; username: string }, client: ClientInfo): Promise<TokenAnswer> {
    const sessionId = uuidv7();
    const refreshToken = newRefreshToken();
    await repos.transactional((tx) =>
      tx.sessions.create(sessionId, user.id, client, this.settings.refreshTtlSeconds, refreshTokenHash(refreshToken) as Buffer),
    );
    return this.answer(sessionId, user, refreshToken);
  }

  /** Rotates a refresh token; an unknown, malformed, ended or reused one is `unauthorized`. */
  async refresh(repos: Repositories, token: string, client: ClientInfo): Promise<TokenAnswer> {
    const hash = refreshTokenHash(token);
    if (!hash) throw invalidRefresh();
    const next = newRefreshToken();
    const rotated = await repos.transactional(async (tx) => {
      const sessionId = await tx.sessions.rotateToken(hash);
      if (sessionId === undefined) return undefined;
      const user = await tx.sessions.extend(sessionId, this.settings.refreshTtlSeconds, client);
      if (!user) return { sessionId, user: undefined };
      await tx.sessions.addToken(refreshTokenHash(next) as Buffer, sessionId);
      return { sessionId, user };
    });
    if (rotated?.user) return this.answer(rotated.sessionId, { id: rotated.user.user_id, username: rotated.user.username }, next);
    if (rotated) throw invalidRefresh();
    // Not current: a rotated token presented again is a reuse, and its session ends everywhere.
    const owner = await repos.sessions.tokenOwner(hash);
    if (!owner) throw invalidRefresh();
    await this.endOwn(repos, owner.user_id, [owner.session_id]);
    throw new NeonError('unauthorized', 'refresh token already used: the session is ended, log in again');
  }

  async list(repos: Repositories, claims: AccessClaims): Promise<SessionView[]> {
    const rows = await repos.sessions.listOpen(claims.user_id, SESSIONS_LISTED_MAX);
    return rows.map((r) => ({
      id: r.id,
      user_agent: r.user_agent,
      ip: r.ip,
      created_at: toIsoTimestamp(r.created_at),
      last_used_at: toIsoTimestamp(r.last_used_at),
      current: r.id === claims.sid,
    }));
  }

  /** Ends the caller's own session; a token without one ends the user's session-less tokens. */
  async logout(repos: Repositories, claims: AccessClaims): Promise<void> {
    if (claims.sid === undefined) return this.revocations.revokeUser(claims.user_id, false);
    await this.endOwn(repos, claims.user_id, [claims.sid]);
  }

  /** Ends one session of this user; another user's, an ended or an unknown session is `not_found`. */
  async endOne(repos: Repositories, userId: string, sessionId: string): Promise<void> {
    if (!(await repos.sessions.isOpen(userId, sessionId)))
      throw new NeonError('not_found', 'no such session', { details: { field: 'id' } });
    await this.endOwn(repos, userId, [sessionId]);
  }

  /** Ends every session of the user but `keep` (all when undefined), and its session-less tokens; how many. */
  async endAllBut(repos: Repositories, userId: string, keep: string | undefined): Promise<number> {
    const ids = await repos.sessions.openIds(userId, keep);
    await this.revocations.revokeUser(userId, false);
    await this.endOwn(repos, userId, ids);
    return ids.length;
  }

  private async endOwn(repos: Repositories, userId: string, sessionIds: readonly string[]): Promise<void> {
    if (!sessionIds.length) return;
    await this.revocations.revokeSessions(userId, sessionIds);
    await repos.sessions.end(userId, sessionIds);
  }

  private answer(sessionId: string, user: { id: string; username: string }, refreshToken: string): TokenAnswer {
    const token = signAccessToken(user, this.settings.keys, this.settings.accessTtlSeconds, { sid: sessionId });
    return {
      token,
      access_token: token,
      expires_in: this.settings.accessTtlSeconds,
      refresh_token: refreshToken,
      refresh_expires_in: this.settings.refreshTtlSeconds,
      session_id: sessionId,
      user,
    };
  }
}

function invalidRefresh(): NeonError {
  return new NeonError('unauthorized', 'invalid refresh token', { details: { field: 'refresh_token' } });
}
