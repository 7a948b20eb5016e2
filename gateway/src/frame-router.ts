import {
  CLOSE_CODES,
  clientFrameValidators,
  echoableRequestId,
  isClientFrameType,
  isNeonError,
  type ClientFrameType,
  type Validator,
} from '@neonchat/common/contracts';
import { isOutageError, type Logger } from '@neonchat/common/runtime';
import type { TSchema } from 'typebox';
import type { FrameHandlers } from './frame-handlers.js';
import type { GatewayMetrics } from './metrics.js';
import type { Outbound } from './outbound.js';
import type { Socket } from './socket-registry.js';
import type { EarlyFrame } from './socket-state.js';

const decoder = new TextDecoder();
const FRAME_TYPES = Object.keys(clientFrameValidators).join(', ');
/** Frames a client may send before `ready`; more than the default burst means it is not waiting at all. */
const EARLY_FRAMES_MAX = 64;

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

  /**
   * `raw` is only valid during the uWS callback: it is decoded before anything async. Nothing a
   * client sends may throw out of here (an exception in a uWS callback ends the process): a
   * failure is counted as `internal` and answered.
   */
  handle(ws: Socket, raw: ArrayBuffer, isBinary = false): void {
    try {
      const byteLength = raw.byteLength;
      const frame: EarlyFrame = {
        byteLength,
        isBinary,
        text: isBinary || byteLength > this.maxFrameBytes ? undefined : decoder.decode(raw),
      };
      const state = ws.getUserData();
      if (!state.ready) return this.holdUntilReady(ws, frame);
      this.route(ws, frame);
    } catch (err) {
      this.fail(ws, 'route', err, undefined);
    }
  }

  /** `ready` went out: the frames that came before it are handled now, in order. */
  releaseEarly(ws: Socket): void {
    const state = ws.getUserData();
    const early = state.early;
    state.early = [];
    for (const frame of early) {
      if (state.closed) return;
      try {
        this.route(ws, frame);
      } catch (err) {
        this.fail(ws, 'route', err, undefined);
      }
    }
  }

  private holdUntilReady(ws: Socket, frame: EarlyFrame): void {
    const state = ws.getUserData();
    if (state.early.length >= EARLY_FRAMES_MAX) {
      this.metrics.framesIn.inc({ type: 'rate_limited' });
      // Counted in connections_closed_total by the close handler, like every close.
      ws.end(CLOSE_CODES.rateLimited, 'too many frames before ready');
      return;
    }
    state.early.push(frame);
  }

  private route(ws: Socket, frame: EarlyFrame): void {
    const state = ws.getUserData();
    if (!state.bucket.take()) {
      this.metrics.framesIn.inc({ type: 'rate_limited' });
      if (state.bucket.refusedTooOften()) {
        ws.end(CLOSE_CODES.rateLimited, 'too many frames');
        return;
      }
      return this.outbound.error(ws, 'rate_limited', 'too many frames: slow down');
    }
    if (frame.byteLength > this.maxFrameBytes) {
      this.metrics.framesIn.inc({ type: 'oversize' });
      return this.outbound.error(ws, 'payload_too_large', `frame larger than ${this.maxFrameBytes} bytes`);
    }
    if (frame.isBinary || frame.text === undefined) {
      this.metrics.framesIn.inc({ type: 'malformed' });
      return this.outbound.error(ws, 'validation_failed', 'binary frames are not accepted: send JSON text frames');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(frame.text);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      this.metrics.framesIn.inc({ type: 'malformed' });
      return this.outbound.error(ws, 'validation_failed', 'frame is not a JSON object');
    }
    const fields = parsed as { type?: unknown; request_id?: unknown };
    // Echoed only when it is a valid request_id: never a client's arbitrary text.
    const requestId = echoableRequestId(fields.request_id);
    const type = fields.type;
    if (!isClientFrameType(type)) {
      this.metrics.framesIn.inc({ type: 'unknown' });
      // The value is not quoted back: it may be anything (nested 10,000 deep, megabytes long).
      return this.outbound.error(ws, 'unknown_type', `unknown frame type: expected one of ${FRAME_TYPES}`, requestId);
    }
    this.metrics.framesIn.inc({ type });
    this.dispatch(ws, type, parsed).catch((err: unknown) => this.fail(ws, type, err, requestId));
  }

  /** Runs a frame already known to be valid (e.g. the `chat_id` query parameter as an `open`). */
  run(ws: Socket, type: ClientFrameType, value: unknown, requestId?: string): void {
    try {
      this.dispatch(ws, type, value).catch((err: unknown) => this.fail(ws, type, err, requestId));
    } catch (err) {
      this.fail(ws, type, err, requestId);
    }
  }

  private async dispatch<K extends ClientFrameType>(ws: Socket, type: K, value: unknown): Promise<void> {
    // The map ties each type to its validator and handler; TypeScript can't follow K through both.
    const validator = clientFrameValidators[type] as unknown as Validator<TSchema>;
    const handler = this.handlers[type] as (ws: Socket, frame: unknown) => void | Promise<void>;
    await handler(ws, validator.parse(type === 'message' ? trimmedText(value) : value));
  }

  private fail(ws: Socket, type: string, err: unknown, requestId: string | undefined): void {
    try {
      if (isNeonError(err)) return this.outbound.error(ws, err.code, err.message, requestId);
      const connectionId = ws.getUserData().connectionId;
      if (isOutageError(err)) {
        // PostgreSQL or NATS away: the client retries, this is not a bug.
        this.logger.warn({ err, type, connection_id: connectionId }, 'frame not handled: a dependency is unavailable');
        return this.outbound.error(ws, 'unavailable', 'temporarily unavailable, retry shortly', requestId);
      }
      this.metrics.internalErrors.inc({ where: `frame_${type}` });
      this.logger.error({ err, type, connection_id: connectionId }, 'frame handling failed');
      this.outbound.error(ws, 'internal', 'internal error', requestId);
    } catch (failure) {
      // The socket may be gone (uWS throws on a closed one): nothing left to answer.
      this.metrics.internalErrors.inc({ where: 'frame_answer' });
      this.logger.error({ err: failure }, 'could not answer a failed frame');
    }
  }
}

/** The text limits (1–4096 characters) hold after trimming: surrounding whitespace is not content. */
function trimmedText(value: unknown): unknown {
  const frame = value as { text?: unknown };
  return typeof frame.text === 'string' ? { ...frame, text: frame.text.trim() } : value;
}
