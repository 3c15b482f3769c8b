import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import { readBody } from '../shared/listen.js';
import { checkUser } from './grants/password.js';
import type { TestUser } from './options.js';

const escapeHtml = (value: string): string =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function page(res: ServerResponse, status: number, title: string, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
  );
}

/**
 * The login and consent steps of the authorization endpoint. A plain HTML form
 * (usable by a person running the demo) posting back to the same URL; the
 * headless driver in `authorize.ts` posts the same form. Consent grants every
 * scope, claim and resource the client asked for: this is a first-party test server.
 */
export function createInteractionHandler(provider: Provider, users: readonly TestUser[]) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const details = await provider.interactionDetails(req, res);
    const { uid, prompt, params } = details;
    const action = `/interaction/${encodeURIComponent(uid)}`;
    if (req.method === 'GET') {
      if (prompt.name === 'login') {
        page(
          res,
          200,
          'Sign in',
          `<form method="post" action="${action}"><label>Username <input name="username" autofocus></label> <label>Password <input name="password" type="password"></label> <button>Sign in</button></form>`,
        );
      } else {
        page(
          res,
          200,
          'Authorize',
          `<p>Client <code>${escapeHtml(String(params.client_id))}</code> asks for <code>${escapeHtml(String(params.scope ?? ''))}</code>.</p><form method="post" action="${action}"><button>Allow</button></form>`,
        );
      }
      return;
    }
    const form = new URLSearchParams(await readBody(req));
    if (prompt.name === 'login') {
      const user = checkUser(users, form.get('username'), form.get('password'));
      if (!user) {
        page(res, 401, 'Sign in failed', '<p>Unknown username or wrong password.</p>');
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.username } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const accountId = details.session?.accountId;
    const clientId = String(params.client_id);
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) ??
        new provider.Grant({ accountId, clientId }))
      : new provider.Grant({ accountId, clientId });
    const missing = prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  };
}
