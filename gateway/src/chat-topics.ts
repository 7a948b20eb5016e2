/** uWS topic of a chat: every socket following the chat is subscribed to it. */
export function chatTopic(chatId: string): string {
  return `chat:${chatId}`;
}

/** uWS topic of a user: every socket of that user, for frames addressed to the person. */
export function userTopic(userId: string): string {
  return `user:${userId}`;
}
