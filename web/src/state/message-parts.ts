import type { Message, ReplyPreview } from '@neonchat/common/contracts';

/** What a quote of `preview` says: its text, or why there is none. */
export function quoteText(preview: ReplyPreview): string {
  if (preview.deleted) return 'Deleted message';
  const files = preview.attachments_count ? `📎 ${preview.attachments_count} file${preview.attachments_count === 1 ? '' : 's'}` : '';
  if (preview.text && files) return `${files} · ${preview.text}`;
  return preview.text || files || 'Message';
}

/** "1 reply", "3 replies"; empty for none. */
export function replyCountText(count: number | undefined): string {
  if (!count) return '';
  return `${count} ${count === 1 ? 'reply' : 'replies'}`;
}

/** Does the message mention `userId` (resolved by the server into `mentions`)? */
export function mentionsUser(m: Pick<Message, 'mentions' | 'sender_id'>, userId: string): boolean {
  return m.sender_id !== userId && (m.mentions?.includes(userId) ?? false);
}

/** The preview a reply carries, from a message this client has (for the pending bubble and the bar). */
export function previewOf(m: Message): ReplyPreview {
  return {
    id: m.id,
    sender_id: m.sender_id,
    // REPLY_PREVIEW_CHARS of common (only its types may be imported here).
    text: Array.from(m.text).slice(0, 100).join(''),
    deleted: false,
    attachments_count: m.attachments?.length ?? 0,
  };
}
