import type { JetStreamManager } from '@nats-io/jetstream';
import { Gauge, type Registry } from 'prom-client';
import { STREAMS } from '@neonchat/common/contracts';
import type { Logger } from '@neonchat/common/runtime';

/** How often the stream's size is read (a stream info is cheap; its figures move slowly). */
export const STREAM_USAGE_INTERVAL_MS = 15_000;

/**
 * The chat event stream's size against its limit, and how far back it reaches, for the
 * JetStreamStreamNearLimit alert and the replay window after a PostgreSQL restore (a restore
 * can only replay what the stream still holds): `neonchat_jetstream_stream_bytes`,
 * `_max_bytes` (-1 when unlimited), `_messages`, `_first_timestamp_seconds`. Every replica
 * reports the same figures.
 */
export function watchStreamUsage(registry: Registry, jsm: JetStreamManager, logger: Logger): { stop(): void } {
  const labelNames = ['stream'] as const;
  const bytes = new Gauge({ name: 'neonchat_jetstream_stream_bytes', help: 'Bytes the stream stores', labelNames, registers: [registry] });
  const maxBytes = new Gauge({
    name: 'neonchat_jetstream_stream_max_bytes',
    help: "The stream's byte limit (-1: none); at it the oldest events go",
    labelNames,
    registers: [registry],
  });
  const messages = new Gauge({
    name: 'neonchat_jetstream_stream_messages',
    help: 'Events the stream stores',
    labelNames,
    registers: [registry],
  });
  const first = new Gauge({
    name: 'neonchat_jetstream_stream_first_timestamp_seconds',
    help: "Time of the stream's oldest event (Unix seconds): how far back a replay can go",
    labelNames,
    registers: [registry],
  });
  const refresh = async (): Promise<void> => {
    try {
      const info = await jsm.streams.info(STREAMS.chatEvents);
      const stream = { stream: STREAMS.chatEvents };
      bytes.set(stream, info.state.bytes);
      maxBytes.set(stream, info.config.max_bytes);
      messages.set(stream, info.state.messages);
      const firstTs = Date.parse(info.state.first_ts);
      if (Number.isFinite(firstTs) && info.state.messages > 0) first.set(stream, firstTs / 1000);
    } catch (err) {
      logger.debug({ err }, 'stream info unavailable');
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), STREAM_USAGE_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
