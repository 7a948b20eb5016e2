export { createGateway } from './gateway.js';
export type { Gateway, GatewayConfig } from './gateway.js';
export { loadNativeUws, isNative } from './native-uws.js';
