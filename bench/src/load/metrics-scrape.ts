/**
 * Reads one metric from a service's Prometheus endpoint: the sum of its series (every label
 * set), NaN when the endpoint does not list it. Cheap enough to call every second during a
 * load, unlike counting rows in PostgreSQL, which competes with the message path for the cores.
 */
export async function scrapeSum(metricsUrl: string, name: string): Promise<number> {
  const response = await fetch(metricsUrl);
  if (!response.ok) throw new Error(`${metricsUrl}: HTTP ${response.status}`);
  return sumOf(await response.text(), name);
}

/** The sum of `name`'s samples in a Prometheus text exposition; NaN when it has none. */
export function sumOf(exposition: string, name: string): number {
  let sum = NaN;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    sum = Number.isNaN(sum) ? value : sum + value;
  }
  return sum;
}
