import Type from 'typebox';
import { described, errorResponses, WITH_BODY } from '../openapi/error-responses.js';
import { IdOf, IsoTime, UserName } from './common.js';
import { TokenFields } from './tokens.js';

export const Username = Type.String({
  minLength: 3,
  maxLength: 50,
  pattern: '^[A-Za-z0-9_.]+$',
  description: 'Letters, digits, `_` and `.`; unique, compared case-sensitively',
  examples: ['alice'],
});
export const Password = Type.String({ minLength: 6, maxLength: 72, description: 'Stored as a bcrypt hash', examples: ['secret-password'] });
const Phone = Type.String({
  pattern: '^\\+?[0-9]{5,20}$',
  description: 'Optional phone number, digits with an optional leading +',
  examples: ['+15550100'],
});

export const RegisterBody = Type.Object(
  { username: Username, password: Password, phone: Type.Optional(Phone) },
  { additionalProperties: false },
);
export const RegisterReply = Type.Object(
  { id: IdOf('the new user'), username: UserName, created_at: IsoTime, ...TokenFields },
  { description: 'The account was created, with a first session and its tokens' },
);

export const LoginBody = Type.Object(
  {
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'Give username or phone', examples: ['alice'] })),
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 21, description: 'Give username or phone', examples: ['+15550100'] })),
    password: Type.String({
      minLength: 1,
      maxLength: 72,
      description: 'The password given at registration',
      examples: ['secret-password'],
    }),
  },
  { additionalProperties: false },
);
export const LoginReply = Type.Object(
  {
    ...TokenFields,
    user: Type.Object({ id: IdOf('the user'), username: UserName }, { description: 'Who logged in' }),
  },
  { description: 'A new session and its tokens' },
);

export const registerSchema = {
  tags: ['auth'],
  summary: 'Create an account',
  security: [],
  body: RegisterBody,
  response: { 201: described(RegisterReply, 'Created'), ...errorResponses('validation_failed', 'conflict', 'rate_limited', ...WITH_BODY) },
};
export const loginSchema = {
  tags: ['auth'],
  summary: 'Log in by username or phone',
  security: [],
  body: LoginBody,
  response: {
    200: described(LoginReply, 'Logged in'),
    ...errorResponses('validation_failed', 'unauthorized', 'rate_limited', ...WITH_BODY),
  },
};
