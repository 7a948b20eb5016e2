import { h } from '../dom.js';
import type { ShownPresence } from '../state/presence-book.js';

/** A round initial with an optional presence dot (decorative: the name and status are text elsewhere). */
export function avatar(name: string, status?: ShownPresence): HTMLElement {
  let hue = 0;
  for (const ch of name) hue = (hue * 31 + ch.codePointAt(0)!) % 360;
  const el = h('span', { class: 'avatar', attrs: { 'aria-hidden': 'true' } }, [...name][0]?.toUpperCase() ?? '?');
  el.style.setProperty('--hue', String(hue));
  if (status) el.appendChild(h('span', { class: `dot ${status}`, attrs: { 'data-presence': status } }));
  return el;
}

export const PRESENCE_TEXT: Record<ShownPresence, string> = {
  online: 'online',
  away: 'away',
  offline: 'offline',
  unknown: 'waiting for connection…',
};
