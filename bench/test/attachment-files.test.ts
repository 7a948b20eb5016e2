import { expect } from 'chai';
import sharp from 'sharp';
import { noisePng, randomFile } from '../src/load/attachment-files.js';

describe('attachments scenario files', () => {
  it('noisePng is a PNG of the asked size that an image library decodes, about 3 bytes a pixel', async () => {
    const png = noisePng(64, 48);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).to.deep.equal(['png', 64, 48, 3]);
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(data.length).to.equal(64 * 48 * 3);
    expect(png.length).to.be.greaterThan(64 * 48 * 3 * 0.9);
  });

  it('randomFile is that many bytes', () => {
    expect(randomFile(1234).length).to.equal(1234);
  });
});
