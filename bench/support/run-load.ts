import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LoadOptions, LoadResult } from './load.js';

const exec = promisify(execFile);
const TSX = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');

/** Runs the load generator in a child process against a server of this process. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { stdout } = await exec(TSX, [join(import.meta.dirname, 'load.ts'), JSON.stringify(options)], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as LoadResult;
}
