/**
 * A session's User-Agent as people name their devices ("Firefox on Windows"). Hand-written on
 * purpose: a UA parser library would outweigh the rest of the bundle for one label, and the
 * sessions list shows the full string under it anyway. Order matters: Edge and Opera also say
 * "Chrome", Chrome also says "Safari", iOS also says "Mac OS X".
 */
const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/Chrom(e|ium)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];
const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/Android/, 'Android'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Linux|X11/, 'Linux'],
];

const firstMatch = (rules: ReadonlyArray<readonly [RegExp, string]>, ua: string) => rules.find(([pattern]) => pattern.test(ua))?.[1];

export function deviceName(userAgent: string): string {
  const browser = firstMatch(BROWSERS, userAgent);
  const system = firstMatch(SYSTEMS, userAgent);
  if (browser && system) return `${browser} on ${system}`;
  const either = browser ?? system;
  if (either) return either;
  return userAgent.trim() ? userAgent.trim().slice(0, 40) : 'Unknown device';
}
