import type Database from 'better-sqlite3';

/** How many shapes of one dynamic query are kept prepared; the oldest goes first. */
const MAX_SHAPES = 128;

/**
 * Statements of dynamic SQL (a variable number of conditions), prepared once per shape: keyed by
 * the SQL text, whose placeholders stay out of it.
 */
export class StatementCache {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** The prepared statement of this SQL text. */
  get(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      if (this.#statements.size >= MAX_SHAPES) {
        const oldest = this.#statements.keys().next();
        if (oldest.done !== true) this.#statements.delete(oldest.value);
      }
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** How many shapes are prepared (tests). */
  get size(): number {
    return this.#statements.size;
  }
}
