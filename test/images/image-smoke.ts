/**
 * `make image-smoke`: each of the four images (built by scripts/images/build.sh) started with
 * podman on host networking against NATS, PostgreSQL and Redis run here on loopback ports
 * (the test harness's servers), then the message smoke through them: the gateway, api,
 * persister and presence images each start, report ready, and do their part. Also checks that
 * every image runs Node 24 and that the gateway names the uWebSockets.js build it loaded (the
 * v20.57 one: the images have glibc 2.41).
 *   npx tsx test/images/image-smoke.ts        (CONTAINERS_CONF from scripts/images/lib.sh)
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { createDatabase, freePort, startNats, startPostgres, startRedis, waitFor, type RunningServer } from '@neonchat/common/testing';
import { messageSmoke } from './message-smoke.js';

const run = promisify(execFile);
const TAG = process.env.IMAGE_TAG ?? 'local';
const RUN_ID = randomBytes(3).toString('hex');

async function podman(...args: string[]): Promise<string> {
  const { stdout } = await run('podman', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Starts `neonchat-<image>:<tag>` on host networking; returns the container's name. */
async function startContainer(image: string, env: Record<string, string>, command: string[] = []): Promise<string> {
  const name = `neonchat-smoke-${image}-${RUN_ID}`;
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  await podman('run', '-d', '--name', name, '--network', 'host', ...envArgs, `neonchat-${image}:${TAG}`, ...command);
  return name;
}

async function ready(url: string, what: string): Promise<void> {
  await waitFor(async () => (await fetch(url)).ok, { timeoutMs: 90_000, intervalMs: 500, what });
}

async function main(): Promise<void> {
  const servers: RunningServer[] = [];
  const containers: string[] = [];
  let failed = true;
  try {
    const [nats, postgres, redis] = await Promise.all([startNats({ provision: false }), startPostgres(), startRedis()]);
    servers.push(nats, postgres, redis);
    const databaseUrl = await createDatabase(postgres.url, { name: 'neonchat' });
    const [apiPort, gatewayPort, gatewayOps, persisterOps, presenceOps] = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
    const common = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      NATS_URL: nats.url,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      JWT_SECRET: randomBytes(32).toString('hex'),
    };

    await podman(
      'run',
      '--rm',
      '--network',
      'host',
      '-e',
      `DATABASE_URL=${databaseUrl}`,
      `neonchat-api:${TAG}`,
      'node',
      'common/dist/db/migrate-cli.js',
    );
    containers.push(
      await startContainer('persister', { ...common, PERSISTER_METRICS_HOST: '127.0.0.1', PERSISTER_METRICS_PORT: `${persisterOps}` }),
    );
    await ready(`http://127.0.0.1:${persisterOps}/readyz`, 'the persister image ready (streams provisioned)');
    containers.push(
      await startContainer('presence', { ...common, PRESENCE_METRICS_HOST: '127.0.0.1', PRESENCE_METRICS_PORT: `${presenceOps}` }),
    );
    containers.push(await startContainer('api', { ...common, API_HOST: '127.0.0.1', API_PORT: `${apiPort}` }));
    const gatewayEnv = {
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: `${gatewayPort}`,
      GATEWAY_METRICS_PORT: `${gatewayOps}`,
      GATEWAY_WORKERS: '1',
    };
    containers.push(await startContainer('gateway', { ...common, ...gatewayEnv }));
    await Promise.all([
      ready(`http://127.0.0.1:${presenceOps}/readyz`, 'the presence image ready'),
      ready(`http://127.0.0.1:${apiPort}/readyz`, 'the api image ready'),
      ready(`http://127.0.0.1:${gatewayOps}/readyz`, 'the gateway image ready'),
    ]);

    for (const name of containers) {
      const version = await podman('exec', name, 'node', '--version');
      if (!version.startsWith('v24.')) throw new Error(`${name} runs Node ${version}, not 24`);
    }
    const gatewayLog = await podman('logs', containers[3]!);
    const uws = /uWebSockets\.js (\S+) \((\S+)\) loaded natively on Node (\S+), ABI (\d+)/.exec(gatewayLog);
    if (!uws) throw new Error(`the gateway did not name its uWebSockets.js build:\n${gatewayLog.slice(-2000)}`);
    console.log(`gateway: uWebSockets.js ${uws[1]} (${uws[2]}) on Node ${uws[3]}, ABI ${uws[4]}`);

    const result = await messageSmoke({ apiUrl: `http://127.0.0.1:${apiPort}/api/v1`, wsUrl: `ws://127.0.0.1:${gatewayPort}/ws` });
    console.log(
      `image smoke: ${result.sent} sent, ${result.delivered} delivered, ${result.stored} stored, partner online: ` +
        `${result.partnerOnline}, in ${result.ms} ms (images ${containers.map((c) => c.split('-')[2]).join(', ')} on Node 24)`,
    );
    failed = false;
  } finally {
    for (const name of containers.reverse()) {
      await podman('stop', '-t', '15', name).catch((err: unknown) => console.error(`stop ${name}: ${String(err)}`));
      if (failed) console.error(`--- ${name}\n${(await podman('logs', '--tail', '30', name).catch(() => '')).slice(-3000)}`);
      await podman('rm', '-f', name).catch(() => undefined);
    }
    await Promise.all(servers.map((s) => s.stop()));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
