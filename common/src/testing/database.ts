import pg from 'pg';
import { randomBytes } from 'node:crypto';

/** A database URL with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates an empty database (optionally from a template) and returns its URL. */
export async function createDatabase(adminUrl: string, options: { name?: string; template?: string } = {}): Promise<string> {
  const name = options.name ?? `neonchat_test_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const template = options.template ? ` template "${options.template}"` : '';
    await client.query(`create database "${name}"${template}`);
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl, name);
}
