// The whole of @neonchat/common in one import, for tools and tests. Services import the entry
// they need (`/contracts`, `/runtime`, `/db`, `/queries`), so none loads what it does not use.
export * from './contracts/mod.js';
export * from './runtime/mod.js';
export * from './db/mod.js';
