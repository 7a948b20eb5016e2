import sharp from 'sharp';

/** Longest side of a thumbnail, in pixels. */
export const THUMBNAIL_SIDE = 320;
export const THUMBNAIL_TYPE = 'image/webp';

// One libvips thread: the box is shared, thumbnails are small, and the api's event loop matters more.
sharp.concurrency(1);

/** An image's size in pixels, read from its header only (nothing decoded). */
export async function imageDimensions(bytes: Buffer): Promise<{ width: number; height: number; pages: number } | undefined> {
  try {
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    if (!meta.width || !meta.height) return undefined;
    return { width: meta.width, height: meta.height, pages: meta.pages ?? 1 };
  } catch {
    return undefined;
  }
}

/**
 * A WebP thumbnail at most THUMBNAIL_SIDE on its longest side. `maxPixels` is sharp's
 * decompression-bomb guard: an image larger in pixels than that is refused before decoding.
 */
export async function makeThumbnail(bytes: Buffer, maxPixels: number): Promise<Buffer> {
  return sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
    .rotate()
    .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 70 })
    .toBuffer();
}
