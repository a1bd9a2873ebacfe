import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BundleManager } from '../bundle/bundle-manager.js';
import type { DecisionLogger } from '../decision-log/decision-logger.js';
import { EngineError } from '../errors.js';
import { readBody } from '../http/json-body.js';
import { OpaHttpError } from '../http/opa-error.js';
import { isJsonObject } from '../json-object.js';
import {
  cookieValue,
  isLoopbackAddress,
  isLoopbackHost,
  randomToken,
  sameSecret,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  Sessions,
} from './access.js';
import { consolePage, CONSOLE_CSS, loginPage, plainPage } from './pages.js';
import {
  RecentDecisions,
  type ConsoleOutcome,
  type DecisionFilter,
  type RecentDecision,
} from './recent-decisions.js';

/** What one bundle answered for an input: its value (absent when undefined) or its error. */
export interface ConsoleEvaluation {
  readonly revision: string | null;
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

/** The shadow bundle as the console shows it. */
export interface ConsoleShadowStatus {
  readonly revision: string | null;
  readonly signed: boolean;
  readonly activatedAt?: Date | undefined;
  /** The last load or verification failure, if any. */
  readonly error?: { readonly reason: string; readonly message: string; readonly at?: Date } | undefined;
}

/**
 * The shadow evaluator, as far as the console needs it: its status (`undefined` when no shadow
 * bundle is configured) and one evaluation of an input, neither logged nor enforced.
 */
export interface ConsoleShadow {
  status(): ConsoleShadowStatus | undefined;
  evaluate(path: string, input: unknown): ConsoleEvaluation;
  /**
   * Both bundles on one input, compared as disagreements are (the kinds of change, empty when the
   * service would answer the same); used instead of `evaluate` when the shadow offers it.
   */
  evaluateBoth?(path: string, input: unknown): ConsoleSideBySide;
}

/** One input on the active and the shadow bundle. */
export interface ConsoleSideBySide {
  readonly active: ConsoleEvaluation;
  /** `null` while no shadow bundle is loaded. */
  readonly shadow: ConsoleEvaluation | null;
  readonly kinds?: readonly string[];
  /** `null` without a shadow bundle. */
  readonly same: boolean | null;
}

/** What the console is built from. */
export interface ConsoleDeps {
  readonly manager: BundleManager;
  /** Its events (masked) fill the recent decisions. */
  readonly decisionLogger: DecisionLogger;
  readonly shadow?: ConsoleShadow | undefined;
  /** The access key; a fresh random one when not given (tests pass their own). */
  readonly key?: string;
  /** Recent decisions held (default 1000). */
  readonly capacity?: number;
  readonly now?: () => number;
}

/** A mounted console: its request handler, its key, and how to stop feeding it. */
export interface PolicyConsole {
  /** The access key (32 random bytes, base64url): shown once at start, never logged. */
  readonly key: string;
  readonly decisions: RecentDecisions;
  /**
   * Answers a request under `/console/` and returns true; returns false for any other path, which
   * the caller then routes as usual.
   */
  handle(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
  /** The address to open, with the key, for a server at `origin` (`http://127.0.0.1:8181`). */
  loginUrl(origin: string): string;
  /** Stops listening to the decision log. */
  close(): void;
}

/** The prefix everything of the console lives under; its cookie's `Path`. */
export const CONSOLE_PATH = '/console';

/** Whether a request target (`request.url`) is the console's: `/console` or under `/console/`. */
export function isConsolePath(target: string | undefined): boolean {
  if (target === undefined || !target.startsWith(CONSOLE_PATH)) return false;
  const next = target.charAt(CONSOLE_PATH.length);
  return next === '' || next === '/' || next === '?';
}

/**
 * The console's address for a server bound to `host`:`port`: loopback, since only loopback clients are
 * served (a wildcard bind is reached at 127.0.0.1).
 */
export function consoleOrigin(host: string, port: number): string {
  if (host === '::1' || host === '[::1]') return `http://[::1]:${port}`;
  if (host === 'localhost' || host.startsWith('127.')) return `http://${host}:${port}`;
  return `http://127.0.0.1:${port}`;
}

/** Headers on every console answer: nothing cached, no inline script, no framing, no referrer. */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
});

