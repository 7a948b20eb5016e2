import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

export interface WebClientOptions {
  /** The built web client (web/dist); nothing is served when it has no index.html. */
  readonly dir: string;
  /** Where browsers open the WebSocket; empty: `/ws` on the page's own host (a proxy in front). */
  readonly wsUrl: string;
}

/**
 * The browser client at `/`: its files (one route per file found at start, so nothing catches
 * `/api/v1/*` or `/docs`) and `/config.json` telling it where the gateway is. The page runs under
 * a strict Content-Security-Policy: scripts and styles from here only, sockets to the gateway.
 */
export async function installWebClient(app: FastifyInstance, options: WebClientOptions): Promise<boolean> {
  if (!existsSync(join(options.dir, 'index.html'))) {
    app.log.warn({ dir: options.dir }, 'web client not built (no index.html): / serves nothing; run npm run build');
    return false;
  }
  const connect = ["'self'", 'ws:', 'wss:'].join(' ');
  const csp = `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connect}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;
  await app.register(fastifyStatic, {
    root: options.dir,
    prefix: '/',
    index: 'index.html',
    wildcard: false,
    decorateReply: false,
    globIgnore: ['types/**'],
    setHeaders: (reply) => {
      // index.html names app.js and style.css without a version: always revalidate.
      void reply.header('content-security-policy', csp).header('cache-control', 'no-cache');
    },
  });
  // Browsers and tools still ask for /favicon.ico whatever the page links: point them at the SVG.
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/favicon.svg', 301));
  app.get('/config.json', { schema: { hide: true } }, async (_request, reply) => {
    void reply.header('cache-control', 'no-cache');
    return { ws_url: options.wsUrl };
  });
  return true;
}
