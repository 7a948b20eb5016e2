import { passwordChangeProblem, PASSWORD_MAX } from '../auth/password-rules.js';
import { h } from '../dom.js';
import type { AccountApi } from '../net/account-api.js';
import { errorText } from '../net/error-text.js';

/** A labelled password field (the label is the visible text and the accessible name). */
export function passwordField(label: string, autocomplete: string, name: string): { row: HTMLElement; input: HTMLInputElement } {
  const input = h('input', { attrs: { type: 'password', name, autocomplete, maxlength: String(PASSWORD_MAX), required: true } });
  return { row: h('label', { class: 'field' }, h('span', {}, label), input), input };
}

/**
 * "Change password": current, new and confirmation, checked here by the server's rules first;
 * the server's refusals are worded by their codes (`errorText`). On success every other session
 * has ended: `changed` lists the sessions again.
 */
export function passwordForm(api: AccountApi, changed: () => void): HTMLElement {
  const current = passwordField('Current password', 'current-password', 'old_password');
  const next = passwordField('New password', 'new-password', 'new_password');
  const confirm = passwordField('Repeat the new password', 'new-password', 'confirm_password');
  const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
  const status = h('p', { class: 'muted account-status', attrs: { role: 'status' } });
  const submit = h('button', { class: 'primary', attrs: { type: 'submit' } }, 'Change password');
  const form = h(
    'form',
    {
      class: 'account-form',
      attrs: { 'aria-labelledby': 'account-password' },
      on: {
        submit: (event) => {
          event.preventDefault();
          error.textContent = '';
          status.textContent = '';
          const problem = passwordChangeProblem(current.input.value, next.input.value, confirm.input.value);
          if (problem) {
            error.textContent = problem;
            return;
          }
          submit.disabled = true;
          void (async () => {
            try {
              const { ended_sessions: n } = await api.changePassword(current.input.value, next.input.value);
              form.reset();
              status.textContent = `Password changed.${n ? ` Logged out on ${n} other device${n === 1 ? '' : 's'}.` : ''}`;
              changed();
            } catch (err) {
              error.textContent = errorText(err);
            } finally {
              submit.disabled = false;
            }
          })();
        },
      },
    },
    h('h4', { attrs: { id: 'account-password' } }, 'Change password'),
    current.row,
    next.row,
    confirm.row,
    error,
    status,
    h('div', { class: 'row' }, submit),
  );
  return h('section', { class: 'account-section' }, form);
}
