import {
  frameForChatEvent,
  messageFromCreatedEvent,
  NeonError,
  unhandled,
  withReaction,
  type ChatEvent,
  type ClientFrameOf,
  type Message,
  type ServerFrame,
} from '@neonchat/common/contracts';
import { uuidv7Time } from '@neonchat/common/runtime';
import type { HistoryReader } from './history-reader.js';
import type { ChatHub } from './chat-hub.js';
import type { GatewayMetrics } from './metrics.js';
import type { Outbound } from './outbound.js';
import type { Socket } from './socket-registry.js';
import { renderGap } from './live-feed.js';
import type { ChatStreamReader } from './stream-reader.js';

/** Messages in the `history` frame of an opened chat. */
export const HISTORY_SIZE = 20;
/** How many of the newest stream-only messages an open keeps while reading the unpersisted tail. */
const TAIL_KEEP = HISTORY_SIZE * 10;
/** A message id made at time t was stored a little later; start the stream read this much before t. */
const CLOCK_SLACK_MS = 5000;

export interface CatchUpDeps {
  /** The chat's stored events, read from the stream through the bus port. */
  readonly reader: ChatStreamReader;
  /** Takes a socket off a chat's topic and back, holding its live events meanwhile. */
  readonly hub: ChatHub;
  readonly history: HistoryReader;
  readonly outbound: Outbound;
  readonly metrics: GatewayMetrics;
  readonly resumeMaxEvents: number;
}

/**
 * Open (last messages, then live) and resume (everything after a position, then live). While a
 * socket catches up on a chat the hub holds its live events (`holdLive`); once the snapshot
 * (PostgreSQL + the stream tail the persister hasn't written) or the replay (the stream) is
 * out, the hub sends what it held without what was already sent — by stream sequence — and the
 * socket rejoins the topic, all in one synchronous step (`rejoinLive`), so nothing slips
 * between the two and nothing comes twice.
 */
export class CatchUp {
  constructor(private readonly deps: CatchUpDeps) {}

  async open(ws: Socket, chatId: string, requestId: string | undefined): Promise<void> {
    this.deps.hub.holdLive(ws, chatId);
    let covered = 0;
    try {
      // Our live subscription must be known to the server before the stream is read.
      await this.deps.hub.feed.flush();
      const persisted = await this.deps.history.newest(chatId, HISTORY_SIZE);
      covered = persisted.maxSeq;
      const messages = new Map<string, Message>();
      for (const m of [...persisted.newest].reverse()) messages.set(m.id, m);
      let hasPrevious = persisted.newest.length > HISTORY_SIZE;
      // The persister may lag, and with several writers its rows may have holes: the stream,
      // read from the oldest of the newest persisted rows on, fills whatever is missing. A hole
      // further back is older than HISTORY_SIZE messages the snapshot has, so it can't matter.
      const anchor = persisted.newest.length >= HISTORY_SIZE ? (persisted.newest[HISTORY_SIZE - 1]?.seq ?? 1) : 1;
      const tail = await this.deps.reader.read(chatId, { fromSeq: anchor }, (seq, event) => {
        // An event not decodable here is no message: the snapshot leaves it out (the reader
        // logged and counted it); `history` has no place for a gap marker.
        if (event === undefined) return;
        applyToSnapshot(messages, seq, event);
        if (messages.size > TAIL_KEEP) {
          const oldest = messages.keys().next().value;
          if (oldest !== undefined) messages.delete(oldest);
          hasPrevious = true;
        }
      });
      if (!tail.tooFar) covered = Math.max(covered, tail.lastSeq);
      const all = [...messages.values()].sort((a, b) => a.seq - b.seq);
      const newest = all.slice(-HISTORY_SIZE);
      if (all.length > HISTORY_SIZE) hasPrevious = true;
      if (ws.getUserData().closed) return;
      this.deps.outbound.frame(ws, {
        type: 'history',
        chat_id: chatId,
        ...(requestId !== undefined ? { request_id: requestId } : {}),
        messages: newest,
        has_previous: hasPrevious,
      });
      this.deps.metrics.catchUps.inc({ kind: 'open', outcome: 'ok' });
    } catch (err) {
      this.deps.metrics.catchUps.inc({ kind: 'open', outcome: 'failed' });
      throw err;
    } finally {
      // Edits, deletes and read marks are idempotent: only new messages and reactions already
      // in the snapshot are left out (a reaction counted twice would show a wrong order).
      this.deps.hub.rejoinLive(ws, chatId, (e) => (e.kind === 'new_message' || e.kind === 'reaction') && e.seq <= covered);
    }
  }

