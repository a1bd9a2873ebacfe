import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '../openapi.js';

/** Writes openapi.json at the repository root from the schemas the service validates with. */
export const OPENAPI_FILE = join(import.meta.dirname, '..', '..', '..', 'openapi.json');

/** The committed file's exact text for a document. */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

if (process.argv[1] === import.meta.filename) {
  writeFileSync(OPENAPI_FILE, openApiText());
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}
