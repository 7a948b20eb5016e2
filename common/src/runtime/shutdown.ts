import type { Logger } from './logger.js';

export type ShutdownStep = () => Promise<void> | void;

export interface Shutdown {
  /** Steps run in the order they were added. */
  add(name: string, step: ShutdownStep): void;
  run(reason: string): Promise<void>;
  /**
   * SIGTERM/SIGINT start the shutdown; a second signal exits at once. Only signals count: a
   * shutdown started otherwise (a cluster worker told by its primary) still drains on the first.
   */
  installSignalHandlers(): void;
  readonly started: boolean;
}

/**
 * Graceful shutdown in one order with a hard deadline: the deadline is armed first, so a step
 * that hangs can't keep the process alive past it.
 */
export function createShutdown(logger: Logger, deadlineMs: number, exit: (code: number) => void = process.exit): Shutdown {
  const steps: Array<{ name: string; step: ShutdownStep }> = [];
  let running: Promise<void> | undefined;
  const shutdown: Shutdown = {
    get started() {
      return running !== undefined;
    },
    add(name, step) {
      steps.push({ name, step });
    },
    run(reason) {
      if (running) return running;
      logger.info({ reason }, 'shutting down');
      const deadline = setTimeout(() => {
        logger.error({ deadlineMs }, 'shutdown deadline passed, exiting');
        exit(1);
      }, deadlineMs);
      deadline.unref();
      running = (async () => {
        let failed = false;
        for (const { name, step } of steps) {
          try {
            await step();
          } catch (err) {
            failed = true;
            logger.error({ err, step: name }, 'shutdown step failed');
          }
        }
        clearTimeout(deadline);
        logger.info({ failed }, 'shutdown complete');
        if (failed) process.exitCode = 1;
      })();
      return running;
    },
    installSignalHandlers() {
      let signals = 0;
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.on(signal, () => {
          if (++signals > 1) {
            logger.warn({ signal }, 'second signal, exiting now');
            exit(1);
          }
          void shutdown.run(signal);
        });
      }
    },
  };
  return shutdown;
}
