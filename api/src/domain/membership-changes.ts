import {
  decide,
  refusal,
  NeonError,
  type ChatAction,
  type ChatType,
  type MemberRole,
  type Membership,
  type MembershipChangedEvent,
} from '@neonchat/common/contracts';
import type { MemberState, Repositories } from '../repositories/mod.js';

export type { MemberState };

export interface MembershipOutcome {
  readonly member: MemberState;
  /** Whether anything changed: adding an existing member or re-banning is a no-op. */
  readonly changed: boolean;
  /** Committed changes, for the caller to announce on NATS. */
  readonly announcements: MembershipChangedEvent[];
}

interface LockedChat {
  readonly type: ChatType;
  readonly caller: Membership | null;
}

/**
 * Takes the chat row's lock for the rest of the transaction: membership changes to one chat
 * run one at a time, so two admins demoting each other can't leave a group with none.
 */
async function lockChat(tx: Repositories, chatId: string, callerId: string): Promise<LockedChat> {
  const type = await tx.chats.lockType(chatId);
  if (!type) throw new NeonError('not_found', 'chat not found');
  const caller = await tx.members.find(chatId, callerId);
  return { type, caller: caller ? { role: caller.role, status: caller.status } : null };
}

function mustAllow(action: ChatAction, chat: LockedChat): void {
  const decision = decide(action, chat.type, chat.caller);
  if (!decision.allowed) throw refusal(decision.reason);
}

/** A group keeps at least one active admin while it has active members. */
async function assertKeepsAdmin(tx: Repositories, chatId: string): Promise<void> {
  const counts = await tx.members.activeCounts(chatId);
  if (counts.members > 0 && counts.admins === 0)
    throw new NeonError('conflict', 'the chat must keep at least one admin: promote someone first');
}

async function requireUser(tx: Repositories, userId: string): Promise<void> {
  if (!(await tx.users.exists(userId))) throw new NeonError('not_found', 'user not found', { details: { field: 'user_id' } });
}

type Change = (tx: Repositories, chat: LockedChat, target: MemberState | undefined) => Promise<MemberState | { unchanged: MemberState }>;

/** Runs one membership change under the chat lock, checks the admin rule, and says what to announce. */
async function change(repos: Repositories, chatId: string, callerId: string, targetId: string, apply: Change): Promise<MembershipOutcome> {
  return repos.transactional(async (tx) => {
    const chat = await lockChat(tx, chatId, callerId);
    const target = await tx.members.find(chatId, targetId);
    const result = await apply(tx, chat, target);
    if ('unchanged' in result) return { member: result.unchanged, changed: false, announcements: [] };
    await tx.members.save(result, target !== undefined);
    if (chat.type !== 'direct') await assertKeepsAdmin(tx, chatId);
    const event: MembershipChangedEvent = {
      type: 'membership.changed',
      chat_id: chatId,
      chat_type: chat.type,
      user_id: targetId,
      role: result.role,
      status: result.status,
      at: new Date().toISOString(),
    };
    return { member: result, changed: true, announcements: [event] };
  });
}

/** Adds a user (role `member` unless told). Adding an active member again changes nothing. */
export function addMember(
  repos: Repositories,
  chatId: string,
  callerId: string,
  userId: string,
  role: MemberRole,
): Promise<MembershipOutcome> {
  return change(repos, chatId, callerId, userId, async (tx, chat, target) => {
    mustAllow('add_member', chat);
    if (role === 'admin') mustAllow('change_role', chat);
    if (target?.status === 'active') return { unchanged: target };
    if (target?.status === 'banned')
      throw new NeonError('conflict', 'user_id: the user is banned from this chat, unban first', { details: { field: 'user_id' } });
    if (!target) await requireUser(tx, userId);
    return { chat_id: chatId, user_id: userId, role, status: 'active' };
  });
}

export function changeRole(
  repos: Repositories,
  chatId: string,
  callerId: string,
  userId: string,
  role: MemberRole,
): Promise<MembershipOutcome> {
  return change(repos, chatId, callerId, userId, async (_tx, chat, target) => {
    mustAllow('change_role', chat);
    if (target?.status !== 'active') throw new NeonError('not_found', 'member not found', { details: { field: 'user_id' } });
    if (target.role === role) return { unchanged: target };
    return { ...target, role };
  });
}

/** Bans a member, or a user who is not one yet (so they can't be added back by mistake). */
export function banMember(repos: Repositories, chatId: string, callerId: string, userId: string): Promise<MembershipOutcome> {
  return change(repos, chatId, callerId, userId, async (tx, chat, target) => {
    mustAllow('ban', chat);
    if (userId === callerId)
      throw new NeonError('validation_failed', 'user_id: you cannot ban yourself', { details: { field: 'user_id' } });
    if (target?.status === 'banned') return { unchanged: target };
    if (!target) await requireUser(tx, userId);
    return { chat_id: chatId, user_id: userId, role: 'member', status: 'banned' };
  });
}

/**
 * Lifts a ban and readmits the user as an active `member` at once (announced like an add), so
 * they can read and post again without a second request. Unbanning someone not banned changes
 * nothing; someone never banned nor a member is `not_found`.
 */
export function unbanMember(repos: Repositories, chatId: string, callerId: string, userId: string): Promise<MembershipOutcome> {
  return change(repos, chatId, callerId, userId, async (_tx, chat, target) => {
    mustAllow('ban', chat);
    if (!target) throw new NeonError('not_found', 'member not found', { details: { field: 'user_id' } });
    if (target.status !== 'banned') return { unchanged: target };
    return { ...target, role: 'member', status: 'active' };
  });
}

/**
 * Removes someone else (admins), or leaves when the target is the caller: the member becomes
 * `left` with role `member`, stops receiving the chat, and may be added back by an admin (no
 * ban). The last admin of a group with other members must promote someone first (409).
 */
export function removeMember(repos: Repositories, chatId: string, callerId: string, userId: string): Promise<MembershipOutcome> {
  return change(repos, chatId, callerId, userId, async (_tx, chat, target) => {
    mustAllow(userId === callerId ? 'leave' : 'remove_member', chat);
    if (target?.status !== 'active') throw new NeonError('not_found', 'member not found', { details: { field: 'user_id' } });
    return { ...target, role: 'member', status: 'left' };
  });
}

export function leaveChat(repos: Repositories, chatId: string, callerId: string): Promise<MembershipOutcome> {
  return removeMember(repos, chatId, callerId, callerId);
}
