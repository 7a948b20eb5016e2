import type { Session } from '../net/rest-client.js';

const SESSION_KEY = 'neonchat.session';

/**
 * The signed-in session of this tab. The token lives in `sessionStorage` (this tab only, gone
 * when it closes), never in `localStorage` or a cookie a script elsewhere could read.
 */
export const sessionStore = {
  load(): Session | null {
    try {
      const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
      return s && typeof s.token === 'string' && typeof s.user?.id === 'string' ? s : null;
    } catch {
      return null;
    }
  },
  save(session: Session): void {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  },
  clear(): void {
    sessionStorage.removeItem(SESSION_KEY);
  },
};
