import Type from 'typebox';
import { ChatType, MemberRole, Timestamp, Uuid as CommonUuid } from '@neonchat/common/contracts';

/** A canonical, lower-case UUID (ids are UUIDv7 here). */
export const Uuid = CommonUuid;

/** An id of a given thing, with its description and an example for the documents. */
export const IdOf = (what: string, example = '0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b') =>
  Type.Unsafe<string>({ ...CommonUuid, description: `Id of ${what}`, examples: [example] });

export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'Stable, machine-readable code from the closed list' }),
        message: Type.String({ description: 'Human-readable reason' }),
        field: Type.Optional(Type.String({ description: 'The input field at fault, when known' })),
      },
      { description: 'Why the request was refused' },
    ),
  },
  { $id: 'ErrorBody', description: 'Every refusal has this shape' },
);

export const ChatIdParams = Type.Object({ chat_id: IdOf('the chat') });

// The shared shapes, under the names the route schemas use: REST and frames cannot drift apart.
export const IsoTime = Timestamp;
export const Role = MemberRole;
export const ChatTypeName = ChatType;
export const ChatName = Type.String({ minLength: 1, maxLength: 100, description: 'Name of a group or channel', examples: ['Team'] });

export const ChatMemberParams = Type.Object({ chat_id: IdOf('the chat'), user_id: IdOf('the user') });
export const ChatMessageParams = Type.Object({ chat_id: IdOf('the chat'), message_id: IdOf('the message') });

/** Shown on every route that needs a token. */
export const bearerSecurity = [{ bearer: [] }];

/** A username as the api answers it. */
export const UserName = Type.String({ description: 'Username', examples: ['alice'] });

/** How far the other members have read: the `seq` of the newest message any of them has marked read (in a 1:1 chat, the partner). */
export const OthersReadSeq = Type.Integer({
  minimum: 0,
  description:
    "Seq of the newest message another active member has read (the partner, in a 1:1 chat); 0 if none. The caller's own messages with a seq up to it show as read",
});
