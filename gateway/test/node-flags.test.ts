import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { GATEWAY_NODE_FLAGS, GATEWAY_SEMI_SPACE_MIB } from '../src/node-flags.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built module, as the gateway's own start-up check reads it. */
const NODE_FLAGS_JS = new URL('../dist/node-flags.js', import.meta.url).href;

/** One semi-space of a fresh `node` started with these options, in MiB (`semiSpaceMiB` in that process). */
function semiSpaceWith(flags: readonly string[]): number {
  const script = `const { semiSpaceMiB } = await import(${JSON.stringify(NODE_FLAGS_JS)}); process.stdout.write(String(semiSpaceMiB()));`;
  return Number(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('the gateway’s Node options (a fixed young generation)', () => {
  it('give this Node a young generation of the size they name, where its default starts far smaller', () => {
    expect(semiSpaceWith(GATEWAY_NODE_FLAGS)).to.equal(GATEWAY_SEMI_SPACE_MIB);
    expect(semiSpaceWith([])).to.be.below(GATEWAY_SEMI_SPACE_MIB);
  });

  it('are the ones the gateway’s image starts it with', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const stage = dockerfile.slice(dockerfile.indexOf('AS gateway'));
    const cmd = /^CMD (\[.*\])$/m.exec(stage);
    expect(cmd, 'a CMD in the gateway stage').to.not.equal(null);
    expect(JSON.parse(cmd![1]!)).to.deep.equal(['node', ...GATEWAY_NODE_FLAGS, 'gateway/dist/main.js']);
  });

  it('are the ones `make dev` and `make cluster` start the gateway with, and only the gateway', () => {
    // start_service from scripts/lib.sh, run for real against stand-in services that print how
    // node was started.
    const root = mkdtempSync(join(tmpdir(), 'neonchat-node-flags-'));
    try {
      for (const workspace of ['gateway', 'persister']) {
        mkdirSync(join(root, workspace, 'dist'), { recursive: true });
        writeFileSync(join(root, workspace, 'dist', 'main.js'), 'console.log(JSON.stringify(process.execArgv));\n');
      }
      const script = [
        `source ${JSON.stringify(join(ROOT, 'scripts', 'lib.sh'))}`,
        `ROOT=${JSON.stringify(root)} DATA=${JSON.stringify(join(root, 'data'))} TAG=test`,
        'start_service gw gateway "" SOME_VAR=1',
        'start_service ps persister "" SOME_VAR=1',
        'wait',
      ].join('\n');
      const run = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
      expect(run.status, run.stderr).to.equal(0);
      const argvOf = (name: string) => JSON.parse(readFileSync(join(root, 'data', 'log', `${name}.log`), 'utf8')) as string[];
      expect(argvOf('gw')).to.deep.equal([...GATEWAY_NODE_FLAGS]);
      expect(argvOf('ps')).to.deep.equal([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
