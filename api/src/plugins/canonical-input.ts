import type { FastifyInstance } from 'fastify';
import { canonicalize } from '@neonchat/common/contracts';

/**
 * After schema validation and before any handler (authentication included): ids in the path,
 * query and body are lower-cased, and text PostgreSQL could not store (U+0000, lone
 * surrogates) is refused as `validation_failed`, naming the field. Walks the route's schema,
 * not the request, so it visits only what the schema declares.
 */
export function installCanonicalInput(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    const schema = request.routeOptions.schema;
    if (!schema) return;
    if (schema.params) canonicalize(schema.params, request.params);
    if (schema.querystring) canonicalize(schema.querystring, request.query);
    if (schema.body) canonicalize(schema.body, request.body);
  });
}
