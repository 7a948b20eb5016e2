import { h } from '../dom.js';
import { errorText } from '../net/error-text.js';
import type { RestClient, Session } from '../net/rest-client.js';

/**
 * The login / register screen; resolves `onSession` with a token once either works. `notice`:
 * why the last session ended when this tab did not end it (read out as the screen appears).
 */
export function authView(rest: RestClient, onSession: (session: Session) => void, notice?: string): HTMLElement {
  let mode: 'login' | 'register' = 'login';
  const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
  const ended = notice ? h('p', { class: 'auth-notice', attrs: { role: 'alert', 'data-notice': 'session-ended' } }, notice) : null;
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
          ended?.remove();
          void (async () => {
            try {
              // Registering opens a session already: a login after it would leave a second, unused one in the sessions list.
              const made =
                mode === 'register' ? await rest.register(login.value.trim(), password.value, phone.value.trim() || undefined) : null;
              onSession(
                made?.token ? registeredSession({ ...made, token: made.token }) : await rest.login(login.value.trim(), password.value),
              );
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
    ended,
    h('div', { class: 'tabs', attrs: { role: 'tablist' } }, ...tabs),
    h('label', { class: 'field' }, loginLabel, login),
    phoneRow,
    h('label', { class: 'field' }, h('span', {}, 'Password'), password),
    error,
    submit,
  );
  return h('div', { class: 'auth' }, form);
}

/** The session a registration answer opened (as a login answer gives it). */
function registeredSession(made: { id: string; username: string; token: string; refresh_token?: string; expires_in?: number }): Session {
  return {
    token: made.token,
    user: { id: made.id, username: made.username },
    ...(made.refresh_token ? { refresh_token: made.refresh_token } : {}),
    ...(made.expires_in ? { expires_in: made.expires_in } : {}),
  };
}
