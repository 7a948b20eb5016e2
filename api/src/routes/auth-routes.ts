import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { MikroORM } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import bcrypt from 'bcryptjs';
import { NeonError } from '@neonchat/common/contracts';
import { UserEntity } from '@neonchat/common/db';
import { signAccessToken, uuidv7 } from '@neonchat/common/runtime';
import { loginSchema, registerSchema } from '../schemas/auth.js';

export interface AuthRouteDeps {
  readonly orm: MikroORM;
  readonly jwtSecret: string;
  readonly jwtTtlSeconds: number;
  readonly bcryptCost: number;
}

/** The unique index a duplicate hit, from the driver error's `constraint` (never its message, which holds the row). */
function duplicateField(err: UniqueConstraintViolationException): 'username' | 'phone' {
  const constraint = (err as { constraint?: unknown }).constraint;
  return constraint === 'users_phone_key' ? 'phone' : 'username';
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
    const em = deps.orm.em.fork();
    const passwordHash = await bcrypt.hash(password, deps.bcryptCost);
    const user = em.create(UserEntity, {
      id: uuidv7(),
      username,
      phone: phone ?? null,
      passwordHash,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    try {
      await em.flush();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) {
        const field = duplicateField(err);
        throw new NeonError('conflict', `${field} is already taken`, { details: { field } });
      }
      throw err;
    }
    return reply.status(201).send({ id: user.id, username: user.username, created_at: user.createdAt.toISOString() });
  });

  app.post('/auth/login', { schema: loginSchema }, async (request) => {
    const { username, phone, password } = request.body;
    if (!username && !phone) throw new NeonError('validation_failed', 'username or phone is required', { details: { field: 'username' } });
    const em = deps.orm.em.fork();
    const user = username
      ? await em
          .getConnection()
          .execute<Array<{ id: string; username: string; password_hash: string }>>(
            'select id, username, password_hash from users where lower(username) = lower(?)',
            [username],
          )
      : await em
          .getConnection()
          .execute<Array<{ id: string; username: string; password_hash: string }>>(
            'select id, username, password_hash from users where phone = ?',
            [phone],
          );
    const row = user[0];
    const ok = await bcrypt.compare(password, row?.password_hash ?? dummyHash);
    if (!row || !ok) throw new NeonError('unauthorized', 'wrong username or password');
    return {
      token: signAccessToken({ id: row.id, username: row.username }, deps.jwtSecret, deps.jwtTtlSeconds),
      expires_in: deps.jwtTtlSeconds,
      user: { id: row.id, username: row.username },
    };
  });
}
