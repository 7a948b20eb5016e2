export { createGateway } from './gateway.js';
export type { Gateway, GatewayConfig } from './gateway.js';
export {
  loadNativeUws,
  loadAndNameUws,
  installedUwsBuilds,
  isNative,
  NoNativeUwsError,
  UWS_BUILDS,
  UWS_MAX_HEADERS_BYTES,
} from './native-uws.js';
export type { LoadedUws, UwsBuild } from './native-uws.js';
export { upgradeCredentials } from './upgrade-auth.js';
export { TokenBucket } from './rate-limit.js';
export { TYPING_TIMEOUT_MS } from './typing-tracker.js';
export { HISTORY_SIZE } from './catch-up.js';
