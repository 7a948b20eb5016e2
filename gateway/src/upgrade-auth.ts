import { bearerToken } from '@neonchat/common/runtime';

/** How a client may pass its token in `Sec-WebSocket-Protocol` (browsers can't set headers). */
const SUBPROTOCOL_PREFIX = 'bearer.';
const SUBPROTOCOL_MARKER = 'bearer';

export interface UpgradeCredentials {
  readonly token: string | undefined;
  /** The subprotocol to answer with ('' for none): browsers fail the socket unless one offered is echoed. */
  readonly protocol: string;
}

/**
 * The token of an upgrade request, from `?token=`, `Authorization: Bearer`, or the
 * subprotocol list: either `bearer.<token>` or the pair `bearer, <token>`. The protocol echoed
 * back is never the one carrying the token when the client offered another.
 */
export function upgradeCredentials(query: URLSearchParams, authorization: string, secProtocol: string): UpgradeCredentials {
  const offered = secProtocol
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const fromQuery = query.get('token') || undefined;
  const fromHeader = bearerToken(authorization);
  let fromProtocol: string | undefined;
  let carrier: string | undefined;
  for (let i = 0; i < offered.length && !fromProtocol; i++) {
    const p = offered[i] ?? '';
    if (p.startsWith(SUBPROTOCOL_PREFIX) && p.length > SUBPROTOCOL_PREFIX.length) {
      fromProtocol = p.slice(SUBPROTOCOL_PREFIX.length);
      carrier = p;
    } else if (p === SUBPROTOCOL_MARKER && offered[i + 1]) {
      fromProtocol = offered[i + 1];
      carrier = offered[i + 1];
    }
  }
  const plain = offered.find((p) => p !== carrier && !p.startsWith(SUBPROTOCOL_PREFIX));
  return { token: fromQuery ?? fromHeader ?? fromProtocol, protocol: plain ?? carrier ?? '' };
}
