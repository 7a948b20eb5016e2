// @neonchat/common/db: MikroORM entities, the ORM and migrations (loads MikroORM: the api and tools only).
export { UserEntity, ChatEntity, ChatMemberEntity, MessageEntity, ALL_ENTITIES } from './entities.js';
export type { UserRow, ChatRow, ChatMemberRow, MessageRow } from './entities.js';
export { openOrm, ormConfig, migrate } from './orm.js';
export type { OrmOptions } from './orm.js';
