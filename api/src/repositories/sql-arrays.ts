/**
 * A PostgreSQL array literal (`{a,b}`) for uuids, bound as ONE escaped string and cast with
 * `?::uuid[]`: MikroORM's raw `execute` would spread a JS array into `'a', 'b'`. Only for
 * values already validated as uuids, which contain no braces, commas or quotes.
 */
export function uuidArray(ids: readonly string[]): string {
  return `{${ids.join(',')}}`;
}
