// The Worker of the workerd case: the clients (and so their token managers) live
// at module scope, built once per isolate from its bindings, so every request the
// isolate serves shares one token. Each path runs one step of the scenario.
import { env } from 'cloudflare:workers';
import { createSteps, runtimeName } from './scenario.mjs';

const steps = createSteps(JSON.parse(env.FORGE_RUNTIME_CONFIG));

const routes = {
  '/runtime': () => ({ runtime: runtimeName() }),
  '/basic': () => steps.basic(),
  '/private-key-jwt': () => steps.privateKeyJwt(),
  '/foreign': () => steps.foreign(),
  '/oauth1': () => steps.oauth1(),
  '/mtls-configuration': () => steps.mtlsConfiguration(),
};

export default {
  async fetch(request) {
    const route = routes[new URL(request.url).pathname];
    if (!route) return Response.json({ error: 'no such step' }, { status: 404 });
    try {
      return Response.json(await route());
    } catch (error) {
      return Response.json({ error: `${error?.name}: ${error?.message}` }, { status: 500 });
    }
  },
};
