import { authView } from './auth/auth-view.js';
import { sessionStore } from './auth/session-store.js';
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

  const showLogin = () => {
    messenger?.stop();
    messenger = null;
    sessionStore.clear();
    rest.setToken(null);
    replaceChildren(root, authView(rest, start));
    root.querySelector<HTMLInputElement>('input')?.focus();
  };
  function start(session: Session): void {
    sessionStore.save(session);
    rest.setToken(session.token);
    rest.onUnauthorized = showLogin;
    messenger = new Messenger(rest, session, wsUrl, showLogin);
    replaceChildren(root, messenger.element);
    messenger.start();
  }

  const session = sessionStore.load();
  if (session) start(session);
  else showLogin();
}

void boot();
