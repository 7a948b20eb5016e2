import type { HistoryPage, RestClient } from '../net/rest-client.js';
import type { ChatTimeline } from '../state/chat-timeline.js';
import type { MessengerState } from '../state/messenger-state.js';

/** Messages of the page a jump loads around its target. */
const AROUND_PAGE = 50;
/** Newer pages (of NEWER_PAGE) fetched to join a jump's page to what is held; beyond, the gap stays. */
const JOIN_PAGES = 3;
const NEWER_PAGE = 200;
/** A jump into a chat waits this long at most for its `history` frame. */
const HISTORY_WAIT_MS = 10_000;

export interface MessageJumpDeps {
  state: MessengerState;
  rest: RestClient;
  /** Puts the chat on screen (asks the gateway for its history if it has none). */
  openChat(chatId: string): Promise<void>;
  /** Redraws the messages: scrolled to the highlighted one, or kept where they are. */
  render(scroll: 'highlight' | 'none'): void;
  /** The pane's "a page is loading" flag: one page at a time. */
  loading: { loadingOlder: boolean };
  /** Moves the keyboard focus to the highlighted message. */
  focus(messageId: string): void;
}

/**
 * Opening a chat at one message (a quote's original, a search hit): from what is on screen, or
 * the page `around` its seq, joined to the held messages by a few newer pages or, when it is too
 * far back, held alone with a gap up to the live end that `loadNewer` fills. The last jump asked
 * for wins.
 */
export class MessageJump {
  private readonly waiting = new Map<string, Array<() => void>>();
  private latest = 0;

  constructor(private readonly d: MessageJumpDeps) {}

  /** The chat's `history` frame came. */
  historyLoaded(chatId: string): void {
    for (const resolve of this.waiting.get(chatId) ?? []) resolve();
    this.waiting.delete(chatId);
  }

  async jump(chatId: string, messageId: string, seq?: number): Promise<void> {
    const { state } = this.d;
    const mine = ++this.latest;
    const current = () => mine === this.latest && state.current === chatId;
    if (state.current !== chatId) await this.d.openChat(chatId);
    const t = state.timeline(chatId);
    if (!t.loaded) await this.historyOf(chatId);
    if (!current()) return;
    if (!t.has(messageId)) {
      const page = await this.pageWith(chatId, messageId, seq);
      if (!page?.messages.length || !current()) return;
      await this.hold(t, page);
      if (!current()) return;
    }
    state.highlighted = t.has(messageId) ? messageId : null;
    this.d.render('highlight');
    if (state.highlighted) this.d.focus(messageId);
  }

  /** After a jump far back: the next newer page, until the live end is reached again. */
  async loadNewer(): Promise<void> {
    const { state, rest, loading } = this.d;
    const chatId = state.current;
    const t = chatId ? state.timelines.get(chatId) : undefined;
    const newest = t?.newest;
    if (!chatId || !t?.hasNext || !newest || loading.loadingOlder) return;
    loading.loadingOlder = true;
    try {
      const page = await rest.newerMessages(chatId, newest.id, AROUND_PAGE);
      t.upsert(page.messages);
      t.hasNext = page.has_next;
    } catch {
      // offline or left the chat: the button stays, to be pressed again
    } finally {
      loading.loadingOlder = false;
    }
    if (state.current === chatId) this.d.render('none');
  }

  private historyOf(chatId: string): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, HISTORY_WAIT_MS);
      const list = this.waiting.get(chatId) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.waiting.set(chatId, list);
    });
  }

  /**
   * The page around the message. Without its seq (a quote names only the id) the message after
   * it is asked for first: the page centred on that one has the original just before its middle.
   */
  private async pageWith(chatId: string, messageId: string, seq: number | undefined): Promise<HistoryPage | null> {
    const { rest } = this.d;
    try {
      let around = seq;
      if (around === undefined) {
        const next = await rest.newerMessages(chatId, messageId, 1);
        const after = next.messages[0];
        if (!after) return await rest.history(chatId, AROUND_PAGE);
        around = after.seq;
      }
      return await rest.aroundMessages(chatId, around, AROUND_PAGE);
    } catch {
      return null; // deleted meanwhile (404), or we left the chat
    }
  }

  /** Puts the page in the timeline: joined to what is held when they meet, else instead of it. */
  private async hold(t: ChatTimeline, page: HistoryPage): Promise<void> {
    const messages = [...page.messages];
    let hasNext = page.has_next;
    const heldFirst = t.oldest?.seq;
    const heldLast = t.newest?.seq;
    if (heldFirst === undefined || heldLast === undefined) {
      t.replaceAll(messages);
      t.hasPrevious = page.has_previous;
      t.hasNext = hasNext;
      return;
    }
    for (let i = 0; i < JOIN_PAGES && hasNext && messages.at(-1)!.seq < heldFirst; i++) {
      const more = await this.d.rest.newerMessages(t.chatId, messages.at(-1)!.id, NEWER_PAGE).catch(() => null);
      if (!more?.messages.length) break;
      messages.push(...more.messages);
      hasNext = more.has_next;
    }
    const first = messages[0]!.seq;
    const last = messages.at(-1)!.seq;
    const meets = (first <= heldLast && last >= heldFirst) || (!hasNext && !t.hasNext);
    if (!meets) {
      t.replaceAll(messages);
      t.hasPrevious = page.has_previous;
      t.hasNext = hasNext;
      return;
    }
    t.upsert(messages);
    if (first < heldFirst) t.hasPrevious = page.has_previous;
    if (last > heldLast && !hasNext) t.hasNext = false;
  }
}