  async resume(ws: Socket, frame: ClientFrameOf<'resume'>): Promise<void> {
    const { chat_id: chatId, request_id: requestId } = frame;
    if (frame.after_seq === undefined && frame.after_id === undefined) {
      throw new NeonError('validation_failed', 'after_seq or after_id is required');
    }
    // Events that reached the socket live between joining the topic and now (a client resumes
    // right after `ready`, and messages may land in between) are not sent twice. Taken before
    // anything async: from here on live events are held, not sent.
    const mark = ws.getUserData().liveSince.get(chatId);
    const liveFrom = mark === undefined ? undefined : this.deps.hub.feed.deliveredSince(chatId, mark);
    const liveTo = this.deps.hub.feed.lastSeq(chatId);
    const gotLive = (seq: number) => liveFrom !== undefined && liveTo !== undefined && seq > liveFrom && seq <= liveTo;
    this.deps.hub.holdLive(ws, chatId);
    let replayedUpTo = 0;
    try {
      await this.deps.hub.feed.flush();
      let fromSeq: number | undefined;
      let fromTime: Date | undefined;
      let skipThrough: string | undefined;
      if (frame.after_seq !== undefined) fromSeq = frame.after_seq + 1;
      else if (frame.after_id !== undefined) {
        const seq = await this.deps.history.seqOf(chatId, frame.after_id).catch(() => undefined);
        if (seq !== undefined) fromSeq = seq + 1;
        else {
          // Not written yet (or PostgreSQL is away): find it in the stream from the time its id carries.
          const t = uuidv7Time(frame.after_id);
          if (t === undefined) throw new NeonError('not_found', 'after_id: no such message in this chat');
          fromTime = new Date(t - CLOCK_SLACK_MS);
          skipThrough = frame.after_id;
        }
      }
      let count = 0;
      let lastSeq = fromSeq !== undefined ? fromSeq - 1 : 0;
      const state = ws.getUserData();
      const result = await this.deps.reader.read(
        chatId,
        { fromSeq, fromTime, maxEvents: this.deps.resumeMaxEvents + (skipThrough ? this.deps.resumeMaxEvents : 0) },
        async (seq, event: ChatEvent | undefined) => {
          if (state.closed) throw new NeonError('unavailable', 'socket closed');
          replayedUpTo = seq;
          if (skipThrough !== undefined) {
            if (event?.type === 'message.created' && event.id === skipThrough) skipThrough = undefined;
            return;
          }
          if (gotLive(seq)) return;
          if (count >= this.deps.resumeMaxEvents) throw tooFar();
          // Not decodable here: a gap frame in its place, as on the live path (stream-reader.ts).
          const out = event === undefined ? renderGap(chatId, seq) : replayed(event, seq);
          this.deps.outbound.send(ws, out.data, out.type);
          count += 1;
          lastSeq = seq;
          await this.deps.outbound.belowHalf(ws);
        },
      );
      if (result.tooFar) throw tooFar();
      if (skipThrough !== undefined) throw new NeonError('not_found', 'after_id: no such message in this chat');
      if (state.closed) return;
      this.deps.outbound.frame(ws, {
        type: 'resumed',
        chat_id: chatId,
        ...(requestId !== undefined ? { request_id: requestId } : {}),
        count,
        last_seq: lastSeq,
      });
      this.deps.metrics.catchUps.inc({ kind: 'resume', outcome: 'ok' });
    } catch (err) {
      this.deps.metrics.catchUps.inc({ kind: 'resume', outcome: err instanceof NeonError ? err.code : 'failed' });
      throw err;
    } finally {
      this.deps.hub.rejoinLive(ws, chatId, (e) => e.seq <= replayedUpTo);
    }
  }
}

function replayed(event: ChatEvent, seq: number): { type: ServerFrame['type']; data: string } {
  const frame = frameForChatEvent(event, seq);
  return { type: frame.type, data: JSON.stringify(frame) };
}

function tooFar(): NeonError {
  // The recovery named here is the gap-free one (the AsyncAPI document says why): `open` covers
  // what the persister has not written yet, REST pages older from the history's oldest id.
  return new NeonError(
    'resume_too_far',
    'too many messages missed: send open for the chat, then page older over REST (GET /api/v1/chats/{id}/messages?before_id=<oldest id of the history>)',
  );
}

/** Applies a stream event to an open's snapshot of messages (by id, in stream order). */
function applyToSnapshot(messages: Map<string, Message>, seq: number, event: ChatEvent): void {
  switch (event.type) {
    case 'message.created':
      if (!messages.has(event.id)) {
        messages.set(event.id, messageFromCreatedEvent(event, seq));
      }
      return;
    case 'message.updated': {
      const m = messages.get(event.id);
      if (m) messages.set(event.id, { ...m, text: event.text, updated_at: event.updated_at });
      return;
    }
    case 'message.deleted':
      messages.delete(event.id);
      return;
    case 'chat.read':
      return;
    case 'reaction.added':
    case 'reaction.removed': {
      // Replayed over the persisted state from an older position: add/remove are idempotent
      // and applied in stream order, so the result is the state at the end of the tail.
      const m = messages.get(event.message_id);
      if (!m) return;
      const reactions = withReaction(m.reactions, event.emoji, event.user_id, event.type === 'reaction.added');
      const { reactions: _old, ...rest } = m;
      messages.set(event.message_id, reactions.length ? { ...rest, reactions } : rest);
      return;
    }
    default:
      unhandled(event, 'chat event');
  }
}
