import { h, replaceChildren, type Child } from '../dom.js';

/** Fills the page's one modal `<dialog>` and shows it; Close (and Escape) close it. */
export function openDialog(dialog: HTMLDialogElement, title: string, ...children: Child[]): void {
  const heading = h('h3', { attrs: { id: 'dialog-title' } }, title);
  delete dialog.dataset.chatId;
  dialog.setAttribute('aria-labelledby', 'dialog-title');
  replaceChildren(
    dialog,
    h(
      'form',
      { attrs: { method: 'dialog' }, class: 'dialog-body' },
      heading,
      ...children,
      h('div', { class: 'dialog-actions' }, h('button', { class: 'ghost', attrs: { type: 'submit', value: 'close' } }, 'Close')),
    ),
  );
  if (!dialog.open) dialog.showModal();
}
