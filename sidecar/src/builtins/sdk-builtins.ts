import { addDate, clock, date, parseRfc3339Ns, weekday, type CustomBuiltinName } from './time.js';

/** A built-in as opa-wasm calls it: JSON-parsed arguments in, a JSON-serialisable value out. */
export type SdkBuiltin = (...args: unknown[]) => unknown;

/**
 * Built-ins the opa-wasm SDK (1.10) implements in JavaScript itself. With `CUSTOM_BUILTINS` (time.ts)
 * they are everything a bundle may import from its host; the engine refuses a bundle that needs more.
 */
export const OPA_WASM_SDK_BUILTINS: readonly string[] = [
  'json.is_valid',
  'regex.split',
  'sprintf',
  'yaml.is_valid',
  'yaml.marshal',
  'yaml.unmarshal',
];

/**
 * The custom built-ins in the form `loadPolicy` takes. Nanosecond results go back as JSON text in an
 * `ArrayBuffer` (the SDK passes those to WASM unchanged), so int64 values above 2^53 stay exact.
 */
export function sdkCustomBuiltins(): Record<CustomBuiltinName, SdkBuiltin> {
  return {
    'time.add_date': (ns, years, months, days) => exactNumber(addDate(ns, years, months, days)),
    'time.clock': (value) => clock(value),
    'time.date': (value) => date(value),
    'time.parse_rfc3339_ns': (value) => exactNumber(parseRfc3339Ns(value)),
    'time.weekday': (value) => weekday(value),
  };
}

/** The decimal text of an integer as bytes: digits and `-` only, so one byte a character. */
function exactNumber(value: bigint): ArrayBuffer {
  const text = value.toString();
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes.buffer;
}
