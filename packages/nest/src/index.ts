export { InjectAuthorizer, InjectForgeHttpService, InjectTokenManager } from './decorators.js';
export { ForgeModule } from './forge.module.js';
export { ForgeService } from './forge.service.js';
export {
  ForgeHealthIndicator,
  type ForgeHealthIndicatorResult,
  type ForgeHealthOptions,
} from './forge-health.indicator.js';
export { ForgeHttpModule, type ForgeHttpModuleOptions } from './forge-http.module.js';
export type { ForgeModuleAsyncOptions, ForgeModuleOptions } from './options.js';
export {
  FORGE_MODULE_OPTIONS,
  getAuthorizerToken,
  getForgeHttpServiceToken,
  getTokenManagerToken,
} from './tokens.js';
