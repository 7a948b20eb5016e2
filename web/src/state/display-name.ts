/**
 * The server keeps a deleted account's id (its messages and chats still point at it) and gives
 * it the username `deleted:{id}`, which no one can register (`:` is not allowed in names).
 */
const DELETED_PREFIX = 'deleted:';

export const DELETED_ACCOUNT = 'Deleted account';

/** Whether `username` is what the server shows for a deleted account. */
export function isDeletedAccount(username: string): boolean {
  return username.startsWith(DELETED_PREFIX);
}

/** A username as people should read it: a deleted account is "Deleted account", not its placeholder. */
export function shownName(username: string): string {
  return isDeletedAccount(username) ? DELETED_ACCOUNT : username;
}
