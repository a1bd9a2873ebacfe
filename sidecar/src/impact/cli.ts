import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { describe } from '../errors.js';
import { Acknowledgements } from './acknowledgements.js';
import { loadCandidate } from './candidate.js';
import { ImpactError } from './errors.js';
import { analyzeImpact } from './impact.js';
import { renderMarkdown } from './markdown.js';

// npm run policy:impact -- --candidate <bundle.tar.gz | policies dir> --log <decision log>
//   [--since <RFC 3339>] [--format md|json] [--accept <file>] [--out <file>] [--keys <keys.json>]
//   [--examples <n>]
// Exit 0: no decision changes (or every change is acknowledged); 1: some do; 2: bad arguments or
// unreadable files.

const USAGE =
  'usage: npm run policy:impact -- --candidate <bundle.tar.gz|policies dir> --log <decision log> ' +
  '[--since <RFC 3339>] [--format md|json] [--accept <file>] [--out <file>] [--keys <keys.json>] [--examples <n>]';

interface Arguments {
  readonly candidate: string;
  readonly log: string;
  readonly since: string | undefined;
  readonly format: 'md' | 'json';
  readonly accept: string | undefined;
  readonly out: string | undefined;
  readonly keys: string | undefined;
  readonly examples: number;
}

function parse(argv: readonly string[]): Arguments | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        candidate: { type: 'string' },
        log: { type: 'string' },
        since: { type: 'string' },
        format: { type: 'string' },
        accept: { type: 'string' },
        out: { type: 'string' },
        keys: { type: 'string' },
        examples: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new ImpactError('bad_argument', describe(error));
  }
  if (values.help === true) return 'help';
  if (values.candidate === undefined) throw new ImpactError('bad_argument', '--candidate is required');
  if (values.log === undefined) throw new ImpactError('bad_argument', '--log is required');
  const format = values.format ?? 'md';
  if (format !== 'md' && format !== 'json')
    throw new ImpactError('bad_argument', `--format must be md or json, got "${format}"`);
  const examples = values.examples === undefined ? 3 : Number(values.examples);
  if (!Number.isSafeInteger(examples) || examples < 0 || examples > 1000)
    throw new ImpactError(
      'bad_argument',
      `--examples must be a whole number from 0 to 1000, got "${values.examples ?? ''}"`,
    );
  return {
    candidate: values.candidate,
    log: values.log,
    since: values.since,
    format,
    accept: values.accept,
    out: values.out,
    keys: values.keys,
    examples,
  };
}

/** Runs the command; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const args = parse(argv);
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const acknowledgements =
    args.accept === undefined ? undefined : await Acknowledgements.fromFile(args.accept);
  const candidate = await loadCandidate(args.candidate, { keys: args.keys });
  const report = await analyzeImpact({
    candidate,
    log: args.log,
    since: args.since,
    acknowledgements,
    acknowledgementsPath: args.accept,
    examples: args.examples,
  });
  const text = args.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderMarkdown(report);
  if (args.out === undefined) process.stdout.write(text);
  else {
    try {
      await writeFile(args.out, text);
    } catch (error) {
      throw new ImpactError('unreadable_file', `--out: cannot write ${args.out}: ${describe(error)}`, {
        cause: error,
      });
    }
    const { summary } = report;
    process.stderr.write(
      `policy-impact: ${summary.changed} of ${summary.decisions} decisions change, ${summary.cannot_replay} cannot be replayed, ` +
        `${summary.unacknowledged} not acknowledged; report in ${args.out}\n`,
    );
  }
  return report.exit_code;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ImpactError)) throw error;
  process.stderr.write(`policy-impact: ${error.message.split('\n')[0] ?? ''}\n`);
  process.exitCode = 2;
}
