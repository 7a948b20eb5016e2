/**
 * What the login screen says when the session ended without this tab's "Log out" (issue 27):
 * the gateway closed with 4004, a refresh was refused (the session was ended elsewhere, or its
 * refresh token was used twice and the server ended the whole family), or the account is gone.
 */
export const SESSION_ENDED_NOTICE =
  'You were logged out: this session was ended from another device, by a password change, or because its sign-in was used somewhere else. Log in again.';

/** The gateway's 4003: the token names no user any more. */
export const ACCOUNT_GONE_NOTICE = 'You were logged out: this account no longer exists.';

/** After "Delete account" here. */
export const ACCOUNT_DELETED_NOTICE = 'Your account was deleted. Your messages stay in the chats as “Deleted account”.';