/** Largest evaluate body (an input and its entrypoint). */
const MAX_EVALUATE_BYTES = 256 * 1024;

/** Most decisions one list answer carries (the count says how many matched). */
const LIST_LIMIT = 200;

/**
 * The browser script, read once at start from beside this module: `assets/console.js` is plain
 * JavaScript checked by tsc (`// @ts-check`), so the same file serves under tsx from `src/` and, as
 * tsc emits it, from `dist/` in production and in the image.
 */
function readScript(): string {
  return readFileSync(new URL('./assets/console.js', import.meta.url), 'utf8');
}

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const html = (status: number, body: string, headers?: Record<string, string>): Answer => ({
  status,
  type: 'text/html; charset=utf-8',
  body,
  ...(headers === undefined ? {} : { headers }),
});
const json = (status: number, body: unknown): Answer => ({
  status,
  type: 'application/json',
  body: `${JSON.stringify(body)}\n`,
});
const redirect = (location: string, cookie?: string): Answer => ({
  status: 303,
  type: 'text/plain; charset=utf-8',
  body: `See ${location}\n`,
  headers: { location, ...(cookie === undefined ? {} : { 'set-cookie': cookie }) },
});

function write(response: ServerResponse, answer: Answer): void {
  response.writeHead(answer.status, {
    ...CONSOLE_HEADERS,
    ...answer.headers,
    'content-type': answer.type,
    'content-length': Buffer.byteLength(answer.body),
  });
  response.end(answer.body);
}

