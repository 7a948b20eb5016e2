// Bundles web/src into web/dist (one minified ES module, the page and its stylesheet).
// Type checking is tsc's job (web/tsconfig.json, part of the root `tsc -b`); esbuild only strips types.
import { build } from 'esbuild';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist`;
await mkdir(dist, { recursive: true });
await build({
  entryPoints: [`${root}src/main.ts`],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outfile: `${dist}/app.js`,
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) await copyFile(`${root}src/${file}`, `${dist}/${file}`);
const { size } = await stat(`${dist}/app.js`);
console.log(`web: dist/app.js ${(size / 1024).toFixed(1)} KiB`);
