import type { JsonObject } from './cases.js';

/**
 * Whether a row passes a list filter as the store applies it (ARCHITECTURE.md, List filter): the
 * clauses are ORed, the fields of one clause ANDed; an empty `any_of` passes nothing.
 */
export function matchesFilter(anyOf: readonly JsonObject[], row: JsonObject): boolean {
  return anyOf.some((clause) => matchesClause(clause, row));
}

function matchesClause(clause: JsonObject, row: JsonObject): boolean {
  return Object.entries(clause).every(([field, value]) => {
    switch (field) {
      case 'owner':
      case 'department':
      case 'currency':
        return row[field] === value;
      case 'created_at_gte':
        return (
          typeof row.created_at === 'string' &&
          typeof value === 'string' &&
          Date.parse(row.created_at) >= Date.parse(value)
        );
      case 'amount_minor_lte':
        return typeof row.amount_minor === 'number' && typeof value === 'number' && row.amount_minor <= value;
      case 'category_not_in':
        return Array.isArray(value) && typeof row.category === 'string' && !value.includes(row.category);
      default:
        throw new Error(`unknown list-filter field ${field}`);
    }
  });
}
