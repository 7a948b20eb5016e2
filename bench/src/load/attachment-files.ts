import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { pngChunk } from '@neonchat/common/testing';

/**
 * The files the attachments scenario uploads, made here so the bench needs no image library:
 * random bytes (a file nobody thumbnails) and a PNG of random pixels (barely compressible, so
 * its size is close to width × height × 3, and the api must decode it to thumbnail it).
 */
export function randomFile(bytes: number): Buffer {
  return randomBytes(bytes);
}

/** An 8-bit RGB PNG of `width` × `height` random pixels (filter 0 on every row). */
export function noisePng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // RGB
  const row = 1 + width * 3;
  const raw = randomBytes(row * height);
  for (let y = 0; y < height; y++) raw[y * row] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw, { level: 1 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
