import { CLOSE_CODES } from '@neonchat/common/contracts';

const NAMES = new Map<number, string>([
  [1000, 'normal'],
  [1005, 'no_status'],
  [1006, 'abnormal'],
  [CLOSE_CODES.goingAway, 'going_away'],
  [CLOSE_CODES.messageTooBig, 'message_too_big'],
  [CLOSE_CODES.tryAgainLater, 'try_again_later'],
  [CLOSE_CODES.tokenExpired, 'token_expired'],
  [CLOSE_CODES.unknownUser, 'unknown_user'],
  [CLOSE_CODES.sessionEnded, 'session_ended'],
  [CLOSE_CODES.slowConsumer, 'slow_consumer'],
  [CLOSE_CODES.tooManyConnections, 'too_many_connections'],
  [CLOSE_CODES.rateLimited, 'rate_limited'],
]);

/** A bounded label for a close code (clients may send any number). */
export function closeReason(code: number): string {
  return NAMES.get(code) ?? 'other';
}
