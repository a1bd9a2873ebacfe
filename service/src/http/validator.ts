import { Ajv, type ErrorObject, type Schema } from 'ajv';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import addFormatsModule from 'ajv-formats';
import { ValidationError, type FieldError } from '../errors.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function fieldErrors(location: string, errors: readonly ErrorObject[]): FieldError[] {
  const seen = new Set<string>();
  const result: FieldError[] = [];
  for (const error of errors) {
    const path = error.instancePath.split('/').slice(1).join('.');
    let field = path === '' ? location : `${location}.${path}`;
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'additionalProperties') {
      field = `${field}.${(error.params as { additionalProperty: string }).additionalProperty}`;
      message = 'is not allowed';
    } else if (error.keyword === 'required') {
      field = `${field}.${(error.params as { missingProperty: string }).missingProperty}`;
      message = 'is required';
    } else if (error.keyword === 'enum') {
      message = `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    }
    const key = `${field}\u0000${message}`;
    if (!seen.has(key)) result.push({ field, message });
    seen.add(key);
  }
  return result;
}

/** RFC 3339 date-time that JavaScript can also represent (no leap second `:60`, a real calendar day). */
function isInstant(value: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/.test(value) &&
    !Number.isNaN(Date.parse(value)) &&
    Number(value.slice(17, 19)) < 60 &&
    new Date(`${value.slice(0, 10)}T00:00:00Z`).toISOString().startsWith(value.slice(0, 10))
  );
}

function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    strict: true,
    allErrors: true,
    coerceTypes,
    useDefaults: true,
    allowUnionTypes: true,
  });
  addFormats(ajv);
  ajv.addFormat('date-time', { type: 'string', validate: isInstant });
  return ajv;
}

const bodies = makeAjv(false);
const queries = makeAjv(true);

/** A validator that returns the typed value or throws `400 validation_failed` naming every failing field. */
export type Validate<T> = (value: unknown) => T;

/**
 * Compiles a JSON Schema (ajv, strict) for the request part named by `location` (`body`, `query`,
 * `headers.X`); a `query` has its strings coerced to the schema's types, defaults filled in. The
 * value's type is derived from the schema (json-schema-to-ts), so a body's shape is written once.
 */
export function validator<const S extends JSONSchema, T = FromSchema<S>>(
  location: string,
  schema: S,
): Validate<T> {
  const check = (location === 'query' ? queries : bodies).compile(schema as Schema);
  return (value) => {
    if (check(value)) return value as T;
    throw new ValidationError(fieldErrors(location, check.errors ?? []));
  };
}
