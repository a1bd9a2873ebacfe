import { parseArgs } from 'node:util';
import { signDevToken } from './dev-keys.js';

/**
 * DEVELOPMENT ONLY. Prints an access token that the service started by `npm start` accepts:
 *   npm run token -- --sub alice --scope "transactions:read"
 */
const USAGE = `usage: npm run token -- --sub <subject> --scope "<scopes>" [options]
  --client <id>          client_id (default: web-app)
  --roles <a,b>          roles: support, manager, auditor, admin (default: none = customer)
  --department <name>    department / home branch
  --acr <value>          authentication context class, e.g. urn:verdict:acr:mfa
  --auth-time <seconds>  seconds since the user authenticated (sets auth_time)
  --agent <id:type>      marks an AI agent, type confidential or public
  --ttl <seconds>        lifetime (default 900)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        sub: { type: 'string' },
        scope: { type: 'string' },
        client: { type: 'string', default: 'web-app' },
        roles: { type: 'string' },
        department: { type: 'string' },
        acr: { type: 'string' },
        'auth-time': { type: 'string' },
        agent: { type: 'string' },
        ttl: { type: 'string', default: '900' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.sub === undefined || values.scope === undefined) fail('--sub and --scope are required');
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 3600) fail('--ttl must be 1..3600 seconds');
  const claims: Record<string, unknown> = { sub: values.sub, client_id: values.client, scope: values.scope };
  if (values.roles !== undefined) claims.roles = values.roles.split(',').filter((role) => role !== '');
  if (values.department !== undefined) claims.department = values.department;
  if (values.acr !== undefined) claims.acr = values.acr;
  if (values['auth-time'] !== undefined) {
    claims.auth_time = Math.floor(Date.now() / 1000) - Number(values['auth-time']);
  }
  if (values.agent !== undefined) {
    const [id, clientType] = values.agent.split(':');
    if (id === undefined || id === '' || (clientType !== 'confidential' && clientType !== 'public')) {
      fail('--agent must be <id>:confidential or <id>:public');
    }
    claims.agent = { id, client_type: clientType };
  }
  process.stdout.write(`${await signDevToken(claims, ttl)}\n`);
}

void main();
