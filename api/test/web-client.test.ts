import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import Fastify, { type FastifyInstance } from 'fastify';
import { installWebClient } from '../src/plugins/web-client.js';

describe('web client plugin', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'neonchat-web-'));
    app = Fastify();
  });

  afterEach(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the built files and /config.json under a strict CSP, and leaves other paths to their routes', async () => {
    await writeFile(join(dir, 'index.html'), '<!doctype html><script type="module" src="/app.js"></script>');
    await writeFile(join(dir, 'app.js'), 'console.log(1)');
    await mkdir(join(dir, 'types'));
    await writeFile(join(dir, 'types', 'main.d.ts'), 'export {}');
    expect(await installWebClient(app, { dir, wsUrl: 'ws://127.0.0.1:8082/ws' })).to.equal(true);
    app.get('/api/v1/things', async () => ({ things: [] }));

    const index = await app.inject({ url: '/' });
    expect(index.statusCode).to.equal(200);
    expect(index.headers['content-type']).to.match(/^text\/html/);
    expect(String(index.headers['content-security-policy'])).to.include("script-src 'self'").and.include("default-src 'none'");
    expect((await app.inject({ url: '/app.js' })).statusCode).to.equal(200);
    expect((await app.inject({ url: '/types/main.d.ts' })).statusCode, 'type declarations are not served').to.equal(404);
    expect((await app.inject({ url: '/api/v1/things' })).json()).to.deep.equal({ things: [] });
    expect((await app.inject({ url: '/nothing-here' })).statusCode, 'no catch-all').to.equal(404);
    expect((await app.inject({ url: '/config.json' })).json()).to.deep.equal({ ws_url: 'ws://127.0.0.1:8082/ws' });
  });

  it('serves nothing when the client is not built', async () => {
    expect(await installWebClient(app, { dir: join(dir, 'missing'), wsUrl: '' })).to.equal(false);
    expect((await app.inject({ url: '/' })).statusCode).to.equal(404);
    expect((await app.inject({ url: '/config.json' })).statusCode).to.equal(404);
  });
});
