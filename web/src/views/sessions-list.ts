import { h, replaceChildren } from '../dom.js';
import type { AccountApi, SessionInfo } from '../net/account-api.js';
import { errorText } from '../net/error-text.js';
import { deviceName } from './device-name.js';

/** A server time as the reader's locale writes a date and time. */
export function dateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

export interface SessionsSection {
  readonly element: HTMLElement;
  /** Lists the sessions again (after a password change ended the others). */
  reload(): Promise<void>;
}

/** "Where you are logged in": my open sessions, this device marked, "End" on each other one, "Log out everywhere else". */
export function sessionsSection(api: AccountApi): SessionsSection {
  const list = h('ul', { class: 'sessions', attrs: { 'aria-labelledby': 'account-sessions' } });
  const status = h('p', { class: 'muted account-status', attrs: { role: 'status' } });
  const error = h('p', { class: 'form-error', attrs: { role: 'alert' } });
  const act = async (action: () => Promise<string>) => {
    error.textContent = '';
    status.textContent = '';
    try {
      status.textContent = await action();
    } catch (err) {
      error.textContent = errorText(err);
    }
    await reload();
  };
  const endOthers = h(
    'button',
    {
      class: 'ghost end-others',
      // Enabled once the list shows another session to end.
      attrs: { type: 'button', disabled: true },
      on: {
        click: () =>
          void act(async () => {
            const { ended_sessions: n } = await api.endOtherSessions();
            return `Logged out on ${n} other device${n === 1 ? '' : 's'}.`;
          }),
      },
    },
    'Log out everywhere else',
  );

  const row = (s: SessionInfo): HTMLElement => {
    const device = deviceName(s.user_agent);
    return h(
      'li',
      { class: 'session', attrs: { 'data-session-id': s.id, 'data-current': String(s.current), title: s.user_agent } },
      h(
        'div',
        { class: 'session-main' },
        h('strong', {}, device),
        s.current ? h('span', { class: 'this-device' }, 'This device') : null,
        s.current
          ? null
          : h(
              'button',
              {
                class: 'link',
                attrs: { type: 'button', 'aria-label': `End session: ${device}, ${s.ip}, last used ${dateTime(s.last_used_at)}` },
                on: {
                  click: () =>
                    void act(async () => {
                      await api.endSession(s.id);
                      return `Logged out on ${device} (${s.ip}).`;
                    }),
                },
              },
              'End',
            ),
      ),
      h('div', { class: 'session-ua muted' }, s.user_agent || 'No user agent given'),
      h(
        'div',
        { class: 'session-meta muted' },
        `${s.ip} · logged in `,
        h('time', { attrs: { datetime: s.created_at } }, dateTime(s.created_at)),
        ' · last used ',
        h('time', { attrs: { datetime: s.last_used_at } }, dateTime(s.last_used_at)),
      ),
    );
  };

  async function reload(): Promise<void> {
    try {
      const { sessions } = await api.sessions();
      replaceChildren(list, ...sessions.map(row));
      endOthers.disabled = !sessions.some((s) => !s.current);
    } catch (err) {
      error.textContent = errorText(err);
    }
  }

  const element = h(
    'section',
    { class: 'account-section', attrs: { 'aria-labelledby': 'account-sessions' } },
    h('h4', { attrs: { id: 'account-sessions' } }, 'Where you are logged in'),
    list,
    h('div', { class: 'row' }, endOthers),
    status,
    error,
  );
  return { element, reload };
}
