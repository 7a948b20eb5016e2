import { h } from '../dom.js';
import { errorText } from '../net/error-text.js';
import { openDialog } from './dialog-frame.js';

/** "New group or channel": a name, then one of two buttons. */
export function showCreateChatDialog(dialog: HTMLDialogElement, create: (type: 'group' | 'channel', name: string) => Promise<void>): void {
  const name = h('input', { attrs: { 'aria-label': 'Name', placeholder: 'Name', maxlength: '100' } });
  const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
  const submit = (type: 'group' | 'channel') =>
    void (async () => {
      if (!name.value.trim()) return void (error.textContent = 'Give it a name.');
      try {
        await create(type, name.value.trim());
      } catch (err) {
        error.textContent = errorText(err);
      }
    })();
  openDialog(
    dialog,
    'New group or channel',
    h('p', { class: 'muted' }, 'In a channel only admins post; everyone else reads.'),
    name,
    error,
    h(
      'div',
      { class: 'row' },
      h('button', { class: 'primary', attrs: { type: 'button' }, on: { click: () => submit('group') } }, 'Create group'),
      h('button', { class: 'primary', attrs: { type: 'button' }, on: { click: () => submit('channel') } }, 'Create channel'),
    ),
  );
  name.focus();
}
