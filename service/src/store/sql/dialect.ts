/**
 * What differs between the SQL engines in the statements the drivers share: how a parameter is
 * written, how a list of strings is passed as one, and the boolean literals.
 */
export interface SqlDialect {
  /** The placeholder of the `n`-th parameter of a statement (from 1). */
  placeholder(n: number): string;
  /** A condition true for every row, and one true for none. */
  readonly always: string;
  readonly never: string;
  /** `column` is none of the strings of the list parameter at `placeholder`. */
  noneOf(column: string, placeholder: string): string;
  /** A list of strings as the one parameter `noneOf` reads. */
  list(values: readonly unknown[]): unknown;
}

/** SQLite: `?` placeholders, a list as JSON text read by `json_each`. */
export const SQLITE_DIALECT: SqlDialect = {
  placeholder: () => '?',
  always: '1',
  never: '0',
  noneOf: (column, placeholder) => `${column} NOT IN (SELECT value FROM json_each(${placeholder}))`,
  list: (values) => JSON.stringify(values),
};

/** PostgreSQL: `$n` placeholders, a list as a `text[]` parameter. */
export const POSTGRES_DIALECT: SqlDialect = {
  placeholder: (n) => `$${n}`,
  always: 'TRUE',
  never: 'FALSE',
  noneOf: (column, placeholder) => `${column} <> ALL (${placeholder}::text[])`,
  list: (values) => [...values],
};

/** The parameters of one statement, in order; `add` gives each one's placeholder. */
export class SqlParams {
  readonly dialect: SqlDialect;
  readonly #values: unknown[] = [];

  constructor(dialect: SqlDialect) {
    this.dialect = dialect;
  }

  /** Appends a value and returns the placeholder that stands for it. */
  add(value: unknown): string {
    this.#values.push(value);
    return this.dialect.placeholder(this.#values.length);
  }

  /** The values so far, in placeholder order. */
  get values(): readonly unknown[] {
    return this.#values;
  }
}
