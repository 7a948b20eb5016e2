// @neonchat/common/contracts: the shapes every service speaks. No I/O, no driver: cheap to import.
export { ERROR_CODES, CLOSE_CODES, NeonError, isNeonError, httpStatusOf } from './error-codes.js';
export type { ErrorCode, CloseCode } from './error-codes.js';
export { STREAMS, CONSUMERS, SUBJECTS, ORIGIN_CONNECTION_HEADER, chatIdOfSubject, sendDedupId } from './subjects.js';
export { compileValidator } from './validation.js';
export { UUID_PATTERN, canonicalId, requireCanonicalId, canonicalize, unstorableReason } from './canonical.js';
export { decodeJson, unhandled } from './json.js';
export { messageFromRow, messageFromCreatedEvent, toIsoTimestamp, withReaction } from './message-mapping.js';
export type { MessageRowLike } from './message-mapping.js';
export type { Validator, FieldError } from './validation.js';
export * from './model.js';
export * from './chat-events.js';
export * from './presence-events.js';
export * from './frames.js';
export { CHAT_ACTIONS, decide, can, denialCode, requireAllowed, refusal } from '../permissions.js';
export type { ChatAction, Membership, Decision, DenyReason } from '../permissions.js';
