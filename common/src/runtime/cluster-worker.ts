import type { Registry } from 'prom-client';
import { isPrimaryMessage, type WorkerMessage } from './cluster-messages.js';
import type { Shutdown } from './shutdown.js';

/** How often a worker looks at its own readiness; a change is reported at once. */
const STATE_POLL_MS = 1000;

export interface ClusterWorkerOptions {
  readonly registry: Registry | undefined;
  readonly isReady: () => boolean;
  readonly shutdown: Shutdown;
  /** The IPC channel to the primary (`process` in a cluster worker). */
  readonly channel?: Pick<NodeJS.Process, 'send' | 'on' | 'channel'>;
}

/**
 * A service running as one worker of a cluster (`runServiceCluster`): its primary serves the ops
 * port, so the worker answers the primary's metric requests, reports its readiness, and drains
 * when told to. Called once the worker serves; its shutdown stops the reports.
 */
export function joinCluster(options: ClusterWorkerOptions): void {
  const channel = options.channel ?? process;
  const send = (message: WorkerMessage) => {
    if (channel.channel) channel.send?.(message);
  };
  // The channel must not keep a drained worker alive: it exits when its own work is done.
  channel.channel?.unref();
  let reported: boolean | undefined;
  const report = () => {
    const ready = options.isReady();
    if (ready === reported) return;
    reported = ready;
    send({ type: 'neonchat:state', ready });
  };
  report();
  const timer = setInterval(report, STATE_POLL_MS).unref();
  options.shutdown.add('cluster state', () => clearInterval(timer));
  channel.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    if (message.type === 'neonchat:shutdown') {
      void options.shutdown.run('asked by the primary');
      return;
    }
    const registry = options.registry;
    void (registry ? registry.getMetricsAsJSON() : Promise.resolve([]))
      .catch(() => [])
      .then((metrics) => send({ type: 'neonchat:metrics', id: message.id, metrics }));
  });
}
