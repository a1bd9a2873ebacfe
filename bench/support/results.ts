import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Prints a results table (a title line, a header, rows) and records it in bench/results/<name>.md. */
export function report(
  name: string,
  title: string,
  header: readonly string[],
  rows: readonly string[],
): void {
  const table = [
    `${title}, ${new Date().toISOString()}, node ${process.version}`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  const dir = join(import.meta.dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.md`), `${table}\n`);
}
