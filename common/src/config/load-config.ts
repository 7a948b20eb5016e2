import type { Static, TObject, TProperties } from 'typebox';
import { Value } from 'typebox/value';

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/**
 * Reads a service's configuration from the environment, once, at start. The schema's keys are
 * the variable names; defaults and string→number/boolean conversion come from the schema.
 * The first bad or missing variable throws a ConfigError that names it.
 */
export function loadConfig<P extends TProperties>(
  schema: TObject<P>,
  env: Record<string, string | undefined> = process.env,
): Static<TObject<P>> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(schema, raw);
  const converted = Value.Convert(schema, withDefaults);
  if (Value.Check(schema, converted)) return converted as Static<TObject<P>>;
  const [first] = Value.Errors(schema, converted);
  const variable =
    first?.instancePath.replace(/^\//, '') ||
    String(first?.params && 'requiredProperties' in first.params ? first.params.requiredProperties : '(unknown)');
  const problem = variable in raw ? `${first?.message ?? 'is invalid'} (got ${JSON.stringify(raw[variable])})` : 'is required';
  throw new ConfigError(variable, problem);
}

/**
 * `loadConfig` for a service's `main.ts`: a bad or missing variable (or one `check` refuses
 * with a ConfigError) prints `<service>: invalid configuration: …` and exits with status 2.
 */
export function loadConfigOrExit<P extends TProperties>(
  service: string,
  schema: TObject<P>,
  check: (config: Static<TObject<P>>) => void = () => undefined,
): Static<TObject<P>> {
  try {
    const config = loadConfig(schema);
    check(config);
    return config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${service}: ${err.message}`);
    process.exit(2);
  }
}
