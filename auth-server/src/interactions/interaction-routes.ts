import type { Context, Next } from 'koa';
import { errors, type InteractionResults, type Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import { authenticate, isCustomer, oneTimeCodeMatches, type DevUser } from '../accounts.js';
import { InvalidLimitError, parseAgentLimits, type AgentLimits } from '../agent-limits.js';
import { findClient, type DevClient } from '../clients.js';
import type { ConsentedLimits } from '../consented-limits.js';
import { ACR_MFA, requestsMfa } from '../step-up.js';
import { FormBodyError, readForm } from './form-body.js';
import { consentPage, errorPage, loginPage, PAGE_CSP } from './pages.js';

/** What the interaction pages need. */
export interface InteractionDeps {
  readonly provider: Provider;
  readonly limits: ConsentedLimits;
  readonly logger: Logger;
}

/** The interaction of one request, as oidc-provider saved it. */
type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

type Handler = (ctx: Context, details: Details, deps: InteractionDeps) => Promise<void>;

function clientOf(details: Details): DevClient {
  const client =
    typeof details.params.client_id === 'string' ? findClient(details.params.client_id) : undefined;
  if (client === undefined) throw new errors.InvalidClient('unknown client');
  return client;
}

function mayUse(client: DevClient, user: DevUser): boolean {
  if (client.users === 'customers') return isCustomer(user);
  if (client.users === 'staff') return !isCustomer(user);
  return client.users === 'any';
}

function html(ctx: Context, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = body;
}

/** Hands the result back to oidc-provider and sends the browser on to the authorization endpoint. */
async function finish(
  ctx: Context,
  deps: InteractionDeps,
  result: InteractionResults,
  merge: boolean,
): Promise<void> {
  const to = await deps.provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: merge,
  });
  ctx.status = 303;
  ctx.redirect(to);
}

function requestedScopes(details: Details): string[] {
  const { missingOIDCScope, missingResourceScopes } = details.prompt.details as {
    missingOIDCScope?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  return [...(missingOIDCScope ?? []), ...Object.values(missingResourceScopes ?? {}).flat()];
}

function requestedLimits(details: Details): AgentLimits {
  try {
    return parseAgentLimits(details.params);
  } catch {
    return {};
  }
}

function renderConsent(
  ctx: Context,
  details: Details,
  status: number,
  limits: AgentLimits,
  error?: string,
): void {
  const client = clientOf(details);
  const page = {
    uid: details.uid,
    clientName: client.description,
    scopes: requestedScopes(details),
    agent: client.kind === 'agent',
    limits,
  };
  html(ctx, status, consentPage(error === undefined ? page : { ...page, error }));
}

/** GET /interaction/:uid — the page of the prompt oidc-provider needs answered. */
async function showInteraction(ctx: Context, details: Details): Promise<void> {
  const client = clientOf(details);
  if (details.prompt.name === 'login') {
    const mfaRequired = requestsMfa(details.params.acr_values);
    html(ctx, 200, loginPage({ uid: details.uid, clientName: client.description, mfaRequired }));
  } else if (details.prompt.name === 'consent') {
    renderConsent(ctx, details, 200, requestedLimits(details));
  } else {
    html(ctx, 400, errorPage('Cannot continue', `unsupported prompt ${details.prompt.name}`));
  }
  return Promise.resolve();
}

/**
 * POST /interaction/:uid/login — password, plus the one-time code for a multi-factor login
 * (required when the request asked for urn:verdict:acr:mfa). A user the client is not for ends
 * the request with access_denied.
 */
async function submitLogin(ctx: Context, details: Details, deps: InteractionDeps): Promise<void> {
  if (details.prompt.name !== 'login') {
    html(ctx, 400, errorPage('Cannot continue', 'this sign-in step is already done'));
    return;
  }
  const client = clientOf(details);
  const form = await readForm(ctx.req);
  const mfaRequired = requestsMfa(details.params.acr_values);
  const user = authenticate(form.username ?? '', form.password ?? '');
  const otp = (form.otp ?? '').trim();
  let refusal: string | undefined;
  if (user === undefined) refusal = 'Wrong username or password.';
  else if (otp !== '' && !oneTimeCodeMatches(otp)) refusal = 'Wrong one-time code.';
  else if (mfaRequired && otp === '') refusal = 'This sign-in needs the one-time code.';
  if (user === undefined || refusal !== undefined) {
    const page = { uid: details.uid, clientName: client.description, mfaRequired, error: refusal ?? '' };
    html(ctx, 401, loginPage(form.username === undefined ? page : { ...page, username: form.username }));
    return;
  }
  if (!mayUse(client, user)) {
    const error_description = `${client.description} is for ${client.users ?? 'nobody'} only`;
    await finish(ctx, deps, { error: 'access_denied', error_description }, false);
    return;
  }
  const mfa = otp !== '';
  const login = { accountId: user.id, amr: mfa ? ['pwd', 'otp'] : ['pwd'], remember: false };
  await finish(ctx, deps, { login: mfa ? { ...login, acr: ACR_MFA } : login }, false);
}

/**
 * POST /interaction/:uid/confirm — grants the requested scopes; for an AI agent records the limits
 * the user confirmed (the form's values, pre-filled with the request's) with the new grant.
 */
async function submitConsent(ctx: Context, details: Details, deps: InteractionDeps): Promise<void> {
  if (details.prompt.name !== 'consent' || details.session === undefined) {
    html(ctx, 400, errorPage('Cannot continue', 'there is nothing to consent to'));
    return;
  }
  const client = clientOf(details);
  const form = await readForm(ctx.req);
  let limits: AgentLimits = {};
  if (client.kind === 'agent') {
    try {
      limits = parseAgentLimits(form);
    } catch (error) {
      if (!(error instanceof InvalidLimitError)) throw error;
      renderConsent(ctx, details, 400, requestedLimits(details), error.message);
      return;
    }
  }
  const { Grant } = deps.provider;
  const existing = details.grantId === undefined ? undefined : await Grant.find(details.grantId);
  const grant = existing ?? new Grant({ accountId: details.session.accountId, clientId: client.id });
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missingOIDCScope !== undefined) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims !== undefined) grant.addOIDCClaims(missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {}))
    grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  if (client.kind === 'agent') await deps.limits.record(grantId, limits);
  await finish(ctx, deps, { consent: existing === undefined ? { grantId } : {} }, true);
}

