import { execFileSync } from 'node:child_process';

export type PngResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Converts an SVG file to PNG with rsvg-convert (Debian: librsvg2-bin). When the tool is
 * missing the SVG stays and the caller reports why there is no PNG.
 */
export function svgToPng(svgPath: string, pngPath: string): PngResult {
  try {
    execFileSync('rsvg-convert', ['--format', 'png', '--output', pngPath, svgPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 60_000,
    });
    return { ok: true };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return { ok: false, reason: 'rsvg-convert is not installed (apt-get install -y librsvg2-bin): only the SVG was written' };
    }
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return { ok: false, reason: `rsvg-convert failed: ${stderr || String(err)}` };
  }
}
