import { readFile, writeFile } from 'node:fs/promises';
import { expect } from 'chai';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Parser } from '@asyncapi/parser';
import { parse as parseYaml, stringify } from 'yaml';
import {
  CHAT_EVENT_SCHEMAS,
  CLIENT_FRAME_SCHEMAS,
  CONTRACT_VERSION,
  ERROR_CODE_DOCS,
  ERROR_CODES,
  SERVER_FRAME_SCHEMAS,
  buildAsyncApiDocument,
} from '@neonchat/common/contracts';
import { startHarness, type Harness } from './support/api-harness.js';

type Operation = {
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string }>;
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  summary?: string;
};

const docsDir = new URL('../../docs/', import.meta.url);

/** The committed copy must equal the generated one; `UPDATE_CONTRACT_DOCS=1` rewrites it instead. */
async function expectCommitted(name: string, document: unknown): Promise<void> {
  const file = new URL(name, docsDir);
  const fresh = stringify(document);
  if (process.env.UPDATE_CONTRACT_DOCS === '1') await writeFile(file, fresh);
  const committed = await readFile(file, 'utf8').catch(() => '');
  expect(parseYaml(committed), `docs/${name} is stale: run UPDATE_CONTRACT_DOCS=1 npx mocha api/test/contract-docs.test.ts`).to.deep.equal(
    document,
  );
}

