import test from 'ava';
import { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '../../scripts/servers/redis.mjs';
import { BUNDLE_PATH } from './support/harness.js';
import { AUDIENCE, ISSUER, TestIssuer } from './support/issuer.js';

const SERVER = join(import.meta.dirname, '..', 'src', 'server.ts');

/** The names of the connections Redis has open now. */
async function clientNames(admin: Redis): Promise<string[]> {
  const list = String(await admin.call('CLIENT', 'LIST'));
  return [...list.matchAll(/ name=(\S*)/g)].map((match) => match[1]!);
}

test('the service started with REDIS_URL counts in Redis under REDIS_KEY_PREFIX, and SIGTERM closes its connection', async (t) => {
  const redis = await startRedis();
  const issuer = await TestIssuer.start();
  const dir = mkdtempSync(join(tmpdir(), 'verdict-server-redis-'));
  const admin = new Redis(redis.url);
  t.teardown(async () => {
    admin.disconnect();
    await issuer.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      ADMIN_PORT: '0',
      JWKS_URL: issuer.jwksUrl.href,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      DATABASE_URL: `sqlite:${join(dir, 'verdict.db')}`,
      AUDIT_CHECKPOINT_FILE: join(dir, 'audit-checkpoints.jsonl'),
      PDP_MODE: 'embedded',
      BUNDLE_PATH,
      BUNDLE_PUBLIC_KEYS: join(import.meta.dirname, '..', '..', 'data', 'bundle-signing', 'keys.json'),
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: 'server-test',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.includes('verdict service listening'));
      if (line !== undefined) resolve((JSON.parse(line) as { address: { port: number } }).address.port);
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  t.regex(stdout, /rate-limit counters in Redis/);
  t.false(stdout.includes(redis.url), 'the URL (which may hold a password) is not logged');

  // The connection may still be coming up: the first requests then fail open, so ask until one counts.
  const deadline = Date.now() + 15_000;
  let keys: string[] = [];
  while (keys.length === 0 && Date.now() < deadline) {
    const res = await fetch(`http://127.0.0.1:${port}/health/live/unknown`);
    t.is(res.status, 404);
    keys = await admin.keys('server-test:*');
  }
  t.deepEqual(keys, ['server-test:rate-limit:ip:127.0.0.1']);
  t.true((await clientNames(admin)).includes('verdict-rate-limits'));

  child.kill('SIGTERM');
  t.is(await exited, 0, stderr);
  t.false((await clientNames(admin)).includes('verdict-rate-limits'));
  // An exiting process drops its sockets anyway; a QUIT shows the service closed it on purpose.
  t.regex(await admin.info('commandstats'), /^cmdstat_quit:calls=1,/m, 'shutdown sent QUIT');
});
