import { ValidationError } from '../errors.js';
import type { Transaction } from './model.js';

/** Where a page ends: the sort key of its last row. */
export interface Cursor {
  readonly created_at: string;
  readonly id: string;
}

/** An opaque cursor for the page after `last`. */
export function encodeCursor(last: Pick<Transaction, 'created_at' | 'id'>): string {
  return Buffer.from(JSON.stringify([last.created_at, last.id])).toString('base64url');
}

/** Reads a cursor made by encodeCursor; anything else is a 400 on `query.cursor`. */
export function decodeCursor(cursor: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2) {
      const [createdAt, id] = value as unknown[];
      if (typeof createdAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(createdAt))) {
        return { created_at: createdAt, id };
      }
    }
  } catch {
    // reported below
  }
  throw new ValidationError([{ field: 'query.cursor', message: 'is not a cursor this API issued' }]);
}
