export { createPersister } from './persister.js';
export type { Persister, PersisterConfig } from './persister.js';
export { writeBatch } from './event-writer.js';
export type { SequencedEvent, BatchOutcome } from './event-writer.js';
export { publishDeadLetter, DEAD_LETTER_HEADERS } from './dead-letter.js';
export type { DeadLetterReason } from './dead-letter.js';
export { classifyWriteFailure, retryDelayMs } from './write-failure.js';
export type { WriteFailure } from './write-failure.js';
