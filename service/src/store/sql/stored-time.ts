/** Timestamps are stored as `toISOString()` text, so text order is time order; inputs are normalised to it. */
export function storedTime(value: string): string {
  return new Date(value).toISOString();
}
