import Type from 'typebox';
import { NeonError } from './error-codes.js';

/**
 * Ids and text as they cross the edge. Every id a client sends (path, query, body, frame, token
 * claim) must be a plain 36-character uuid; upper case is accepted and lower-cased at once, so
 * every comparison, cache key, NATS subject and announcement sees one spelling. `urn:uuid:`,
 * braces and anything else are refused.
 *
 * Text PostgreSQL cannot store as sent is refused too: U+0000 (text columns reject it) and
 * lone UTF-16 surrogates (they would be stored as U+FFFD, so what was acked is not what is kept).
 */
export const UUID_PATTERN = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$';
const UUID_RE = new RegExp(UUID_PATTERN);

/** The id schema of every contract: the validators lower-case what it matches (see `canonicalize`). */
export const Uuid = Type.String({ pattern: UUID_PATTERN, minLength: 36, maxLength: 36 });

/** The lower-case form of a uuid, or undefined for anything that is not a plain uuid. */
export function canonicalId(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length !== 36 || !UUID_RE.test(value)) return undefined;
  return value.toLowerCase();
}

/** Like `canonicalId`, but a bad id is a `validation_failed` naming `field`. */
export function requireCanonicalId(value: unknown, field: string): string {
  const id = canonicalId(value);
  if (id === undefined) throw new NeonError('validation_failed', `${field}: must be a uuid`, { details: { field } });
  return id;
}

// A search, not a whole-string match: linear, no repetition for the engine to backtrack over.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why PostgreSQL could not keep this string as it is, or undefined when it can. */
export function unstorableReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain U+0000';
  if (LONE_SURROGATE.test(text)) return 'must not contain unpaired surrogates';
  return undefined;
}

interface SchemaNode {
  readonly type?: unknown;
  readonly minimum?: unknown;
  readonly maximum?: unknown;
  readonly pattern?: unknown;
  readonly properties?: Record<string, SchemaNode>;
  readonly items?: SchemaNode;
  readonly anyOf?: readonly SchemaNode[];
}

/** Deeper than any contract goes: a schema walk never follows attacker data further. */
const MAX_SCHEMA_DEPTH = 8;

/**
 * Run on a value that already passed `schema`: lower-cases every string at a `Uuid` position
 * (in place) and refuses, as `validation_failed` naming the field, any string PostgreSQL could
 * not store. Guided by the schema, so it only visits what the schema declares: bounded by the
 * schema's depth and the validated sizes, never by the attacker's nesting.
 */
export function canonicalize(schema: unknown, value: unknown): void {
  walk(schema as SchemaNode, value, undefined, '', 0);
}

function numberFits(schema: SchemaNode, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (schema.type === 'integer' && !Number.isSafeInteger(value)) return false;
  if (typeof schema.minimum === 'number' && value < schema.minimum) return false;
  if (typeof schema.maximum === 'number' && value > schema.maximum) return false;
  return true;
}

function walk(
  schema: SchemaNode | undefined,
  value: unknown,
  assign: ((v: string) => void) | undefined,
  path: string,
  depth: number,
): void {
  if (!schema || depth > MAX_SCHEMA_DEPTH) return;
  if (schema.anyOf) {
    // The value passed one of the options: each option canonicalises what it matches.
    for (const option of schema.anyOf) walk(option, value, assign, path, depth + 1);
    return;
  }
  if (typeof value === 'string') {
    if (schema.pattern === UUID_PATTERN) {
      const id = canonicalId(value);
      if (id !== undefined && id !== value) assign?.(id);
      return;
    }
    const reason = unstorableReason(value);
    if (reason !== undefined) {
      const field = path || 'value';
      throw new NeonError('validation_failed', `${field}: ${reason}`, { details: path ? { field: path } : undefined });
    }
    return;
  }
  if (typeof value === 'number') {
    // Checked again after the validator: ajv's query coercion lets "Infinity" and "1e309" through
    // as Infinity, past `integer` and `maximum`. Every number must be finite and in its bounds.
    if (!numberFits(schema, value)) {
      const field = path || 'value';
      throw new NeonError('validation_failed', `${field}: must be a finite number within bounds`, {
        details: path ? { field: path } : undefined,
      });
    }
    return;
  }
  if (Array.isArray(value)) {
    if (!schema.items) return;
    value.forEach((item, i) => {
      walk(schema.items, item, (v) => (value[i] = v), path ? `${path}.${i}` : String(i), depth + 1);
    });
    return;
  }
  if (typeof value === 'object' && value !== null && schema.properties) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(schema.properties)) {
      if (!Object.hasOwn(record, key)) continue;
      walk(schema.properties[key], record[key], (v) => (record[key] = v), path ? `${path}.${key}` : key, depth + 1);
    }
  }
}