function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; Path=${CONSOLE_PATH}; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}`;
}

const CLEARED_COOKIE = `${SESSION_COOKIE}=; Path=${CONSOLE_PATH}; HttpOnly; SameSite=Strict; Max-Age=0`;

function engineError(error: unknown): { code: string; message: string } {
  if (error instanceof EngineError) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: error instanceof Error ? error.message : String(error) };
}

const OUTCOMES: readonly ConsoleOutcome[] = ['allow', 'deny', 'error', 'other'];

function filterOf(url: URL): DecisionFilter {
  const param = (name: string): string | undefined => {
    const value = url.searchParams.get(name)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const outcome = param('outcome');
  if (outcome !== undefined && !OUTCOMES.includes(outcome as ConsoleOutcome))
    throw new OpaHttpError(400, 'invalid_parameter', `outcome must be one of ${OUTCOMES.join(', ')}`);
  const shadow = param('shadow');
  return {
    action: param('action'),
    outcome: outcome as ConsoleOutcome | undefined,
    reason: param('reason'),
    subject: param('subject'),
    shadow: shadow === undefined ? undefined : shadow === 'true',
  };
}

/** A list row: everything but the event (its input and result come with the detail). */
function summary(item: RecentDecision): Omit<RecentDecision, 'event'> {
  return Object.fromEntries(Object.entries(item).filter(([name]) => name !== 'event')) as Omit<
    RecentDecision,
    'event'
  >;
}

/**
 * The policy console (`CONSOLE=on`): a small page for the security team under `/console/`, served
 * to loopback clients only. A random access key, printed once at start, is exchanged for a session
 * cookie (HttpOnly, SameSite=Strict, Path=/console); every answer is `no-store` with a strict CSP;
 * POSTs need the session and a same-origin `Origin`. It shows the active and shadow bundles, the
 * recent decisions (masked, in memory), shadow disagreements, an evaluate form and impact reports.
 */
export function createConsole(deps: ConsoleDeps): PolicyConsole {
  const key = deps.key ?? randomToken();
  const sessions = new Sessions(deps.now);
  const decisions = new RecentDecisions(deps.capacity ?? 1000);
  const unsubscribe = deps.decisionLogger.subscribe((event) => {
    decisions.add(event);
  });
  const script = readScript();

  function loggedIn(request: IncomingMessage): boolean {
    return sessions.valid(cookieValue(request, SESSION_COOKIE));
  }

  /**
   * A POST is accepted only from a page of this very origin (CSRF). Browsers say so in
   * `Sec-Fetch-Site`, which no page can set (a form's `Origin` is `null` under `no-referrer`);
   * other clients must send `Origin: http://<Host>`.
   */
  function sameOrigin(request: IncomingMessage): boolean {
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined) return site === 'same-origin';
    const origin = request.headers.origin;
    return origin !== undefined && origin === `http://${request.headers.host ?? ''}`;
  }

  function status(): unknown {
    const active = deps.manager.status();
    const shadow = deps.shadow?.status();
    return {
      active: {
        revision: active.revision ?? null,
        signed: active.signed,
        activated_at: active.activatedAt?.toISOString() ?? null,
        entrypoints: deps.manager.engine?.entrypoints ?? [],
        last_error:
          active.lastError === undefined
            ? null
            : {
                reason: active.lastError.reason,
                message: active.lastError.message,
                at: active.lastError.at.toISOString(),
              },
      },
      shadow:
        shadow === undefined
          ? null
          : {
              revision: shadow.revision,
              signed: shadow.signed,
              activated_at: shadow.activatedAt?.toISOString() ?? null,
              last_error:
                shadow.error === undefined
                  ? null
                  : {
                      reason: shadow.error.reason,
                      message: shadow.error.message,
                      at: shadow.error.at?.toISOString() ?? null,
                    },
            },
      decisions: { held: decisions.size, capacity: decisions.capacity },
    };
  }

  function evaluateActive(path: string, input: unknown): ConsoleEvaluation {
    const engine = deps.manager.engine;
    if (engine === undefined)
      return { revision: null, error: { code: 'no_bundle', message: 'no policy bundle is active' } };
    try {
      const result = engine.evaluate(path, input);
      return { revision: engine.revision, ...(result === undefined ? {} : { result }) };
    } catch (error) {
      return { revision: engine.revision, error: engineError(error) };
    }
  }

  async function evaluate(request: IncomingMessage): Promise<Answer> {
    if (!(request.headers['content-type'] ?? '').startsWith('application/json'))
      return json(415, { code: 'unsupported_media_type', message: 'send application/json' });
    let body: unknown;
    try {
      body = JSON.parse((await readBody(request, MAX_EVALUATE_BYTES)).toString('utf8'));
    } catch (error) {
      if (error instanceof OpaHttpError) throw error;
      return json(400, { code: 'invalid_parameter', message: 'the body is not JSON' });
    }
    if (!isJsonObject(body) || typeof body.path !== 'string' || !Object.hasOwn(body, 'input'))
      return json(400, { code: 'invalid_parameter', message: 'send {"path": "<entrypoint>", "input": …}' });
    const { path, input } = body;
    if (deps.shadow?.evaluateBoth !== undefined) {
      const both = deps.shadow.evaluateBoth(path, input);
      return json(200, {
        path,
        active: both.active,
        shadow: both.shadow,
        kinds: both.kinds ?? [],
        same: both.same,
      });
    }
    const active = evaluateActive(path, input);
    let shadow: ConsoleEvaluation | null = null;
    if (deps.shadow?.status() !== undefined) {
      try {
        shadow = deps.shadow.evaluate(path, input);
      } catch (error) {
        shadow = { revision: deps.shadow.status()?.revision ?? null, error: engineError(error) };
      }
    }
    const same =
      shadow === null
        ? null
        : JSON.stringify([active.result, active.error?.code]) ===
          JSON.stringify([shadow.result, shadow.error?.code]);
    return json(200, { path, active, shadow, same });
  }

  async function login(request: IncomingMessage): Promise<Answer> {
    const form = new URLSearchParams((await readBody(request, 4096)).toString('utf8'));
    return exchange(form.get('key') ?? '');
  }

  function exchange(presented: string): Answer {
    if (!sameSecret(presented, key)) return html(401, loginPage(true));
    return redirect(`${CONSOLE_PATH}/`, sessionCookie(sessions.open()));
  }

  async function route(request: IncomingMessage, url: URL): Promise<Answer> {
    const method = request.method ?? '';
    const path = url.pathname;
    if (method === 'GET' && path === `${CONSOLE_PATH}/console.css`)
      return { status: 200, type: 'text/css; charset=utf-8', body: CONSOLE_CSS };
    if (method === 'GET' && path === `${CONSOLE_PATH}/console.js`)
      return { status: 200, type: 'text/javascript; charset=utf-8', body: script };
    if (path === CONSOLE_PATH) return redirect(`${CONSOLE_PATH}/`);

    if (method === 'POST') {
      if (!sameOrigin(request))
        return html(403, plainPage('Refused', 'A console form must be sent from the console page itself.'));
      if (path === `${CONSOLE_PATH}/login`) return login(request);
      if (path === `${CONSOLE_PATH}/logout`) {
        sessions.close(cookieValue(request, SESSION_COOKIE));
        return { ...redirect(`${CONSOLE_PATH}/`, CLEARED_COOKIE) };
      }
    }

    if (method === 'GET' && path === `${CONSOLE_PATH}/`) {
      const presented = url.searchParams.get('key');
      if (presented !== null) return exchange(presented);
      return loggedIn(request) ? html(200, consolePage()) : html(401, loginPage(false));
    }

    if (!path.startsWith(`${CONSOLE_PATH}/api/`)) return json(404, { code: 'resource_not_found' });
    if (!loggedIn(request)) return json(401, { code: 'unauthorized', message: 'log in first' });
    const api = path.slice(`${CONSOLE_PATH}/api/`.length);
    if (method === 'GET' && api === 'status') return json(200, status());
    if (method === 'GET' && api === 'decisions') {
      const filter = filterOf(url);
      const listed = decisions.list(filter, LIST_LIMIT);
      // Of the kind asked for: decisions, or shadow disagreements.
      const held =
        filter.shadow === undefined ? decisions.size : decisions.list({ shadow: filter.shadow }, 0).matched;
      return json(200, {
        held,
        matched: listed.matched,
        decisions: listed.decisions.map(summary),
        facets: decisions.facets(),
      });
    }
    if (method === 'GET' && api.startsWith('decisions/')) {
      let id: string;
      try {
        id = decodeURIComponent(api.slice('decisions/'.length));
      } catch {
        return json(400, { code: 'invalid_parameter', message: 'the id is not valid percent-encoding' });
      }
      const item = decisions.get(id, url.searchParams.get('shadow') === 'true');
      return item === undefined
        ? json(404, { code: 'resource_not_found', message: 'no such recent decision' })
        : json(200, item);
    }
    if (method === 'POST' && api === 'evaluate') return evaluate(request);
    return json(404, { code: 'resource_not_found' });
  }

  return {
    key,
    decisions,
    loginUrl(origin) {
      return `${origin}${CONSOLE_PATH}/?key=${key}`;
    },
    close() {
      unsubscribe();
    },
    async handle(request, response) {
      if (!isConsolePath(request.url)) return false;
      const url = new URL(request.url ?? '/', 'http://console');
      // Not even its existence is shown to another machine.
      if (!isLoopbackAddress(request.socket.remoteAddress)) {
        write(response, json(404, { code: 'resource_not_found', message: `${url.pathname} not found` }));
        return true;
      }
      if (!isLoopbackHost(request.headers.host)) {
        write(response, html(403, plainPage('Refused', 'Open the console at 127.0.0.1 or localhost.')));
        return true;
      }
      let answer: Answer;
      try {
        answer = await route(request, url);
      } catch (error) {
        answer =
          error instanceof OpaHttpError
            ? json(error.status, error.toJSON())
            : json(500, { code: 'internal_error', message: 'internal error' });
      }
      write(response, answer);
      return true;
    },
  };
}
