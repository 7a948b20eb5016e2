import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import bcrypt from 'bcryptjs';
import { NeonError } from '@neonchat/common/contracts';
import { uuidv7 } from '@neonchat/common/runtime';
import { loginSchema, registerSchema } from '../schemas/auth.js';
import { refreshSchema } from '../schemas/sessions.js';
import { DuplicateUserError } from '../repositories/mod.js';
import { clientInfo, type Sessions } from '../domain/sessions.js';
import type { LoginThrottle } from '../domain/login-throttle.js';

export interface AuthRouteDeps {
  readonly sessions: Sessions;
  readonly throttle: LoginThrottle;
  readonly bcryptCost: number;
}

/** A hash of a random password at `cost`: what a login of an unknown user is compared with. */
export function makeDummyHash(cost: number): Promise<string> {
  return bcrypt.hash(`no-such-user-${uuidv7()}`, cost);
}

/** The routes that need no token: register, login and refresh. Each opens or continues a session. */
export async function authRoutes(fastify: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // A real hash at the configured cost, made once, compared against when the user does not
  // exist: a login for an unknown name costs what a wrong password costs (no probing by timing).
  const dummyHash = await makeDummyHash(deps.bcryptCost);

  app.post('/auth/register', { schema: registerSchema }, async (request, reply) => {
    const { username, password, phone } = request.body;
    await deps.throttle.checkRegister(request.ip);
    const passwordHash = await bcrypt.hash(password, deps.bcryptCost);
    const user = await request.repos.users.register({ username, phone: phone ?? null, passwordHash }).catch(async (err: unknown) => {
      if (err instanceof DuplicateUserError) {
        await deps.throttle.registerConflicted(request.ip);
        throw new NeonError('conflict', `${err.field} is already taken`, { details: { field: err.field } });
      }
      throw err;
    });
    const tokens = await deps.sessions.open(request.repos, user, clientInfo(request.headers['user-agent'], request.ip));
    return reply.status(201).send({ id: user.id, username: user.username, created_at: user.createdAt.toISOString(), ...tokens });
  });

  app.post('/auth/login', { schema: loginSchema }, async (request) => {
    const { username, phone, password } = request.body;
    if (!username && !phone) throw new NeonError('validation_failed', 'username or phone is required', { details: { field: 'username' } });
    const account = (username ?? phone) as string;
    await deps.throttle.checkLogin(account, request.ip);
    const row = username
      ? await request.repos.users.credentialsByUsername(username)
      : await request.repos.users.credentialsByPhone(phone as string);
    const ok = await bcrypt.compare(password, row?.password_hash ?? dummyHash);
    if (!row || !ok) {
      await deps.throttle.loginFailed(account, request.ip);
      throw new NeonError('unauthorized', 'wrong username or password');
    }
    await deps.throttle.loginSucceeded(account);
    return deps.sessions.open(request.repos, { id: row.id, username: row.username }, clientInfo(request.headers['user-agent'], request.ip));
  });

  app.post('/auth/refresh', { schema: refreshSchema }, async (request) =>
    deps.sessions.refresh(request.repos, request.body.refresh_token, clientInfo(request.headers['user-agent'], request.ip)),
  );
}
