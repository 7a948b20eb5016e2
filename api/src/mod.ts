export { buildApp } from './app.js';
export type { AppDeps, AppSettings } from './app.js';
export { createApiService } from './service.js';
export type { ApiService, ApiConfig } from './service.js';
