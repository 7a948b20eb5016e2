import type { FastifyInstance } from 'fastify';
import type { ChatEventPublisher, RevocationList } from '@neonchat/common/runtime';
import { authenticateWith } from '../plugins/authenticate.js';
import type { TokenVerifier } from '../plugins/token-verifier.js';
import type { MembershipAnnouncer } from '../domain/membership-announcer.js';
import type { PresenceLookup } from '../domain/presence-lookup.js';
import { userRoutes } from './user-routes.js';
import { chatRoutes } from './chat-routes.js';
import { memberRoutes } from './member-routes.js';
import { messageRoutes } from './message-routes.js';
import { accountRoutes, type AccountRouteDeps } from './account-routes.js';
import { uploadRoutes } from './upload-routes.js';
import type { AttachmentService } from '../domain/attachments.js';
import { searchRoutes } from './search-routes.js';

export interface AuthenticatedRouteDeps {
  readonly tokens: TokenVerifier;
  readonly revocations: Pick<RevocationList, 'revoked'>;
  readonly announcer: MembershipAnnouncer;
  readonly presence: PresenceLookup;
  readonly publisher: ChatEventPublisher;
  readonly account: AccountRouteDeps;
  readonly attachments: AttachmentService;
}

/**
 * Every route that needs a caller: the authentication hook is added once to this scope, then
 * the resource modules are registered inside it (fastify encapsulation: the hook runs for
 * them and only them; the parent scope's `installDataAccess` hook has run before it). A new
 * authenticated resource module is registered here.
 */
export async function authenticatedRoutes(scope: FastifyInstance, deps: AuthenticatedRouteDeps): Promise<void> {
  scope.addHook(
    'preHandler',
    authenticateWith(deps.tokens, deps.revocations, (userId, request) => request.repos.users.exists(userId)),
  );
  await scope.register(userRoutes, { presence: deps.presence });
  await scope.register(chatRoutes, { announcer: deps.announcer, presence: deps.presence });
  await scope.register(memberRoutes, { announcer: deps.announcer });
  await scope.register(messageRoutes, { publisher: deps.publisher });
  await scope.register(accountRoutes, deps.account);
  await scope.register(uploadRoutes, { attachments: deps.attachments });
  await scope.register(searchRoutes);
}
