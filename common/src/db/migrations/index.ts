import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000000Initial } from './Migration20261122000000_initial.js';
import { Migration20261122023500PersisterOrdering } from './Migration20261122023500_persister_ordering.js';
import { Migration20261201000000MessageReactions } from './Migration20261201000000_message_reactions.js';
import { Migration20261207100000Sessions } from './Migration20261207100000_sessions.js';
import { Migration20261207200000Attachments } from './Migration20261207200000_attachments.js';
import { Migration20261207300000RepliesSearch } from './Migration20261207300000_replies_search.js';
import { Migration20261208100000SearchCaseFolding } from './Migration20261208100000_search_case_folding.js';

/**
 * Every migration, in order. Listed explicitly rather than globbed from disk so the same list
 * runs from `src/` under tsx and from `dist/` under node.
 */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261122000000_initial', class: Migration20261122000000Initial },
  { name: 'Migration20261122023500_persister_ordering', class: Migration20261122023500PersisterOrdering },
  { name: 'Migration20261201000000_message_reactions', class: Migration20261201000000MessageReactions },
  { name: 'Migration20261207100000_sessions', class: Migration20261207100000Sessions },
  { name: 'Migration20261207200000_attachments', class: Migration20261207200000Attachments },
  { name: 'Migration20261207300000_replies_search', class: Migration20261207300000RepliesSearch },
  { name: 'Migration20261208100000_search_case_folding', class: Migration20261208100000SearchCaseFolding },
];
