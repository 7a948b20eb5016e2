import {
  CLOSE_CODES,
  clientFrameValidators,
  isClientFrameType,
  isNeonError,
  type ClientFrameType,
  type Validator,
} from '@neonchat/common/contracts';
import { type Logger } from '@neonchat/common/runtime';
import type { TSchema } from 'typebox';
import type { FrameHandlers } from './frame-handlers.js';
import type { GatewayMetrics } from './metrics.js';
import type { Outbound } from './outbound.js';
import type { Socket } from './socket-registry.js';

const decoder = new TextDecoder();

/**
 * Every client frame passes here: size, rate, JSON, type and schema checks in that order, then
 * the handler for its type. Each refusal is an `error` frame with a stable code and the socket
 * carries on; only persistent flooding closes it.
 */
export class FrameRouter {
  constructor(
    private readonly handlers: FrameHandlers,
    private readonly outbound: Outbound,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
    private readonly maxFrameBytes: number,
  ) {}

  /** `raw` is only valid during the uWS callback: it is decoded before anything async. */
  handle(ws: Socket, raw: ArrayBuffer): void {
    const state = ws.getUserData();
    if (!state.bucket.take()) {
      this.metrics.framesIn.inc({ type: 'rate_limited' });
      if (state.bucket.refusedTooOften()) {
        this.metrics.closes.inc({ reason: 'rate_limited' });
        ws.end(CLOSE_CODES.rateLimited, 'too many frames');
        return;
      }
      return this.outbound.error(ws, 'rate_limited', 'too many frames: slow down');
    }
    if (raw.byteLength > this.maxFrameBytes) {
      this.metrics.framesIn.inc({ type: 'oversize' });
      return this.outbound.error(ws, 'payload_too_large', `frame larger than ${this.maxFrameBytes} bytes`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(raw));
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      this.metrics.framesIn.inc({ type: 'malformed' });
      return this.outbound.error(ws, 'validation_failed', 'frame is not a JSON object');
    }
    const fields = parsed as { type?: unknown; request_id?: unknown };
    const requestId = typeof fields.request_id === 'string' && fields.request_id.length <= 128 ? fields.request_id : undefined;
    const type = fields.type;
    if (!isClientFrameType(type)) {
      this.metrics.framesIn.inc({ type: 'unknown' });
      return this.outbound.error(ws, 'unknown_type', `unknown frame type ${JSON.stringify(type)?.slice(0, 64)}`, requestId);
    }
    this.metrics.framesIn.inc({ type });
    this.dispatch(ws, type, parsed).catch((err: unknown) => this.fail(ws, type, err, requestId));
  }

  /** Runs a frame already known to be valid (e.g. the `chat_id` query parameter as an `open`). */
  run(ws: Socket, type: ClientFrameType, value: unknown, requestId?: string): void {
    this.dispatch(ws, type, value).catch((err: unknown) => this.fail(ws, type, err, requestId));
  }

  private async dispatch<K extends ClientFrameType>(ws: Socket, type: K, value: unknown): Promise<void> {
    // The map ties each type to its validator and handler; TypeScript can't follow K through both.
    const validator = clientFrameValidators[type] as unknown as Validator<TSchema>;
    const handler = this.handlers[type] as (ws: Socket, frame: unknown) => void | Promise<void>;
    await handler(ws, validator.parse(type === 'message' ? trimmedText(value) : value));
  }

  private fail(ws: Socket, type: string, err: unknown, requestId: string | undefined): void {
    if (isNeonError(err)) return this.outbound.error(ws, err.code, err.message, requestId);
    this.metrics.internalErrors.inc({ where: `frame_${type}` });
    this.logger.error({ err, type, connection_id: ws.getUserData().connectionId }, 'frame handling failed');
    this.outbound.error(ws, 'internal', 'internal error', requestId);
  }
}

/** The text limits (1–4096 characters) hold after trimming: surrounding whitespace is not content. */
function trimmedText(value: unknown): unknown {
  const frame = value as { text?: unknown };
  return typeof frame.text === 'string' ? { ...frame, text: frame.text.trim() } : value;
}
