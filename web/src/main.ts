import { authView } from './auth/auth-view.js';
import { SESSION_ENDED_NOTICE } from './auth/session-notices.js';
import { sessionStore } from './auth/session-store.js';
import { TokenRefresher } from './auth/token-refresher.js';
import { replaceChildren } from './dom.js';
import { Messenger } from './messenger/messenger.js';
import { RestClient, type Session } from './net/rest-client.js';

/** Where the gateway is: `/config.json` from the api (WEB_WS_URL), else `/ws` on this host. */
async function gatewayUrl(): Promise<string> {
  try {
    const res = await fetch('/config.json');
    const config = (await res.json()) as { ws_url?: unknown };
    if (typeof config.ws_url === 'string' && config.ws_url) return config.ws_url;
  } catch {
    // no config: same origin
  }
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

/** Boot: the login screen, or the messenger for the session this tab already has. */
async function boot(): Promise<void> {
  const root = document.getElementById('app')!;
  const wsUrl = await gatewayUrl();
  const rest = new RestClient(null);
  let messenger: Messenger | null = null;
  let refresher: TokenRefresher | null = null;

  // `notice`: why the session ended, when it was not this tab's "Log out".
  const showLogin = (notice?: string) => {
    messenger?.stop();
    messenger = null;
    refresher?.stop();
    refresher = null;
    sessionStore.clear();
    rest.setToken(null);
    rest.refreshToken = null;
    replaceChildren(root, authView(rest, start, notice));
    root.querySelector<HTMLInputElement>('input')?.focus();
  };
  function start(fresh: Session): void {
    // A session straight from login gets its expiry stamped; one from sessionStorage has it.
    const session = fresh.expires_at || !fresh.expires_in ? fresh : { ...fresh, expires_at: Date.now() + fresh.expires_in * 1000 };
    sessionStore.save(session);
    rest.setToken(session.token);
    const ended = () => showLogin(SESSION_ENDED_NOTICE);
    rest.onUnauthorized = ended;
    const tokens = new TokenRefresher(rest, session, (next) => sessionStore.save(next), ended);
    refresher = tokens;
    rest.refreshToken = () => tokens.refresh();
    tokens.start();
    messenger = new Messenger(rest, session, wsUrl, showLogin, tokens);
    replaceChildren(root, messenger.element);
    messenger.start();
  }

  const session = sessionStore.load();
  if (session) start(session);
  else showLogin();
}

void boot();
