import type { SwaggerOptions } from '@fastify/swagger';
import { CONTRACT_VERSION } from '@neonchat/common/contracts';

interface ParameterLike {
  required?: boolean;
  schema?: { default?: unknown };
}
interface OpenApiDocument {
  paths?: Record<string, Record<string, unknown> | undefined>;
}

/**
 * fastify fills a missing query parameter from its `default` before the handler runs, so
 * the parameter is optional to a client even though the schema lists it as required (that
 * is what keeps the handler's type non-optional). The document says what a client sees.
 */
export function parametersWithDefaultsOptional<D extends OpenApiDocument>(document: D): D {
  for (const path of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(path ?? {})) {
      const parameters = (operation as { parameters?: ParameterLike[] } | undefined)?.parameters;
      if (!Array.isArray(parameters)) continue;
      for (const parameter of parameters) if (parameter.schema?.default !== undefined) parameter.required = false;
    }
  }
  return document;
}

const DESCRIPTION = `REST API of the NeonChat messenger backend (contract ${CONTRACT_VERSION}, see CHANGELOG.md).

Every refusal is \`{"error": {"code", "message", "field"?}}\` with a code from one closed list; each
route lists the codes it may answer. A request line or headers over Node's limit is answered 431
\`payload_too_large\` and the connection is closed; 503 \`unavailable\` comes with \`Retry-After\`.

Every answer carries \`X-Request-Id\`: the caller's own when it is 1-64 characters of
\`A-Za-z0-9._:-\`, a fresh UUID otherwise; the api's log line for the request names it.

The WebSocket protocol and the NATS subjects are described in the AsyncAPI document at
\`/docs/asyncapi.json\` (or \`.yaml\`).`;

export const openApiOptions: SwaggerOptions = {
  openapi: {
    openapi: '3.0.3',
    info: { title: 'NeonChat API', version: CONTRACT_VERSION, description: DESCRIPTION },
    tags: [
      { name: 'auth', description: 'Accounts and tokens' },
      { name: 'users', description: 'Finding people' },
      { name: 'chats', description: '1:1 chats, groups and channels' },
      { name: 'members', description: 'Membership, roles and bans' },
      { name: 'messages', description: 'History, edits, deletes, read marks, reactions (sending is over the WebSocket)' },
      { name: 'sessions', description: 'My sessions, logout, password change, account deletion' },
      { name: 'blocks', description: 'Blocking people' },
    ],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
  },
  transformObject: (documentObject) =>
    'openapiObject' in documentObject
      ? parametersWithDefaultsOptional(documentObject.openapiObject as OpenApiDocument & typeof documentObject.openapiObject)
      : documentObject.swaggerObject,
};
