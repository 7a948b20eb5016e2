import { h, replaceChildren } from '../dom.js';
import type { AccountApi } from '../net/account-api.js';
import { blockedSection } from './blocked-list.js';
import { deleteAccountForm } from './delete-account-form.js';
import { passwordForm } from './password-form.js';
import { sessionsSection } from './sessions-list.js';

export interface AccountDialogDeps {
  dialog: HTMLDialogElement;
  api: AccountApi;
  username: string;
  setBlocked(user: { id: string; username: string }, blocked: boolean): Promise<void>;
  deleteAccount(password: string): Promise<void>;
}

/**
 * "Account" (issue 27), in the page's one modal dialog: where I am logged in, password change,
 * the people I blocked, account deletion. Each part is a form or list of its own (no form inside
 * another), so Enter in a field submits that part only; Escape and Close close it.
 */
export function showAccountDialog(deps: AccountDialogDeps): void {
  const { dialog, api } = deps;
  const sessions = sessionsSection(api);
  const blocked = blockedSection(api, deps.setBlocked);
  delete dialog.dataset.chatId;
  dialog.setAttribute('aria-labelledby', 'account-title');
  replaceChildren(
    dialog,
    h(
      'div',
      { class: 'dialog-body account' },
      // The heading takes the focus on opening: the first button would be "Log out everywhere else".
      h('h3', { attrs: { id: 'account-title', tabindex: '-1', autofocus: true } }, `Account · ${deps.username}`),
      sessions.element,
      passwordForm(api, () => void sessions.reload()),
      blocked.element,
      deleteAccountForm(deps.username, deps.deleteAccount),
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { class: 'ghost', attrs: { type: 'button' }, on: { click: () => dialog.close() } }, 'Close'),
      ),
    ),
  );
  if (!dialog.open) dialog.showModal();
  void sessions.reload();
  void blocked.reload();
}
