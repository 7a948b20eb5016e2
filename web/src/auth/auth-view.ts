import { h } from '../dom.js';
import { errorText } from '../net/error-text.js';
import type { RestClient, Session } from '../net/rest-client.js';

/** The login / register screen; resolves `onSession` with a token once either works. */
export function authView(rest: RestClient, onSession: (session: Session) => void): HTMLElement {
  let mode: 'login' | 'register' = 'login';
  const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
  const login = h('input', { attrs: { name: 'login', autocomplete: 'username', required: true, 'aria-label': 'Username or phone' } });
  const phone = h('input', {
    attrs: { name: 'phone', type: 'tel', autocomplete: 'tel', placeholder: '+4915112345678 (optional)', 'aria-label': 'Phone' },
  });
  const password = h('input', {
    attrs: { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'aria-label': 'Password' },
  });
  const submit = h('button', { class: 'primary', attrs: { type: 'submit' } }, 'Log in');
  const phoneRow = h('label', { class: 'field', attrs: { hidden: true } }, h('span', {}, 'Phone'), phone);
  const loginLabel = h('span', {}, 'Username or phone');
  const tabs = (['login', 'register'] as const).map((m) =>
    h(
      'button',
      {
        class: 'tab',
        attrs: { type: 'button', role: 'tab', 'aria-selected': m === mode ? 'true' : 'false' },
        on: { click: () => setMode(m) },
      },
      m === 'login' ? 'Log in' : 'Register',
    ),
  );

  function setMode(next: 'login' | 'register'): void {
    mode = next;
    tabs.forEach((t, i) => t.setAttribute('aria-selected', String((i === 0) === (mode === 'login'))));
    phoneRow.hidden = mode === 'login';
    loginLabel.textContent = mode === 'login' ? 'Username or phone' : 'Username';
    login.setAttribute('aria-label', loginLabel.textContent);
    password.autocomplete = mode === 'login' ? 'current-password' : 'new-password';
    submit.textContent = mode === 'login' ? 'Log in' : 'Create account';
    error.textContent = '';
  }

  const form = h(
    'form',
    {
      class: 'auth-card',
      on: {
        submit: (event) => {
          event.preventDefault();
          submit.disabled = true;
          error.textContent = '';
          void (async () => {
            try {
              if (mode === 'register') await rest.register(login.value.trim(), password.value, phone.value.trim() || undefined);
              onSession(await rest.login(login.value.trim(), password.value));
            } catch (err) {
              error.textContent = errorText(err, mode);
            } finally {
              submit.disabled = false;
            }
          })();
        },
      },
    },
    h('h1', { class: 'logo' }, 'NeonChat'),
    h('div', { class: 'tabs', attrs: { role: 'tablist' } }, ...tabs),
    h('label', { class: 'field' }, loginLabel, login),
    phoneRow,
    h('label', { class: 'field' }, h('span', {}, 'Password'), password),
    error,
    submit,
  );
  return h('div', { class: 'auth' }, form);
}
