/**
 * The server's password rules (api `Password`: 6–72 characters; the current one 1–72), checked
 * before a request so a person hears what to fix at once. The server checks again.
 */
export const PASSWORD_MIN = 6;
export const PASSWORD_MAX = 72;

export const PASSWORD_RULE = `A password is ${PASSWORD_MIN}–${PASSWORD_MAX} characters.`;

/** What is wrong with a password change, or null when it may go to the server. */
export function passwordChangeProblem(current: string, next: string, confirm: string): string | null {
  if (!current) return 'Enter your current password.';
  if (current.length > PASSWORD_MAX) return 'That is not your current password.';
  if (next.length < PASSWORD_MIN || next.length > PASSWORD_MAX)
    return `The new password is not right: ${PASSWORD_RULE.charAt(0).toLowerCase()}${PASSWORD_RULE.slice(1)}`;
  if (next !== confirm) return 'The new password and its confirmation are not the same.';
  return null;
}

/** What is wrong with an account deletion's confirmation, or null when it may go to the server. */
export function deletionProblem(username: string, typed: string, password: string): string | null {
  if (typed.trim() !== username) return `Type your username, ${username}, exactly to confirm.`;
  if (!password) return 'Enter your password.';
  if (password.length > PASSWORD_MAX) return 'That is not your password.';
  return null;
}
