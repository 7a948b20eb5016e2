import { refusal, requireAllowed, type ChatAction } from '@neonchat/common/contracts';
import type { ChatHub } from './chat-hub.js';
import type { MembershipReader } from './membership-reader.js';
import type { ChatMembershipView } from './socket-state.js';
import type { Socket } from './socket-registry.js';

/**
 * Access checks for frames, through the shared permission module over the socket's membership
 * cache (kept current by membership events). A miss asks PostgreSQL once: a chat created a
 * moment ago whose announcement has not arrived yet; if active, the socket starts following it.
 */
export class ChatAccess {
  constructor(
    private readonly reader: MembershipReader,
    private readonly hub: Pick<ChatHub, 'follow'>,
  ) {}

  async require(ws: Socket, chatId: string, action: ChatAction): Promise<ChatMembershipView> {
    const state = ws.getUserData();
    const cached = state.chats.get(chatId);
    if (cached) return check(action, cached, 'active');
    const row = await this.reader.membership(chatId, state.userId);
    if (row?.status === 'active' && !state.closed && !state.chats.has(chatId))
      this.hub.follow(ws, chatId, row.peer ? { type: row.type, role: row.role, peer: row.peer } : { type: row.type, role: row.role });
    return check(action, row ?? null, row?.status ?? 'left');
  }
}

function check(action: ChatAction, view: ChatMembershipView | null, status: 'active' | 'banned' | 'left'): ChatMembershipView {
  if (!view) throw refusal('not_member');
  requireAllowed(action, view.type, { role: view.role, status });
  return view;
}
