// Named SQL for the hot read paths, shared by the services (plain strings: no driver loaded).
export {
  MESSAGE_COLUMNS,
  MESSAGE_WITH_REACTIONS_COLUMNS,
  reactionsColumn,
  messagePartsColumns,
  MESSAGE_PARTS_NAMES,
  NEWEST_MESSAGES,
  MAX_MESSAGE_SEQ,
  MESSAGE_SEQ,
  LIVE_MESSAGE,
  REPLY_ORIGINAL,
  MENTIONED_MEMBERS,
} from './message-queries.js';
export {
  ACTIVE_CHATS_OF_USER,
  ACTIVE_CHATS_OF_USERS,
  MEMBERSHIP,
  ACTIVE_MEMBERS_OF_CHATS,
  BLOCKERS_OF_USER,
  DIRECT_CHAT_MEMBERS,
} from './membership-queries.js';
export { UPLOAD_REF_COLUMNS, CLAIM_UPLOADS, UPLOAD_CLAIM_STATE } from './attachment-queries.js';
