import { parseArgs } from 'node:util';
import { findUser, isCustomer } from './accounts.js';
import type { LimitParam } from './agent-limits.js';
import { DEV_CLIENTS, findClient } from './clients.js';
import { ConfigError, loadTokenCliConfig } from './config.js';
import { readClientSecret } from './keys.js';
import { clientCredentials, login, LoginError, type TokenResponse } from './login.js';

/**
 * DEVELOPMENT ONLY. Prints an opaque access token from the running authorization server: for a
 * user through a real authorization-code + PKCE login (its login and consent pages, no browser),
 * for a service client by client credentials.
 */
const USAGE = `usage: npm run token -- <user or service client> [options]
  users: alice bob carol (customers), sam sue (support), mia max (managers), ada (auditor),
         root (admin); password "verdict", one-time code 000000
  service clients: ${DEV_CLIENTS.filter((client) => client.kind === 'service')
    .map((client) => client.id)
    .join(' ')}
  --client <id>            client to log in through (default: web-app for customers, staff-app for
                           staff; AI agents: budget-bot (confidential), chat-app (public))
  --scope "<scopes>"       space-separated scopes (default: all the client may have)
  --mfa                    step-up: acr_values=urn:verdict:acr:mfa and the one-time code
  --limit-amount <minor>   agent limit transaction_amount_limit (integer minor units)
  --not-older-than <days>  agent limit transaction_not_older_than (days, or YYYY-MM-DD)
  --exclude <a,b>          agent limit excluded_categories
  --issuer <url>           authorization server (default: ISSUER or http://127.0.0.1:8180)
  --json                   print the whole token response instead of the access token
Client secrets are read from KEYS_DIR (default data/auth-server).`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        client: { type: 'string' },
        scope: { type: 'string' },
        mfa: { type: 'boolean', default: false },
        'limit-amount': { type: 'string' },
        'not-older-than': { type: 'string' },
        exclude: { type: 'string' },
        issuer: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    fail((error as Error).message);
  }
}

async function token(): Promise<TokenResponse> {
  const { values, positionals } = parse();
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (positionals.length !== 1) fail('name one user or service client');
  const name = positionals[0] ?? '';
  let config;
  try {
    config = loadTokenCliConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(`configuration error: ${error.message}`);
    throw error;
  }
  const issuer = values.issuer ?? config.issuer;
  const scope = values.scope === undefined ? {} : { scope: values.scope };
  const service = findClient(name);
  if (service?.kind === 'service') {
    const clientSecret = await readClientSecret(config.keysDir, service.id);
    return clientCredentials({ issuer, clientId: service.id, clientSecret, ...scope });
  }
  const user = findUser(name);
  if (user === undefined) fail(`unknown user or service client: ${name}`);
  const clientId = values.client ?? (isCustomer(user) ? 'web-app' : 'staff-app');
  const client = findClient(clientId);
  if (client === undefined || (client.kind !== 'app' && client.kind !== 'agent'))
    fail(`--client must be an app or an AI agent, not ${clientId}`);
  const limits: Partial<Record<LimitParam, string>> = {
    ...(values['limit-amount'] === undefined ? {} : { transaction_amount_limit: values['limit-amount'] }),
    ...(values['not-older-than'] === undefined
      ? {}
      : { transaction_not_older_than: values['not-older-than'] }),
    ...(values.exclude === undefined ? {} : { excluded_categories: values.exclude.replaceAll(',', ' ') }),
  };
  if (Object.keys(limits).length > 0 && client.kind !== 'agent')
    fail('limits apply to AI agent clients only');
  const clientSecret = client.public
    ? {}
    : { clientSecret: await readClientSecret(config.keysDir, client.id) };
  return login({ issuer, username: user.id, clientId, mfa: values.mfa, limits, ...scope, ...clientSecret });
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  try {
    const response = await token();
    process.stdout.write(json ? `${JSON.stringify(response, null, 2)}\n` : `${response.access_token}\n`);
  } catch (error) {
    if (error instanceof LoginError || (error as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`token: ${(error as Error).message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

void main();
