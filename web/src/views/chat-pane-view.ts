import { h, replaceChildren } from '../dom.js';
import type { MessengerState } from '../state/messenger-state.js';
import type { MessengerActions } from './actions.js';
import { PRESENCE_TEXT } from './avatar.js';
import { chatMenu, directChatNotice } from './block-menu.js';
import { composer, showEditing } from './composer.js';
import { attachMentionAutocomplete } from './mention-autocomplete.js';
import { replyBar } from './reply-bar.js';
import { renderMessageList, type ScrollIntent } from './message-list-view.js';

/** The right-hand pane: the open chat's header (title, presence or typing), messages, composer. */
export class ChatPaneView {
  readonly element = h('main', { class: 'chat-pane' });
  /** The chat the pane was last drawn for. */
  private drawnFor: string | null = null;
  loadingOlder = false;

  constructor(
    private readonly state: MessengerState,
    private readonly actions: MessengerActions,
    private readonly connected: () => boolean,
  ) {}

  /** Draws the whole pane. Drawing the same chat again (its details came in, a role changed) keeps what is being typed. */
  render(): void {
    const chatId = this.state.current;
    const oldBox = this.element.querySelector<HTMLTextAreaElement>('.composer textarea');
    const draft =
      chatId !== null && chatId === this.drawnFor && oldBox ? { text: oldBox.value, focused: document.activeElement === oldBox } : null;
    this.drawnFor = chatId;
    if (!chatId) {
      replaceChildren(
        this.element,
        h(
          'div',
          { class: 'empty-pane' },
          h('p', { class: 'logo' }, 'NeonChat'),
          h('p', { class: 'muted' }, 'Pick a chat, or find someone to talk to.'),
        ),
      );
      return;
    }
    const d = this.state.details.get(chatId);
    const type = d?.type ?? this.state.chat(chatId)?.type;
    const readOnly = type === 'channel' && d?.my_role !== 'admin';
    const list = h('ol', { class: 'messages', attrs: { 'aria-label': 'Messages', tabindex: '0' } });
    const form = readOnly || (!d && type === 'channel') ? null : composer(this.state, this.actions);
    if (form) this.withMentions(form);
    list.addEventListener('scroll', () => {
      // A list replaced by a redraw still gets the scroll event queued before it; detached, its
      // scrollTop reads 0, which is not the reader scrolling to the top.
      if (!list.isConnected) return;
      if (list.scrollTop < 80) this.actions.loadOlder();
      else if (list.scrollHeight - list.scrollTop - list.clientHeight < 80) this.actions.loadNewer();
    });
    replaceChildren(
      this.element,
      h(
        'header',
        { class: 'chat-header' },
        h(
          'button',
          { class: 'ghost back', attrs: { type: 'button', 'aria-label': 'Back to chats' }, on: { click: () => this.actions.backToList() } },
          '←',
        ),
        h(
          'div',
          { class: 'chat-header-text' },
          h('h2', {}, this.state.chatTitle(chatId)),
          h('div', { class: 'subtitle', attrs: { 'aria-live': 'polite' } }),
        ),
        type && type !== 'direct'
          ? h('button', { class: 'ghost', attrs: { type: 'button' }, on: { click: () => this.actions.showMembers(chatId) } }, 'Members')
          : null,
        type === 'direct' ? chatMenu(this.state, this.actions, chatId) : null,
      ),
      list,
      type === 'direct' ? directChatNotice(this.state, this.actions, chatId) : null,
      form ? h('div', { class: 'reply-slot', attrs: { 'aria-live': 'polite' } }) : null,
      readOnly ? h('p', { class: 'read-only' }, 'Only admins can post in this channel.') : form,
    );
    this.renderReply(false);
    this.renderHeader();
    this.renderMessages(this.state.unreadAtOpen > 0 ? 'divider' : 'bottom');
    const box = this.element.querySelector<HTMLTextAreaElement>('.composer textarea');
    if (box && draft) {
      box.value = draft.text;
      if (draft.focused) box.focus();
      showEditing(this.element, this.state.editing, false);
    } else {
      this.state.editing = null;
    }
  }

  renderHeader(): void {
    const chatId = this.state.current;
    const subtitle = this.element.querySelector('.subtitle');
    if (!chatId || !subtitle) return;
    const d = this.state.details.get(chatId);
    const names = this.state.memberNames(chatId);
    const typers = this.state.typing.typers(chatId).map((id) => names.get(id) ?? 'Someone');
    const partner = this.state.partnerOf(chatId);
    const status = partner ? this.state.presence.of(partner.id) : undefined;
    subtitle.classList.toggle('typing', typers.length > 0);
    if (typers.length) subtitle.textContent = `${typers.join(', ')} ${typers.length > 1 ? 'are' : 'is'} typing…`;
    else if (status) subtitle.textContent = PRESENCE_TEXT[status];
    else if (d)
      subtitle.textContent = `${d.type === 'channel' ? 'channel' : 'group'} · ${d.members.length} member${d.members.length === 1 ? '' : 's'}`;
    else subtitle.textContent = '';
    if (status) subtitle.setAttribute('data-presence', status);
  }

  renderMessages(scroll: ScrollIntent = 'none'): void {
    const chatId = this.state.current;
    const list = this.element.querySelector<HTMLOListElement>('.messages');
    if (!chatId || !list) return;
    const ctx = { state: this.state, actions: this.actions, connected: this.connected(), loadingOlder: this.loadingOlder };
    renderMessageList(list, this.state.timeline(chatId), ctx, scroll);
  }

  /** `state.replyingTo` changed: the reply bar above the composer (and the focus in the box to write the answer). */
  renderReply(focus: boolean): void {
    const slot = this.element.querySelector<HTMLElement>('.reply-slot');
    if (!slot) return;
    replaceChildren(slot, replyBar(this.state, this.actions));
    if (focus) this.element.querySelector<HTMLTextAreaElement>('.composer textarea')?.focus();
  }

  private withMentions(form: HTMLFormElement): void {
    const box = form.querySelector('textarea');
    const chatId = this.state.current;
    if (box && chatId) attachMentionAutocomplete(form, box, () => this.state.details.get(chatId)?.members ?? [], this.state.me.id);
  }

  /** `state.editing` changed: fill the composer with its text (or empty it). */
  renderEditing(): void {
    showEditing(this.element, this.state.editing, true);
  }
}
