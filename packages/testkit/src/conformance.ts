// `@forge/testkit/conformance`: the suites every storage and HTTP adapter
// runs, for third parties too. They call vitest's describe/it/expect (an
// optional peer) and use @forge/core (a peer), which the main entry never loads.
export {
  type AdapterBinding,
  type ContractClient,
  type ContractRequestOptions,
  type ContractResponse,
  runAdapterContract,
} from './conformance/adapter.js';
export {
  type ContractBody,
  isJsonBody,
  isStreamBody,
  type JsonBody,
  nodeStream,
  type StreamBody,
  webStream,
} from './conformance/bodies.js';
export { runStorageConformance, type StorageConformanceOptions } from './conformance/storage.js';
