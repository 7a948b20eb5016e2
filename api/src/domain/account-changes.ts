import bcrypt from 'bcryptjs';
import { NeonError } from '@neonchat/common/contracts';
import type { AccessClaims, RevocationList } from '@neonchat/common/runtime';
import type { Repositories } from '../repositories/mod.js';
import type { Sessions } from './sessions.js';
import type { UserBlocks } from './user-blocks.js';

/** The username a deleted account keeps: unique, and unregistrable (`:` is not allowed in names). */
export function deletedUsername(userId: string): string {
  return `deleted:${userId}`;
}

export interface AccountChangeDeps {
  readonly sessions: Sessions;
  readonly revocations: RevocationList;
  readonly blocks: UserBlocks;
  readonly bcryptCost: number;
}

/** The caller's password, checked; a wrong one is `forbidden` (the token is fine, the proof is not). */
async function requirePassword(repos: Repositories, userId: string, password: string, field: string): Promise<void> {
  const account = await repos.accounts.credentials(userId);
  if (!account) throw new NeonError('unauthorized', 'user no longer exists');
  if (!(await bcrypt.compare(password, account.password_hash)))
    throw new NeonError('forbidden', `${field}: wrong password`, { details: { field } });
}

/** Changes the password (the old one required) and ends every other session of the account. */
export async function changePassword(
  deps: AccountChangeDeps,
  repos: Repositories,
  claims: AccessClaims,
  passwords: { old_password: string; new_password: string },
): Promise<{ ended_sessions: number }> {
  await requirePassword(repos, claims.user_id, passwords.old_password, 'old_password');
  await repos.accounts.setPasswordHash(claims.user_id, await bcrypt.hash(passwords.new_password, deps.bcryptCost));
  return { ended_sessions: await deps.sessions.endAllBut(repos, claims.user_id, claims.sid) };
}

/**
 * Deletes the caller's account (its password required): every token of it is refused
 * everywhere first (the revocation list; its open sockets close), then in one transaction its
 * row keeps only its id (messages and chats point at it: others still read the history, the
 * author shown as `deleted:{id}`), the name is freed, phone, password hash and last-seen go,
 * its sessions end and its blocks go. Search leaves it out.
 */
export async function deleteAccount(deps: AccountChangeDeps, repos: Repositories, claims: AccessClaims, password: string): Promise<void> {
  await requirePassword(repos, claims.user_id, password, 'password');
  await deps.revocations.revokeUser(claims.user_id, true);
  const unblocked = await repos.transactional(async (tx) => {
    await tx.accounts.markDeleted(claims.user_id, deletedUsername(claims.user_id));
    await tx.sessions.endAllAndForget(claims.user_id);
    return tx.blocks.removeAllOf(claims.user_id);
  });
  await Promise.all(unblocked.map((b) => deps.blocks.announce({ blocker_id: b.blocker_id, blocked_id: b.blocked_id, blocked: false })));
}
