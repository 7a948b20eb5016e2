import type { ChatType, MemberRole, MemberStatus } from './model.js';
import { NeonError } from './error-codes.js';

/** Actions that make no sense in a 1:1 chat, whoever asks: moderating and managing a group. */
const GROUP_ACTIONS = ['delete_any_message', 'add_member', 'remove_member', 'change_role', 'ban', 'rename', 'leave'] as const;

/**
 * The one place that decides who may do what in a chat. The api and the gateway both ask
 * here, from the same three facts: the caller's membership (role and status, or none), and
 * the chat's type. Nothing else grants or refuses an action.
 */
export const CHAT_ACTIONS = [
  'read', // history, chat details, live events
  'post', // send a message
  'edit_own_message',
  'delete_own_message',
  ...GROUP_ACTIONS,
  'mark_read',
  'typing',
  'react',
] as const;
export type ChatAction = (typeof CHAT_ACTIONS)[number];

export interface Membership {
  readonly role: MemberRole;
  readonly status: MemberStatus;
}

export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly reason: DenyReason };
export type DenyReason = 'not_member' | 'banned' | 'admin_only' | 'not_in_direct_chat';

const ALLOW: Decision = { allowed: true };
const deny = (reason: DenyReason): Decision => ({ allowed: false, reason });

/** What an active member who is not an admin may do, by chat type. */
const MEMBER_ACTIONS: Record<ChatType, ReadonlySet<ChatAction>> = {
  direct: new Set(['read', 'post', 'edit_own_message', 'delete_own_message', 'mark_read', 'typing', 'react']),
  group: new Set(['read', 'post', 'edit_own_message', 'delete_own_message', 'mark_read', 'typing', 'leave', 'react']),
  // A channel is a broadcast: members read, only admins post. Reacting is how readers answer
  // a post without posting, so every active member may react (a banned one may not).
  channel: new Set(['read', 'mark_read', 'leave', 'react']),
};

const NOT_IN_DIRECT: ReadonlySet<ChatAction> = new Set(GROUP_ACTIONS);

export function decide(action: ChatAction, chatType: ChatType, membership: Membership | null | undefined): Decision {
  if (!membership || membership.status === 'left') return deny('not_member');
  if (membership.status === 'banned') return deny('banned');
  if (chatType === 'direct' && NOT_IN_DIRECT.has(action)) return deny('not_in_direct_chat');
  if (membership.role === 'admin') return ALLOW;
  return MEMBER_ACTIONS[chatType].has(action) ? ALLOW : deny('admin_only');
}

export function can(action: ChatAction, chatType: ChatType, membership: Membership | null | undefined): boolean {
  return decide(action, chatType, membership).allowed;
}

/**
 * The one mapping from a refusal to the error a client sees: `decide()` and throw its
 * NeonError when refused. The api and the gateway both refuse through here.
 */
export function requireAllowed(action: ChatAction, chatType: ChatType, membership: Membership | null | undefined): void {
  const decision = decide(action, chatType, membership);
  if (!decision.allowed) throw refusal(decision.reason);
}

export function refusal(reason: DenyReason): NeonError {
  const code = denialCode(reason);
  return new NeonError(code, code === 'not_found' ? 'chat not found' : `not allowed: ${reason}`);
}

/**
 * The error code a refusal maps to. A stranger is told the chat does not exist rather than
 * that it is forbidden, so chat ids can't be probed.
 */
export function denialCode(reason: DenyReason): 'not_found' | 'forbidden' {
  return reason === 'not_member' ? 'not_found' : 'forbidden';
}
