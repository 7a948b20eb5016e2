import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AttachmentService } from '../domain/attachments.js';
import { completeUploadSchema, createUploadSchema, downloadSchema } from '../schemas/uploads.js';

export interface UploadRouteDeps {
  readonly attachments: AttachmentService;
}

/** Uploads (ask, complete) and downloads of attachments; the bytes themselves go to the store's URLs. */
export async function uploadRoutes(fastify: FastifyInstance, deps: UploadRouteDeps): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { attachments } = deps;
  app.post('/uploads', { schema: createUploadSchema }, async (request, reply) => {
    const ticket = await attachments.create(request.repos, request.auth.user_id, {
      name: request.body.name,
      size: request.body.size,
      content_type: request.body.content_type.toLowerCase(),
    });
    return reply.status(201).send(ticket);
  });

  app.post('/uploads/:upload_id/complete', { schema: completeUploadSchema }, async (request) =>
    attachments.complete(request.repos, request.auth.user_id, request.params.upload_id, request.body?.parts),
  );

  app.get('/attachments/:attachment_id', { schema: downloadSchema('download an attachment') }, async (request) =>
    attachments.download(request.repos, request.auth.user_id, request.params.attachment_id, 'file'),
  );

  app.get('/attachments/:attachment_id/thumbnail', { schema: downloadSchema("an image attachment's thumbnail (WebP)") }, async (request) =>
    attachments.download(request.repos, request.auth.user_id, request.params.attachment_id, 'thumbnail'),
  );
}
