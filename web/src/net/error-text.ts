import { ApiError } from './rest-client.js';

/**
 * What to tell a person when the server refuses: the API's stable error codes (and the
 * `field` a validation refusal names) mapped to sentences. The server's own `message` is for
 * developers (`username: must match pattern …`) and is shown only where no sentence fits.
 */
const FIELD_RULES: Record<string, string> = {
  username: 'A username is 3–50 characters: letters, digits, “_” and “.”.',
  password: 'A password is 6–72 characters.',
  new_password: 'The new password is not right: a password is 6–72 characters.',
  old_password: 'That is not your current password.',
  phone: 'A phone number is 5–20 digits, optionally starting with +, e.g. +4915112345678.',
  name: 'A name is 1–100 characters.',
  text: 'A message is 1–4096 characters.',
  query: 'Search for 1–50 characters of a name.',
};

const CODE_TEXT: Record<string, string> = {
  validation_failed: 'Something in that is not right: please check it.',
  unauthorized: 'Your session is over: please log in again.',
  token_expired: 'Your session is over: please log in again.',
  forbidden: 'You are not allowed to do that here.',
  not_found: 'That is not there any more.',
  conflict: 'That clashes with something that exists already.',
  payload_too_large: 'That is too long.',
  rate_limited: 'That was a lot at once: wait a moment and try again.',
  unavailable: 'The server is busy or partly down: try again in a moment.',
  internal: 'Something went wrong on the server: try again.',
};

/** Where the refusal came from, when that changes the sentence. */
export type ErrorContext = 'login' | 'register' | 'other';

export function errorText(err: unknown, context: ErrorContext = 'other'): string {
  if (!(err instanceof ApiError)) return 'The server could not be reached: check your connection and try again.';
  if (err.code === 'unauthorized' && context === 'login') return 'Wrong username, phone or password.';
  if (err.code === 'validation_failed' && err.field && FIELD_RULES[err.field]) return FIELD_RULES[err.field]!;
  // A password change or account deletion with the wrong current password (issue 27).
  if (err.code === 'forbidden' && (err.field === 'old_password' || err.field === 'password')) return 'That is not your current password.';
  if (err.code === 'conflict' && context === 'register')
    return err.field === 'phone' ? 'That phone number is taken already.' : 'That username is taken already: pick another.';
  // Refusals the server words for people (no schema text): "the chat must keep at least one admin…".
  if ((err.code === 'conflict' || err.code === 'forbidden') && err.message && !err.message.includes('must ')) return sentence(err.message);
  return CODE_TEXT[err.code] ?? CODE_TEXT.internal!;
}

function sentence(text: string): string {
  const plain = text.replace(/^[a-z_]+: /, '');
  return `${plain.charAt(0).toUpperCase()}${plain.slice(1)}${/[.!?]$/.test(plain) ? '' : '.'}`;
}
