export { buildApp } from './app.js';
export type { AppDeps, AppSettings } from './app.js';
export { createApiService, DEFAULT_RATE_LIMIT_NAMESPACE } from './service.js';
export type { ApiService, ApiConfig, ApiServiceOptions } from './service.js';
export { makeDummyHash } from './routes/auth-routes.js';
