/** A parsed JSON object (not `null`, not an array): the only shape bundles, manifests and decisions start from. */
export type JsonObject = Record<string, unknown>;

/** Whether a parsed JSON value is an object (not `null`, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
