// Bundles web/src into web/dist (one minified ES module, the page and its stylesheet).
// Type checking is tsc's job (web/tsconfig.json, part of the root `tsc -b`); esbuild only strips types.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
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
for (const file of ['index.html', 'style.css', 'favicon.svg']) await copyFile(`${root}src/${file}`, `${dist}/${file}`);
const js = await readFile(`${dist}/app.js`);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`web: dist/app.js ${kib(js.length)} (${kib(gzipSync(js, { level: 9 }).length)} gzipped)`);
