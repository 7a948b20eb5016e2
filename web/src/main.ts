import { authView } from './auth-view.js';
import { replaceChildren } from './dom.js';
import { Messenger } from './messenger.js';
import { RestClient, type Session } from './rest-client.js';

const SESSION_KEY = 'neonchat.session';

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

function storedSession(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    return s && typeof s.token === 'string' && typeof s.user?.id === 'string' ? s : null;
  } catch {
    return null;
  }
}

async function boot(): Promise<void> {
  const root = document.getElementById('app')!;
  const wsUrl = await gatewayUrl();
  const rest = new RestClient(null);
  let messenger: Messenger | null = null;

  const showLogin = () => {
    messenger?.stop();
    messenger = null;
    sessionStorage.removeItem(SESSION_KEY);
    rest.setToken(null);
    replaceChildren(root, authView(rest, start));
    root.querySelector<HTMLInputElement>('input')?.focus();
  };
  function start(session: Session): void {
    // The token lives for the tab's session only, never in localStorage.
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    rest.setToken(session.token);
    rest.onUnauthorized = showLogin;
    messenger = new Messenger(rest, session, wsUrl, showLogin);
    replaceChildren(root, messenger.element);
    messenger.start();
  }

  const session = storedSession();
  if (session) start(session);
  else showLogin();
}

void boot();
