import type { Message, MessageReaction, ReplyPreview } from '@neonchat/common/contracts';

export interface PendingMessage {
  requestId: string;
  text: string;
  failed: boolean;
  sentAt: number;
  /** Upload ids, all complete before the message was queued. */
  attachments?: string[];
  /** The message this one answers (its preview, drawn in the pending bubble; its id goes in the frame). */
  replyTo?: ReplyPreview;
}

/**
 * One chat's messages as this client knows them: confirmed ones by id in seq order (so a
 * message that arrives twice, live and in a resume or a page, is kept once), the sends still
 * waiting for `message_sent`, and the highest stream seq seen (what `resume` asks after).
 */
export class ChatTimeline {
  private readonly byId = new Map<string, Message>();
  private ordered: Message[] | null = [];
  readonly pending = new Map<string, PendingMessage>();
  /** Highest seq of any event of this chat seen (messages, edits, deletes, reads). */
  lastSeq = 0;
  hasPrevious = false;
  /**
   * Newer messages exist than the newest held: a jump (`around`) left a gap up to the live end.
   * Live messages are not kept then (they would stand after the gap); the newer pages fill it.
   */
  hasNext = false;
  /** Has the gateway answered `open` (history) for this chat yet. */
  loaded = false;
  /** Highest seq another member has read (from `read` frames). */
  othersReadSeq = 0;

  constructor(readonly chatId: string) {}

  get messages(): readonly Message[] {
    this.ordered ??= [...this.byId.values()].sort((a, b) => a.seq - b.seq);
    return this.ordered;
  }

  get oldest(): Message | undefined {
    return this.messages[0];
  }

  get newest(): Message | undefined {
    return this.messages.at(-1);
  }

  /** Adds or replaces messages; true when anything changed. */
  upsert(messages: readonly Message[]): boolean {
    let changed = false;
    for (const m of messages) {
      this.seen(m.seq);
      const known = this.byId.get(m.id);
      if (
        known &&
        known.text === m.text &&
        known.updated_at === m.updated_at &&
        known.reply_count === m.reply_count &&
        sameReactions(known, m)
      )
        continue;
      this.byId.set(m.id, m);
      changed = true;
    }
    if (changed) this.ordered = null;
    return changed;
  }

  edit(messageId: string, text: string, updatedAt: string, seq: number): boolean {
    this.seen(seq);
    const m = this.byId.get(messageId);
    if (!m) return false;
    this.byId.set(messageId, { ...m, text, updated_at: updatedAt });
    this.updateQuotes(messageId, { text: Array.from(text).slice(0, 100).join('') });
    this.ordered = null;
    return true;
  }

  /** A `reaction` frame: `userId` added or took back `emoji`; true when the message is here. */
  react(messageId: string, emoji: string, userId: string, op: 'add' | 'remove', seq: number): boolean {
    this.seen(seq);
    const m = this.byId.get(messageId);
    if (!m) return false;
    const reactions: MessageReaction[] = (m.reactions ?? []).map((r) => ({ emoji: r.emoji, user_ids: [...r.user_ids] }));
    let entry = reactions.find((r) => r.emoji === emoji);
    if (op === 'add' && !entry) reactions.push((entry = { emoji, user_ids: [] }));
    if (entry && op === 'add' && !entry.user_ids.includes(userId)) entry.user_ids.push(userId);
    if (entry && op === 'remove') entry.user_ids = entry.user_ids.filter((id) => id !== userId);
    this.byId.set(messageId, { ...m, reactions: reactions.filter((r) => r.user_ids.length > 0) });
    this.ordered = null;
    return true;
  }

  /** Holds only `messages` from now on (a jump too far back to join the loaded ones). */
  replaceAll(messages: readonly Message[]): void {
    this.byId.clear();
    this.ordered = null;
    this.upsert(messages);
  }

  /** A new reply came live: its original, if here, counts one more. */
  countReply(reply: Message): boolean {
    const original = reply.reply_to ? this.byId.get(reply.reply_to.id) : undefined;
    if (!original) return false;
    this.byId.set(original.id, { ...original, reply_count: (original.reply_count ?? 0) + 1 });
    this.ordered = null;
    return true;
  }

  remove(messageId: string, seq: number): boolean {
    this.seen(seq);
    this.ordered = null;
    this.updateQuotes(messageId, { text: '', deleted: true, attachments_count: 0 });
    return this.byId.delete(messageId);
  }

  /** The replies here quoting `originalId` show it as it is now (edited, deleted), as history would. */
  private updateQuotes(originalId: string, change: Partial<ReplyPreview>): void {
    for (const m of this.byId.values())
      if (m.reply_to?.id === originalId) this.byId.set(m.id, { ...m, reply_to: { ...m.reply_to, ...change } });
  }

  /** Another member read up to the message at `seq` (a `read` frame or REST's `others_read_seq`). */
  othersRead(seq: number): void {
    if (seq > this.othersReadSeq) this.othersReadSeq = seq;
  }

  seen(seq: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
  }

  has(messageId: string): boolean {
    return this.byId.has(messageId);
  }
}

function sameReactions(a: Message, b: Message): boolean {
  return JSON.stringify(a.reactions ?? []) === JSON.stringify(b.reactions ?? []);
}
