import { deletionProblem } from '../auth/password-rules.js';
import { h } from '../dom.js';
import { errorText } from '../net/error-text.js';
import { passwordField } from './password-form.js';

/**
 * "Delete account": nothing goes to the server until the username is typed exactly and the
 * password (which the server requires) is given. What deletion keeps and what it erases is said
 * before the button.
 */
export function deleteAccountForm(username: string, deleteAccount: (password: string) => Promise<void>): HTMLElement {
  const typed = h('input', { attrs: { name: 'confirm_username', autocomplete: 'off', spellcheck: 'false', maxlength: '50' } });
  const password = passwordField('Password', 'current-password', 'password');
  const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
  const submit = h('button', { class: 'danger', attrs: { type: 'submit' } }, 'Delete my account');
  const form = h(
    'form',
    {
      class: 'account-form',
      attrs: { 'aria-labelledby': 'account-delete' },
      on: {
        submit: (event) => {
          event.preventDefault();
          const problem = deletionProblem(username, typed.value, password.input.value);
          error.textContent = problem ?? '';
          if (problem) return;
          submit.disabled = true;
          void deleteAccount(password.input.value)
            .catch((err: unknown) => {
              error.textContent = errorText(err);
            })
            .finally(() => {
              submit.disabled = false;
            });
        },
      },
    },
    h('h4', { attrs: { id: 'account-delete' } }, 'Delete account'),
    h(
      'p',
      { class: 'muted', attrs: { id: 'account-delete-what' } },
      'This cannot be undone. You are logged out everywhere, your name becomes free and your phone number and password are erased. ' +
        'Your messages stay in the chats, shown as “Deleted account”.',
    ),
    h('label', { class: 'field' }, h('span', {}, `Type your username (${username}) to confirm`), typed),
    password.row,
    error,
    h('div', { class: 'row' }, submit),
  );
  submit.setAttribute('aria-describedby', 'account-delete-what');
  return h('section', { class: 'account-section danger-zone' }, form);
}
