import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import bcrypt from 'bcryptjs';
import { NeonError } from '@neonchat/common/contracts';
import { signAccessToken, uuidv7 } from '@neonchat/common/runtime';
import { loginSchema, registerSchema } from '../schemas/auth.js';
import { DuplicateUserError } from '../repositories/mod.js';

export interface AuthRouteDeps {
  readonly jwtSecret: string;
  readonly jwtTtlSeconds: number;
  readonly bcryptCost: number;
}

/** A hash of a random password at `cost`: what a login of an unknown user is compared with. */
export function makeDummyHash(cost: number): Promise<string> {
  return bcrypt.hash(`no-such-user-${uuidv7()}`, cost);
}

export async function authRoutes(fastify: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // A real hash at the configured cost, made once, compared against when the user does not
  // exist: a login for an unknown name costs what a wrong password costs (no probing by timing).
  const dummyHash = await makeDummyHash(deps.bcryptCost);

  app.post('/auth/register', { schema: registerSchema }, async (request, reply) => {
    const { username, password, phone } = request.body;
    const passwordHash = await bcrypt.hash(password, deps.bcryptCost);
    const user = await request.repos.users.register({ username, phone: phone ?? null, passwordHash }).catch((err: unknown) => {
      if (err instanceof DuplicateUserError)
        throw new NeonError('conflict', `${err.field} is already taken`, { details: { field: err.field } });
      throw err;
    });
    return reply.status(201).send({ id: user.id, username: user.username, created_at: user.createdAt.toISOString() });
  });

  app.post('/auth/login', { schema: loginSchema }, async (request) => {
    const { username, phone, password } = request.body;
    if (!username && !phone) throw new NeonError('validation_failed', 'username or phone is required', { details: { field: 'username' } });
    const row = username
      ? await request.repos.users.credentialsByUsername(username)
      : await request.repos.users.credentialsByPhone(phone as string);
    const ok = await bcrypt.compare(password, row?.password_hash ?? dummyHash);
    if (!row || !ok) throw new NeonError('unauthorized', 'wrong username or password');
    return {
      token: signAccessToken({ id: row.id, username: row.username }, deps.jwtSecret, deps.jwtTtlSeconds),
      expires_in: deps.jwtTtlSeconds,
      user: { id: row.id, username: row.username },
    };
  });
}
