import type { FastifyInstance } from 'fastify';
import type { Readable } from 'node:stream';
import { NeonError } from '@neonchat/common/contracts';
import type { LocalBlobStore } from '../storage/local-blob-store.js';
import { contentDisposition } from '../storage/s3-blob-store.js';
import type { AttachmentMetrics } from '../domain/attachment-metrics.js';
import { getBlobSchema, putBlobSchema } from '../schemas/uploads.js';

export interface BlobRouteDeps {
  readonly store: LocalBlobStore;
  readonly metrics: AttachmentMetrics;
}

interface BlobRequest {
  Params: { area: string; id: string };
  Querystring: Record<string, string | undefined>;
}

/**
 * The local store's signed URLs (`/api/v1/blobs/{s|u|t}/{id}?…&sig=`): no token, the signature
 * is the permission. A PUT writes the staging file (`s/`) of an upload that is still pending,
 * exactly the size signed; a GET serves with the signed type and disposition, `nosniff` and a
 * sandboxing CSP, so even a file that is HTML cannot run as a page of this origin.
 */
export async function blobRoutes(app: FastifyInstance, deps: BlobRouteDeps): Promise<void> {
  // The body is the file: streamed to disk, never parsed or buffered (this scope only).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.put<BlobRequest>('/blobs/:area/:id', { schema: putBlobSchema }, async (request, reply) => {
    const key = `${request.params.area}/${request.params.id}`;
    const grant = deps.store.verify(key, request.query);
    if (grant.op !== 'put' || grant.size === undefined || !key.startsWith('s/')) throw new NeonError('forbidden', 'not an upload URL');
    const declared = request.headers['content-length'];
    if (declared !== undefined && Number(declared) > grant.size) throw new NeonError('payload_too_large', `at most ${grant.size} bytes`);
    const upload = await request.repos.uploads.find(request.params.id);
    // A completed upload's bytes are final: a URL still valid cannot replace what was checked.
    if (upload?.status !== 'pending') throw new NeonError('conflict', 'this upload is not waiting for bytes');
    await deps.store.receive(key, request.body as Readable, grant.size);
    return reply.status(200).send({ size: grant.size });
  });

  app.get<BlobRequest>('/blobs/:area/:id', { schema: getBlobSchema }, async (request, reply) => {
    const key = `${request.params.area}/${request.params.id}`;
    const grant = deps.store.verify(key, request.query);
    if (grant.op !== 'get' || !grant.ct || !grant.disp || grant.name === undefined) throw new NeonError('forbidden', 'not a download URL');
    const file = await deps.store.openForDownload(key);
    if (!file) throw new NeonError('not_found', 'no such file');
    return reply
      .header('content-type', grant.ct)
      .header('content-length', String(file.size))
      .header('content-disposition', contentDisposition(grant.disp, grant.name))
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', 'private, max-age=300')
      .send(file.stream);
  });
}