describe('contract documents @integration', () => {
  let h: Harness;
  let openapi: { info: { version: string }; paths: Record<string, Record<string, Operation>> };
  before(async () => {
    h = await startHarness();
    openapi = (await h.request('GET', '/docs/json')).body;
  });
  after(async () => h.close());

  describe('OpenAPI', () => {
    it('is a valid OpenAPI document carrying the contract version', async () => {
      const result = await new Validator().validate(structuredClone(openapi) as never);
      expect(result.errors ?? [], String(JSON.stringify(result.errors)).slice(0, 2000)).to.deep.equal([]);
      expect(result.valid).to.equal(true);
      expect(openapi.info.version).to.equal(CONTRACT_VERSION);
    });

    it('documents every registered api route, and nothing that is not one', () => {
      // printRoutes lists the router's tree: each line ends in a path segment and its methods.
      const registered = registeredRoutes(h.api.app.printRoutes({ commonPrefix: false }));
      const documented = Object.entries(openapi.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      );
      const api = registered.filter((r) => r.includes(' /api/'));
      expect(api.length).to.be.greaterThan(15);
      expect(documented.sort()).to.deep.equal(api.sort());
    });

    it('describes every response, lists each error code a route gives, and never marks a defaulted parameter required', () => {
      for (const [path, ops] of Object.entries(openapi.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          const where = `${method.toUpperCase()} ${path}`;
          expect(op.summary, where).to.be.a('string');
          for (const [status, response] of Object.entries(op.responses)) {
            expect(response.description, `${where} ${status}`).to.be.a('string').and.not.equal('Default Response');
          }
          expect(Object.keys(op.responses), where).to.include.members(['400', '500', '503']);
          // No token on register, login and the local store's signed URLs (their signature is the permission).
          if (path !== '/api/v1/auth/register' && path !== '/api/v1/auth/login' && !path.startsWith('/api/v1/blobs/'))
            expect(Object.keys(op.responses), where).to.include('401');
          for (const p of op.parameters ?? []) {
            const schema = (p as { schema?: { default?: unknown } }).schema;
            if (schema?.default !== undefined) expect(p.required, `${where} ${p.name}`).to.equal(false);
            if (p.in === 'path') expect(p.required, `${where} ${p.name}`).to.equal(true);
          }
        }
      }
      const history = openapi.paths['/api/v1/chats/{chat_id}/messages']?.get;
      expect(history?.parameters?.find((p) => p.name === 'limit')).to.include({ required: false });
      expect(history?.parameters?.find((p) => p.name === 'before_id')?.description).to.match(/older/);
      const unavailable = JSON.stringify(history?.responses['503']);
      expect(unavailable).to.include('Retry-After').and.include('"unavailable"');
      const unauthorized = JSON.stringify(history?.responses['401']);
      expect(unauthorized).to.include('"token_expired"').and.include('unknown user');
    });

    it('is committed as docs/openapi.yaml', async () => expectCommitted('openapi.yaml', openapi));
  });

  describe('AsyncAPI', () => {
    it('is served as JSON and YAML beside /docs and equals the document built in common', async () => {
      const json = await h.request('GET', '/docs/asyncapi.json');
      expect(json.status).to.equal(200);
      expect(json.body).to.deep.equal(buildAsyncApiDocument());
      const yaml = await h.api.app.inject({ method: 'GET', url: '/docs/asyncapi.yaml' });
      expect(yaml.statusCode).to.equal(200);
      expect(parseYaml(yaml.body)).to.deep.equal(json.body);
    });

    it('validates with the AsyncAPI parser without errors', async () => {
      const { document, diagnostics } = await new Parser().parse(JSON.stringify(buildAsyncApiDocument()));
      const errors = diagnostics.filter((d) => d.severity === 0);
      expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).to.deep.equal([]);
      expect(document?.version()).to.equal('3.0.0');
      expect(document?.info().version()).to.equal(CONTRACT_VERSION);
    });

    it('lists every client frame, server frame, chat event and error code of common', () => {
      const doc = buildAsyncApiDocument() as {
        info: { description: string };
        channels: Record<
          string,
          { address: string | null; messages: Record<string, { payload: { properties?: { type?: { const?: string } } } }> }
        >;
      };
      const socket = doc.channels.socket!.messages;
      for (const type of Object.keys(CLIENT_FRAME_SCHEMAS))
        expect(socket[`client_${type}`]?.payload.properties?.type?.const, type).to.equal(type);
      for (const type of Object.keys(SERVER_FRAME_SCHEMAS))
        expect(socket[`server_${type}`]?.payload.properties?.type?.const, type).to.equal(type);
      const events = doc.channels.chatEvents!.messages;
      expect(
        Object.values(events)
          .map((m) => m.payload.properties?.type?.const)
          .sort(),
      ).to.deep.equal(Object.keys(CHAT_EVENT_SCHEMAS).sort());
      for (const code of Object.keys(ERROR_CODES)) expect(doc.info.description, code).to.include(`\`${code}\``);
      expect(Object.keys(ERROR_CODE_DOCS).sort()).to.deep.equal(Object.keys(ERROR_CODES).sort());
      for (const close of [1001, 1009, 4001, 4008, 4009, 4029]) expect(doc.info.description).to.include(`\`${close}\``);
      expect(doc.info.description)
        .to.match(/44 s/)
        .and.match(/56–60 s/);
      const addresses = Object.values(doc.channels).map((c) => c.address);
      expect(addresses).to.include.members([
        'chat.{chatId}.events',
        'live.{chatId}.events',
        'live.{chatId}.typing',
        'membership.{chatId}',
        'presence.query',
      ]);
    });

    it('is committed as docs/asyncapi.yaml', async () => expectCommitted('asyncapi.yaml', buildAsyncApiDocument()));
  });
});

/** `METHOD /path` for each route in fastify's printed tree (HEAD and OPTIONS left out). */
function registeredRoutes(tree: string): string[] {
  const routes: string[] = [];
  const prefixes: string[] = [];
  for (const line of tree.split('\n')) {
    // Each level of the tree is indented by four characters; a node's path extends its parent's.
    const match = /^([│ ]*)[├└]── (.+) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    const path = (prefixes[depth - 1] ?? '') + match[2]!;
    prefixes[depth] = path;
    for (const method of match[3]!.split(', ')) if (method !== 'HEAD' && method !== 'OPTIONS') routes.push(`${method} ${path}`);
  }
  return routes;
}
