/** uWS topic of a chat: every socket following the chat is subscribed to it. */
export function chatTopic(chatId: string): string {
  return `chat:${chatId}`;
}
