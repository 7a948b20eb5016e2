import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What `/metrics` serves: a prom-client Registry, or the aggregate of a service's workers. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface OpsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: MetricsSource;
  /** True when the service's dependencies answer. */
  readonly isReady: () => boolean | Promise<boolean>;
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `/healthz` (the process is alive), `/readyz` (its dependencies answer) and `/metrics`, for
 * services whose main work is not HTTP. Kept off the data path on a port of its own.
 */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const respond = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (path === '/healthz') return respond(200, '{"status":"ok"}');
    if (path === '/readyz') {
      Promise.resolve(opts.isReady())
        .then((ready) => respond(ready ? 200 : 503, JSON.stringify({ status: ready ? 'ready' : 'not_ready' })))
        .catch(() => respond(503, '{"status":"not_ready"}'));
      return;
    }
    if (path === '/metrics') {
      opts.metrics
        .metrics()
        .then((text) => respond(200, text, opts.metrics.contentType))
        .catch(() => respond(500, '{"error":{"code":"internal","message":"metrics failed"}}'));
      return;
    }
    respond(404, '{"error":{"code":"not_found","message":"no such path"}}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
