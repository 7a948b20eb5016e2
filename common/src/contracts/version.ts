/**
 * The version of the public contract (REST, WebSocket frames, bus events), semver: a new
 * optional field or frame is a minor, anything a client could break on is a major. It is
 * `info.version` of both documents (`/docs/json`, `/docs/asyncapi.json`); CHANGELOG.md says
 * what changed in each.
 */
export const CONTRACT_VERSION = '2.1.0';
