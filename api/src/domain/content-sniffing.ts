import { fileTypeFromBuffer } from 'file-type';

/** Bytes read from the start of a file to tell its type (file-type's own sample size). */
export const SNIFF_BYTES = 4100;

/** The image types shown inline and given thumbnails; every other type is a download. */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);

/** Text types that no magic number tells, kept as declared: never rendered as markup (HTML, SVG, XML). */
const PLAIN_TYPES: ReadonlySet<string> = new Set(['text/plain', 'text/csv', 'text/markdown', 'application/json']);

/** Names browsers and OSes give for a type file-type calls otherwise. */
const ALIASES: Readonly<Record<string, string>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'audio/mp3': 'audio/mpeg',
  'application/x-zip-compressed': 'application/zip',
  'application/x-pdf': 'application/pdf',
};

/** Declared families whose files always carry a magic number: undetected bytes under them are a lie. */
const MUST_BE_DETECTED = /^(image|video|audio|font)\/|^application\/(pdf|zip|gzip|x-7z-compressed|x-rar-compressed)$/;

export type SniffOutcome =
  { readonly ok: true; readonly contentType: string; readonly kind: 'image' | 'file' } | { readonly ok: false; readonly reason: string };

/**
 * The real type of a file from its first bytes (the `file-type` package's magic numbers,
 * over 100 formats, kept up to date upstream; a small table of our own would miss most), held
 * against the type the client declared: a mismatch is refused, a type the bytes do not tell is
 * kept only for plain text, else served as `application/octet-stream`. So HTML or SVG is never
 * given a type a browser renders.
 */
export async function sniffContentType(head: Buffer, declared: string): Promise<SniffOutcome> {
  const detected = await fileTypeFromBuffer(head);
  const claimed = ALIASES[declared] ?? declared;
  if (detected) {
    const real = detected.mime.toLowerCase();
    if (claimed !== real && claimed !== 'application/octet-stream') {
      return { ok: false, reason: `the bytes are ${real}, not the declared ${claimed}` };
    }
    return { ok: true, contentType: real, kind: INLINE_IMAGE_TYPES.has(real) ? 'image' : 'file' };
  }
  if (MUST_BE_DETECTED.test(claimed)) return { ok: false, reason: `the bytes are not ${claimed}` };
  return { ok: true, contentType: PLAIN_TYPES.has(claimed) ? claimed : 'application/octet-stream', kind: 'file' };
}
