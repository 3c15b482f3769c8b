export {
  createOAuth1Authorizer,
  type OAuth1Authorizer,
  type OAuth1AuthorizerOptions,
  oauth1Authorizer,
} from './authorizer/authorizer.js';
export { percentEncode } from './encoding/percent.js';
export {
  type AccessTokenOptions,
  type CallbackParameters,
  OAuth1Client,
  type OAuth1ClientOptions,
  type RequestTokenOptions,
} from './flow/client.js';
export { OAuth1Token, type OAuth1TokenJSON } from './flow/token.js';
export { baseStringUri, normalizeParameters, signatureBaseString } from './signing/base-string.js';
export { SIGNATURE_METHODS, type SignatureMethod } from './signing/methods.js';
export type { SignableRequest } from './signing/request.js';
export {
  OAuth1Signer,
  type OAuth1SignerOptions,
  type OAuth1TokenCredentials,
  type SignedRequest,
  type SignOptions,
} from './signing/signer.js';
export type { Transmission } from './signing/transmission.js';
