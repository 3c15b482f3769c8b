// Lets Node run the workspace's TypeScript sources directly: package sources
// import siblings as `./x.js` (the ESM convention TypeScript compiles), so a
// `.js` specifier that does not exist is retried as `.ts`. No build needed.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.endsWith('.js')) throw error;
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
  },
});
