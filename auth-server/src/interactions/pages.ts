import { LIMIT_PARAMS, limitFieldValue, type AgentLimits } from '../agent-limits.js';
import { DEV_ONE_TIME_CODE, DEV_PASSWORD } from '../accounts.js';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** The Content-Security-Policy of every page: no scripts, nothing framed, inline styles only. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}' +
  'label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem}' +
  'button{margin-top:1rem;padding:.5rem 1rem}.error{color:#a00}.note{color:#555;font-size:.9rem}';

function layout(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>` +
    `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`
  );
}

function input(name: string, label: string, type: string, value = ''): string {
  return (
    `<label for="${name}">${escapeHtml(label)}</label>` +
    `<input id="${name}" name="${name}" type="${type}" value="${escapeHtml(value)}">`
  );
}

function error(message: string | undefined): string {
  return message === undefined ? '' : `<p class="error" role="alert">${escapeHtml(message)}</p>`;
}

function scopeList(scopes: readonly string[]): string {
  if (scopes.length === 0) return '<p>No API access.</p>';
  return `<ul>${scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('')}</ul>`;
}

/** The sign-in form; `mfaRequired` when the request asked for urn:verdict:acr:mfa. */
export function loginPage(page: {
  readonly uid: string;
  readonly clientName: string;
  readonly mfaRequired: boolean;
  readonly username?: string;
  readonly error?: string;
}): string {
  const otpLabel = page.mfaRequired ? 'One-time code (required)' : 'One-time code (optional, for step-up)';
  return layout(
    'Sign in to Verdict',
    `<p>to continue to <strong>${escapeHtml(page.clientName)}</strong></p>${error(page.error)}` +
      `<form method="post" action="${escapeHtml(page.uid)}/login">` +
      input('username', 'Username', 'text', page.username) +
      input('password', 'Password', 'password') +
      input('otp', otpLabel, 'text') +
      '<button type="submit">Sign in</button></form>' +
      `<p class="note">Development server: every user's password is <code>${DEV_PASSWORD}</code>, ` +
      `the one-time code <code>${DEV_ONE_TIME_CODE}</code>.</p>`,
  );
}

/** The consent form; an agent's also shows the limits requested, which the user may change. */
export function consentPage(page: {
  readonly uid: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  readonly agent: boolean;
  readonly limits: AgentLimits;
  readonly error?: string;
}): string {
  const labels = {
    transaction_amount_limit: 'Largest amount it may see or create (minor units, blank for none)',
    transaction_not_older_than: 'Oldest transaction it may see (days, or YYYY-MM-DD; blank for none)',
    excluded_categories: 'Categories it may never touch (space separated)',
  };
  const limits = page.agent
    ? '<p>This is an <strong>AI agent</strong>. Limits it will be held to:</p>' +
      LIMIT_PARAMS.map((param) =>
        input(param, labels[param], 'text', limitFieldValue(page.limits, param)),
      ).join('')
    : '';
  return layout(
    'Allow access?',
    `<p><strong>${escapeHtml(page.clientName)}</strong> asks for:</p>${scopeList(page.scopes)}${error(page.error)}` +
      `<form method="post" action="${escapeHtml(page.uid)}/confirm">${limits}` +
      '<button type="submit">Allow</button></form>' +
      `<form method="post" action="${escapeHtml(page.uid)}/abort"><button type="submit">Deny</button></form>`,
  );
}

/** A page that ends the interaction with an error. */
export function errorPage(title: string, message: string): string {
  return layout(title, `<p>${escapeHtml(message)}</p>`);
}
