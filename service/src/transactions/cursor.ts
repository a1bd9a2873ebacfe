import { ValidationError } from '../errors.js';

/** Where a page ends: the sort key of its last row. */
export interface Cursor {
  readonly created_at: string;
  readonly id: string;
}

/**
 * The `cursor` query parameter: `<created_at in epoch ms>.<id>`. Every value the pattern admits
 * decodes to a position, so the schema says exactly what the API takes.
 */
export const cursorSchema = { type: 'string', pattern: '^[0-9]{1,15}\\.[A-Za-z0-9-]{1,64}$' } as const;

const CURSOR = new RegExp(cursorSchema.pattern);

/** An opaque cursor for the page after `last`. */
export function encodeCursor(last: Cursor): string {
  return `${Date.parse(last.created_at)}.${last.id}`;
}

/** Reads a cursor made by encodeCursor; anything else is a 400 on `query.cursor`. */
export function decodeCursor(cursor: string): Cursor {
  const match = CURSOR.exec(cursor);
  const [ms, id] = match === null ? [] : cursor.split('.');
  if (ms === undefined || id === undefined)
    throw new ValidationError([{ field: 'query.cursor', message: 'is not a cursor this API issued' }]);
  return { created_at: new Date(Number(ms)).toISOString(), id };
}
