import Type from 'typebox';
import { AttachmentRef } from '@neonchat/common/contracts';
import { AUTHED, described, errorResponses, WITH_BODY } from '../openapi/error-responses.js';
import { bearerSecurity, IdOf } from './common.js';

/** The file as the client describes it; everything is checked again against the bytes. */
export const CreateUploadBody = Type.Object(
  {
    name: AttachmentRef.properties.name,
    size: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Bytes; more than UPLOAD_MAX_BYTES is 413' }),
    content_type: Type.String({
      maxLength: 127,
      pattern: '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$',
      description:
        'The declared type (lower-cased); the real one is sniffed from the bytes and must match (`application/octet-stream` matches any)',
      examples: ['image/jpeg'],
    }),
  },
  { additionalProperties: false },
);

export const UploadTicketReply = Type.Object({
  upload_id: IdOf('the upload'),
  upload_url: Type.String({ description: 'Where to send the bytes: a presigned S3 URL, or a path on this api for the local store' }),
  method: Type.Literal('PUT'),
  headers: Type.Record(Type.String(), Type.String(), { description: 'Headers to send with the bytes' }),
  expires_at: Type.String({ format: 'date-time', description: 'The URL(s) work until then' }),
  parts: Type.Optional(
    Type.Array(Type.Object({ part_number: Type.Integer({ minimum: 1 }), url: Type.String() }), {
      description: 'Multipart (S3, large files): PUT part_size bytes to each URL in order, keep each ETag, then complete with them',
    }),
  ),
  part_size: Type.Optional(Type.Integer({ minimum: 1 })),
});

export const UploadIdParams = Type.Object({ upload_id: IdOf('the upload') });
export const AttachmentIdParams = Type.Object({ attachment_id: IdOf('the attachment (its upload id)') });

export const CompleteUploadBody = Type.Object(
  {
    parts: Type.Optional(
      Type.Array(
        Type.Object(
          {
            part_number: Type.Integer({ minimum: 1, maximum: 10000 }),
            etag: Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' }),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 10000 },
      ),
    ),
  },
  { additionalProperties: false },
);

export const DownloadReply = Type.Object({
  url: Type.String({ description: 'A short-lived URL to GET the bytes (absolute for S3, a path on this api for the local store)' }),
  expires_at: Type.String({ format: 'date-time' }),
  name: AttachmentRef.properties.name,
  content_type: Type.String(),
  size: Type.Integer({ minimum: 0 }),
});

export const createUploadSchema = {
  tags: ['attachments'],
  summary: 'Ask to upload a file: an upload id and a short-lived URL to PUT its bytes to',
  description:
    'The bytes never go through a WebSocket. Then `POST /uploads/{upload_id}/complete`, then send a `message` frame with `attachments: [upload_id]`. More than UPLOAD_MAX_BYTES: 413; over the daily quota: 429; a name with `/`, `\\`, a control character or over 255 characters: 400.',
  security: bearerSecurity,
  body: CreateUploadBody,
  response: { 201: described(UploadTicketReply, 'Where to put the bytes'), ...errorResponses(...AUTHED, ...WITH_BODY) },
};

export const completeUploadSchema = {
  tags: ['attachments'],
  summary: 'Check an upload’s bytes and make it attachable',
  description:
    'The size must be the one announced and the type sniffed from the bytes must match the declared one; an image must be within UPLOAD_IMAGE_MAX_PIXELS. A refused upload is deleted (400). Nothing uploaded yet: 409. Someone else’s upload: 404. Idempotent.',
  security: bearerSecurity,
  params: UploadIdParams,
  body: Type.Optional(CompleteUploadBody),
  response: {
    200: described(AttachmentRef, 'What a message will show'),
    ...errorResponses(...AUTHED, ...WITH_BODY, 'not_found', 'conflict'),
  },
};

export const downloadSchema = (what: string) => ({
  tags: ['attachments'],
  summary: `A short-lived URL to ${what}`,
  description:
    'Only the uploader and active members of a chat where a message (not deleted) shows it; anyone else gets 404. Served with `X-Content-Type-Options: nosniff`, inline only for JPEG, PNG, WebP and GIF, as `attachment` with its name otherwise.',
  security: bearerSecurity,
  params: AttachmentIdParams,
  response: { 200: described(DownloadReply, 'Where to GET it'), ...errorResponses(...AUTHED, 'not_found') },
});

/** A local-store URL's path: the area (`s` upload in progress, `u` checked file, `t` thumbnail) and the upload id. */
export const BlobParams = Type.Object({
  area: Type.Union([Type.Literal('s'), Type.Literal('u'), Type.Literal('t')], {
    description: '`s`: where the bytes are PUT before completion; `u`: the checked file; `t`: its thumbnail',
  }),
  id: IdOf('the upload'),
});

/** What `LocalBlobStore` signs into a URL; every field is covered by `sig`. */
export const BlobQuery = Type.Object(
  {
    op: Type.Union([Type.Literal('put'), Type.Literal('get')]),
    exp: Type.String({ pattern: '^[0-9]{1,12}$', description: 'Expiry, Unix seconds' }),
    sig: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' }),
    size: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$' })),
    ct: Type.Optional(Type.String({ maxLength: 127 })),
    disp: Type.Optional(Type.Union([Type.Literal('inline'), Type.Literal('attachment')])),
    name: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

const BLOB_ERRORS = ['validation_failed', 'forbidden', 'not_found', 'rate_limited'] as const;

export const putBlobSchema = {
  tags: ['attachments'],
  summary: 'The local store: PUT an upload’s bytes to the signed URL `POST /uploads` gave',
  description:
    'No token: the signature is the permission. Exactly the size announced (more: 413, fewer: 400), while the upload waits for bytes (after completion: 409). An expired or altered URL: 403.',
  params: BlobParams,
  querystring: BlobQuery,
  response: {
    200: described(Type.Object({ size: Type.Integer({ minimum: 0 }) }), 'The bytes are stored; now complete the upload'),
    ...errorResponses(...BLOB_ERRORS, 'conflict', 'payload_too_large'),
  },
};

export const getBlobSchema = {
  tags: ['attachments'],
  summary: 'The local store: GET a file from the signed URL `GET /attachments/{id}` gave',
  description:
    'No token: the signature is the permission. Served with the sniffed type, `X-Content-Type-Options: nosniff`, a sandboxing CSP, and `Content-Disposition: attachment` except for JPEG, PNG, WebP and GIF.',
  params: BlobParams,
  querystring: BlobQuery,
  response: {
    200: described(Type.Unsafe<unknown>({ description: 'The file', type: 'string', format: 'binary' }), 'The file'),
    ...errorResponses(...BLOB_ERRORS),
  },
};