/** POST /interaction/:uid/abort — the user said no. */
async function abortInteraction(ctx: Context, _details: Details, deps: InteractionDeps): Promise<void> {
  await finish(
    ctx,
    deps,
    { error: 'access_denied', error_description: 'the user denied the request' },
    false,
  );
}

/** The route table: `GET /interaction/:uid` and `POST /interaction/:uid/<action>`. */
const ROUTES: Readonly<Record<string, Handler>> = {
  'GET ': showInteraction,
  'POST login': submitLogin,
  'POST confirm': submitConsent,
  'POST abort': abortInteraction,
};

const PATH = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/([a-z]+))?$/;

/**
 * DEVELOPMENT ONLY. The login and consent pages oidc-provider sends the browser to (its
 * `interactions.url`), as one Koa middleware in front of the provider's routes.
 */
export function interactionRoutes(deps: InteractionDeps) {
  return async function interactions(ctx: Context, next: Next): Promise<void> {
    const match = PATH.exec(ctx.path);
    if (match === null) {
      await next();
      return;
    }
    const handler = ROUTES[`${ctx.method} ${match[2] ?? ''}`];
    ctx.set('cache-control', 'no-store');
    ctx.set('content-security-policy', PAGE_CSP);
    ctx.set('x-content-type-options', 'nosniff');
    ctx.set('referrer-policy', 'no-referrer');
    if (handler === undefined) {
      html(ctx, 404, errorPage('Not found', 'no such page'));
      return;
    }
    try {
      const details = await deps.provider.interactionDetails(ctx.req, ctx.res);
      if (details.uid !== match[1]) throw new errors.SessionNotFound('interaction mismatch');
      await handler(ctx, details, deps);
    } catch (error) {
      if (error instanceof errors.SessionNotFound) {
        html(
          ctx,
          400,
          errorPage('Sign-in expired', 'This sign-in has expired or is already complete. Start again.'),
        );
      } else if (error instanceof FormBodyError) {
        html(ctx, error.status, errorPage('Bad request', error.message));
      } else if (error instanceof errors.OIDCProviderError) {
        html(ctx, error.statusCode, errorPage('Cannot continue', error.error_description ?? error.message));
      } else {
        deps.logger.error({ err: error, path: ctx.path }, 'interaction failed');
        html(ctx, 500, errorPage('Something went wrong', 'The sign-in could not be completed.'));
      }
    }
  };
}
