import Type from 'typebox';
import { ErrorBody, Uuid } from './common.js';

export const Username = Type.String({ minLength: 3, maxLength: 50, pattern: '^[A-Za-z0-9_.]+$' });
export const Password = Type.String({ minLength: 6, maxLength: 72 });

export const RegisterBody = Type.Object(
  { username: Username, password: Password, phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{5,20}$' })) },
  { additionalProperties: false },
);
export const RegisterReply = Type.Object({
  id: Uuid,
  username: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});

export const LoginBody = Type.Object(
  {
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 21 })),
    password: Type.String({ minLength: 1, maxLength: 72 }),
  },
  { additionalProperties: false },
);
export const LoginReply = Type.Object({
  token: Type.String(),
  expires_in: Type.Integer(),
  user: Type.Object({ id: Uuid, username: Type.String() }),
});

export const registerSchema = {
  tags: ['auth'],
  summary: 'Create an account',
  security: [],
  body: RegisterBody,
  response: { 201: RegisterReply, 400: ErrorBody, 409: ErrorBody, 429: ErrorBody },
};
export const loginSchema = {
  tags: ['auth'],
  summary: 'Log in by username or phone',
  security: [],
  body: LoginBody,
  response: { 200: LoginReply, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
};
