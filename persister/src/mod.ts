export { createPersister } from './persister.js';
export type { Persister, PersisterConfig } from './persister.js';
export { writeBatch } from './event-writer.js';
export type { SequencedEvent } from './event-writer.js';
