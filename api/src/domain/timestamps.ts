/**
 * Timestamps from raw queries arrive as strings (MikroORM's pg driver keeps them unparsed) or
 * Dates (entities): both become ISO-8601 UTC here.
 */
export function toIso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
