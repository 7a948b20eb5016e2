import type { Static } from 'typebox';
import { NeonError, type MembershipChangedEvent } from '@neonchat/common/contracts';
import type { CreateChatBody } from '../schemas/chats.js';
import type { Repositories } from '../repositories/mod.js';
import { findOrCreateDirectChat } from './direct-chats.js';
import { createGroupChat, type ChatSummary } from './group-chats.js';

export interface ChatCreation {
  readonly chat: ChatSummary;
  /** false: the 1:1 chat with that partner existed already. */
  readonly created: boolean;
  /** Committed membership changes, for the caller to announce. */
  readonly announcements: MembershipChangedEvent[];
}

function misplaced(field: string, why: string): NeonError {
  return new NeonError('validation_failed', `${field}: ${why}`, { details: { field } });
}

/**
 * `POST /chats`: a group or channel (`type`, `name`, `member_ids`), or the 1:1 chat with
 * `partner_id`, existing or new. A field that belongs to the other kind is a 400 naming it.
 */
export async function createChat(repos: Repositories, callerId: string, body: Static<typeof CreateChatBody>): Promise<ChatCreation> {
  if (body.type === 'group' || body.type === 'channel') {
    if (body.partner_id !== undefined) throw misplaced('partner_id', `not allowed for a ${body.type}`);
    if (body.name === undefined) throw misplaced('name', `is required for a ${body.type}`);
    const { chat, announcements } = await createGroupChat(repos, callerId, {
      type: body.type,
      name: body.name,
      memberIds: body.member_ids ?? [],
    });
    return { chat, created: true, announcements };
  }
  if (body.partner_id === undefined) throw misplaced('partner_id', 'is required for a direct chat');
  if (body.name !== undefined) throw misplaced('name', 'not allowed for a direct chat');
  if (body.member_ids !== undefined) throw misplaced('member_ids', 'not allowed for a direct chat');
  const direct = await findOrCreateDirectChat(repos, callerId, body.partner_id);
  const at = direct.createdAt.toISOString();
  const announcements = direct.created
    ? [callerId, direct.partner.id].map((user_id): MembershipChangedEvent => ({
        type: 'membership.changed',
        chat_id: direct.id,
        chat_type: 'direct',
        user_id,
        role: 'member',
        status: 'active',
        at,
      }))
    : [];
  const chat: ChatSummary = {
    id: direct.id,
    type: 'direct',
    name: null,
    partner: direct.partner,
    created_at: at,
    updated_at: direct.updatedAt.toISOString(),
  };
  return { chat, created: direct.created, announcements };
}
