/**
 * A client worker's bookkeeping of closes, reconnects and resumes (the `reconnect` scenario):
 * what each socket saw of each chat, the seqs the worker's senders got acked, and the counts and
 * times it reports. It touches no socket: bench-worker.ts opens them and sends what it says.
 */
import {
  ChatSeen,
  emptyCounts,
  missedSeqs,
  originOf,
  readTrackedFrame,
  type ReconnectCounts,
  type ReconnectTimes,
} from './reconnect-math.js';
import type { ReconnectConfig } from './worker-protocol.js';

/** One socket's reconnect state, kept across its connections. */
export interface SocketTrack {
  readonly chats: Map<string, ChatSeen>;
  /** The chats its last `ready` named. */
  followed: string[];
  /** First opened on the gateway the scenario kills. */
  readonly victim: boolean;
  victimClosed: boolean;
  /** The URL of its current (or last) connection. */
  url: string;
  /** When the close that started this reconnect happened (0: connected and resumed). */
  closedAtMs: number;
  /** Attempts since that close. */
  attempt: number;
  resumesLeft: number;
  timer?: NodeJS.Timeout;
}

export class ReconnectTracker {
  private readonly counts: ReconnectCounts = emptyCounts();
  private readonly toReadyMs: number[] = [];
  private readonly toResumedMs: number[] = [];
  private readonly acked = new Map<string, number[]>();
  private readonly tracks: SocketTrack[] = [];
  private resumeCounter = 0;
  /** Reconnects so far: the round-robin turn. */
  turn = 0;

  constructor(
    readonly config: ReconnectConfig,
    private readonly worker: number,
  ) {}

  track(url: string): SocketTrack {
    const track: SocketTrack = {
      chats: new Map(),
      followed: [],
      victim: this.config.victimOrigin !== undefined && originOf(url) === this.config.victimOrigin,
      victimClosed: false,
      url,
      closedAtMs: 0,
      attempt: 0,
      resumesLeft: 0,
    };
    this.tracks.push(track);
    return track;
  }

  private chat(track: SocketTrack, chatId: string): ChatSeen {
    let seen = track.chats.get(chatId);
    if (!seen) track.chats.set(chatId, (seen = new ChatSeen()));
    return seen;
  }

  /**
   * A server frame of a tracked socket. Returns the `resume` frames to send when it is the
   * `ready` of a reconnect (one per chat followed, each after the last seq seen in stream order).
   */
  onFrame(track: SocketTrack, text: string, at: number): string[] {
    const frame = readTrackedFrame(text);
    if (!frame) return [];
    switch (frame.kind) {
      case 'message':
        this.chat(track, frame.chatId).noteDelivery(frame.seq);
        return [];
      case 'gap':
        this.chat(track, frame.chatId).noteGap(frame.seq);
        return [];
      case 'ack': {
        this.chat(track, frame.chatId).noteAck(frame.seq);
        const list = this.acked.get(frame.chatId);
        if (list) list.push(frame.seq);
        else this.acked.set(frame.chatId, [frame.seq]);
        return [];
      }
      case 'ready':
        track.followed = frame.chatIds;
        return track.closedAtMs > 0 ? this.startResume(track, at) : [];
      case 'resumed':
        this.chat(track, frame.chatId).noteResumedTo(frame.lastSeq);
        this.counts.recovered += frame.count;
        if (track.closedAtMs > 0 && --track.resumesLeft === 0) this.finish(track, at);
        return [];
      case 'error':
        if (frame.requestId?.startsWith('resume.')) this.error(`resume_${frame.code}`);
        return [];
    }
  }

  private startResume(track: SocketTrack, at: number): string[] {
    this.toReadyMs.push(at - track.closedAtMs);
    track.resumesLeft = track.followed.length;
    if (track.resumesLeft === 0) {
      this.finish(track, at);
      return [];
    }
    return track.followed.map((chatId) =>
      JSON.stringify({
        type: 'resume',
        chat_id: chatId,
        after_seq: track.chats.get(chatId)?.streamLast ?? 0,
        request_id: `resume.${this.worker}.${++this.resumeCounter}`,
      }),
    );
  }

  private finish(track: SocketTrack, at: number): void {
    this.toResumedMs.push(at - track.closedAtMs);
    this.counts.resumed += 1;
    this.counts.pending -= 1;
    this.counts.lastResumedAtMs = Math.max(this.counts.lastResumedAtMs, at);
    track.closedAtMs = 0;
    track.attempt = 0;
  }

  /** The socket was closed by the server or the network (or a reconnect attempt failed). */
  onClose(track: SocketTrack, at: number): void {
    if (track.closedAtMs === 0) {
      track.closedAtMs = at;
      this.counts.closes += 1;
      this.counts.pending += 1;
      if (this.counts.firstCloseAtMs === 0 || at < this.counts.firstCloseAtMs) this.counts.firstCloseAtMs = at;
      if (track.victim && !track.victimClosed) {
        track.victimClosed = true;
        this.counts.victimCloses += 1;
      }
    }
    track.attempt += 1;
  }

  onAttempt(): void {
    this.counts.attempts += 1;
  }

  error(code: string): void {
    this.counts.errors[code] = (this.counts.errors[code] ?? 0) + 1;
  }

  /** The counts; `final` adds the missed-message check (every socket, every acked seq of its chats) and the times. */
  report(final: boolean): { counts: ReconnectCounts; times?: ReconnectTimes } {
    if (!final) return { counts: { ...this.counts, errors: { ...this.counts.errors } } };
    let missed = 0;
    let checked = 0;
    let gapFrames = 0;
    let duplicates = 0;
    for (const track of this.tracks) {
      for (const chatId of track.followed) {
        const acked = this.acked.get(chatId) ?? [];
        checked += acked.length;
        missed += missedSeqs(acked, track.chats.get(chatId)).length;
      }
      for (const seen of track.chats.values()) {
        gapFrames += seen.gapFrames;
        duplicates += seen.duplicates;
      }
    }
    return {
      counts: { ...this.counts, errors: { ...this.counts.errors }, missed, checked, gapFrames, duplicates },
      times: { toReadyMs: this.toReadyMs, toResumedMs: this.toResumedMs },
    };
  }
}
