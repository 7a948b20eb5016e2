import type { FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import { buildAsyncApiDocument } from '@neonchat/common/contracts';

/** The AsyncAPI document (socket and bus) beside the OpenAPI one under `/docs`, built once. */
export async function asyncApiRoutes(app: FastifyInstance): Promise<void> {
  const document = buildAsyncApiDocument();
  const json = JSON.stringify(document);
  const yaml = stringify(document);
  app.get('/docs/asyncapi.json', { schema: { hide: true } }, async (_request, reply) => reply.type('application/json').send(json));
  app.get('/docs/asyncapi.yaml', { schema: { hide: true } }, async (_request, reply) => reply.type('application/yaml').send(yaml));
}
