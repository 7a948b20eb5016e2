import { AttachmentTray } from '../attachments.js';
import { h } from '../dom.js';
import type { MessengerState } from '../state/messenger-state.js';
import type { MessengerActions } from './actions.js';

export const EDITING_NOTE = 'Editing a message. Enter saves, Escape cancels.';

/**
 * The message box: Enter sends (Shift+Enter is a new line), ArrowUp in an empty box edits your
 * last message, Escape cancels an edit. While `state.editing` is set, Enter saves the edit.
 */
export function composer(state: MessengerState, actions: MessengerActions): HTMLFormElement {
  const input = h('textarea', { attrs: { rows: '1', placeholder: 'Message', 'aria-label': 'Message', maxlength: '4096' } });
  const editNote = h('div', { class: 'edit-note', attrs: { hidden: true, 'aria-live': 'polite' } });
  const sendButton = h('button', { class: 'primary', attrs: { type: 'submit' } }, 'Send');
  // Nothing is sent while a file is still going up (or failed): the button says so.
  const tray = new AttachmentTray(actions.rest, () => {
    sendButton.disabled = !tray.empty && !tray.ready;
  });
  const picker = h('input', { attrs: { type: 'file', multiple: true, hidden: true, 'aria-label': 'Attach files' } });
  picker.addEventListener('change', () => {
    if (picker.files) tray.add([...picker.files]);
    picker.value = '';
  });
  const attach = h(
    'button',
    { class: 'attach', attrs: { type: 'button', 'aria-label': 'Attach', title: 'Attach files' }, on: { click: () => picker.click() } },
    '📎',
  );
  input.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (files.length) {
      e.preventDefault();
      tray.add(files);
    }
  });
  const submit = () => {
    const text = input.value;
    if (!state.editing && !tray.empty) {
      if (!tray.ready) return;
      actions.send(text, tray.ids());
      tray.clear();
      input.value = '';
      return;
    }
    if (!text.trim()) return;
    if (state.editing) actions.saveEdit(state.editing, text.trim());
    else actions.send(text);
    input.value = '';
  };
  input.addEventListener('input', () => actions.composerInput());
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && state.editing) {
      actions.cancelEdit();
    } else if (e.key === 'Escape' && state.replyingTo) {
      actions.cancelReply();
    } else if (e.key === 'ArrowUp' && !input.value && state.current) {
      const own = state.timelines
        .get(state.current)
        ?.messages.filter((m) => m.sender_id === state.me.id)
        .at(-1);
      if (own) {
        e.preventDefault();
        actions.startEdit(own);
      }
    }
  });
  const form = h(
    'form',
    {
      class: 'composer',
      on: {
        submit: (e) => {
          e.preventDefault();
          submit();
        },
        dragover: (e) => e.preventDefault(),
        drop: (e) => {
          e.preventDefault();
          if (e.dataTransfer?.files.length) tray.add([...e.dataTransfer.files]);
        },
      },
    },
    editNote,
    tray.element,
    attach,
    picker,
    input,
    sendButton,
  );
  tray.element.hidden = true;
  return form;
}

/** Shows the edit state in the composer of `pane`: the text to edit, or empty again. */
export function showEditing(pane: HTMLElement, editing: { text: string } | null, fillText: boolean): void {
  const input = pane.querySelector<HTMLTextAreaElement>('.composer textarea');
  const note = pane.querySelector<HTMLElement>('.edit-note');
  if (!input || !note) return;
  note.hidden = !editing;
  note.textContent = editing ? EDITING_NOTE : '';
  if (fillText) {
    input.value = editing?.text ?? '';
    input.focus();
  }
}
