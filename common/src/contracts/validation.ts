import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { NeonError } from './error-codes.js';
import { canonicalize } from './canonical.js';

export interface FieldError {
  /** JSON pointer of the offending field, e.g. `/chat_id`; empty for the whole value. */
  readonly path: string;
  readonly message: string;
}

/** A compiled schema: check once at the edge, then trust the typed value inside. */
export interface Validator<T extends TSchema> {
  readonly schema: T;
  check(value: unknown): value is Static<T>;
  errors(value: unknown): FieldError[];
  /**
   * The value typed, ids lower-cased in place, or a `validation_failed` NeonError naming the
   * first bad field (text PostgreSQL cannot store included).
   */
  parse(value: unknown): Static<T>;
}

export function compileValidator<T extends TSchema>(schema: T): Validator<T> {
  const compiled = Compile(schema);
  const errors = (value: unknown): FieldError[] => compiled.Errors(value).map((e) => ({ path: e.instancePath, message: e.message }));
  return {
    schema,
    check: (value: unknown): value is Static<T> => compiled.Check(value),
    errors,
    parse(value: unknown): Static<T> {
      if (compiled.Check(value)) {
        canonicalize(schema, value);
        return value;
      }
      const [first] = errors(value);
      const field = first?.path ? first.path.replace(/^\//, '').replaceAll('/', '.') : undefined;
      throw new NeonError(
        'validation_failed',
        field ? `${field}: ${first?.message ?? 'is invalid'}` : (first?.message ?? 'invalid value'),
        { details: field ? { field } : undefined },
      );
    },
  };
}
