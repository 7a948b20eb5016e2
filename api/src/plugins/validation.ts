import { AjvCompiler, type BuildCompilerFromPool, type RouteDefinition, type ValidatorFactory } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

const SHARED_AJV_OPTIONS = { removeAdditional: false, useDefaults: true, allErrors: false } as const;

type PoolOptions = Extract<NonNullable<Parameters<BuildCompilerFromPool>[1]>, { mode?: never }>;
type RouteValidatorBuilder = (route: RouteDefinition) => unknown;

/**
 * Two validators: query strings and path parameters arrive as text, so they are coerced
 * (`limit=20` → 20); JSON bodies already carry types, so a body with `"password": 123456` is
 * refused rather than quietly turned into a string.
 */
export function splitCoercionSchemaController(): NonNullable<FastifyServerOptions['schemaController']> {
  const pool = AjvCompiler();
  const buildValidator = (externalSchemas: Parameters<BuildCompilerFromPool>[0], serverOptions?: PoolOptions) => {
    const { plugins, onCreate } = serverOptions ?? {};
    const base: PoolOptions = { ...(plugins ? { plugins } : {}), ...(onCreate ? { onCreate } : {}) };
    // The pool's typings describe a schema compiler; at run time fastify hands it a route definition.
    const strict = pool(externalSchemas, {
      ...base,
      customOptions: { ...SHARED_AJV_OPTIONS, coerceTypes: false },
    }) as unknown as RouteValidatorBuilder;
    const coercing = pool(externalSchemas, {
      ...base,
      customOptions: { ...SHARED_AJV_OPTIONS, coerceTypes: 'array' },
    }) as unknown as RouteValidatorBuilder;
    return (route: RouteDefinition) => (route.httpPart === 'body' ? strict(route) : coercing(route));
  };
  return { compilersFactory: { buildValidator: buildValidator as unknown as ValidatorFactory } };
}
