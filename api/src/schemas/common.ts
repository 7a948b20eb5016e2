import Type from 'typebox';
import { ChatType, MemberRole, Timestamp, Uuid } from '@neonchat/common/contracts';

export { Uuid };

export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) }) },
  { $id: 'ErrorBody' },
);

export const ChatIdParams = Type.Object({ chat_id: Uuid });

/** The error responses every authenticated route may give. */
export const authedErrors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  429: ErrorBody,
} as const;

// The shared shapes, under the names the route schemas use: REST and frames cannot drift apart.
export const IsoTime = Timestamp;
export const Role = MemberRole;
export const ChatTypeName = ChatType;
export const ChatName = Type.String({ minLength: 1, maxLength: 100 });

export const ChatMemberParams = Type.Object({ chat_id: Uuid, user_id: Uuid });
export const ChatMessageParams = Type.Object({ chat_id: Uuid, message_id: Uuid });

/** Shown on every route that needs a token. */
export const bearerSecurity = [{ bearer: [] }];
