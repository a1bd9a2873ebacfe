import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The audit chain's head as anchored outside the database: one JSON line of the checkpoint file. */
export interface AuditCheckpoint {
  readonly seq: number;
  readonly mac: string;
  /** The head record's own time. */
  readonly time: string;
}

/** A checkpoint and the line of the file it was read from (1-based). */
export interface CheckpointLine extends AuditCheckpoint {
  readonly line: number;
}

/** Why the checkpoint file cannot be read: names the file and, for a malformed line, the line. */
export class CheckpointFileError extends Error {}

const FIELDS = ['mac', 'seq', 'time'];
const MAC = /^[0-9a-f]{64}$/;

function parseLine(text: string): AuditCheckpoint | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const { seq, mac, time } = value as Record<string, unknown>;
  if (Object.keys(value).sort().join() !== FIELDS.join()) return 'fields must be exactly seq, mac, time';
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1)
    return 'seq is not a positive integer';
  if (typeof mac !== 'string' || !MAC.test(mac)) return 'mac is not 64 lowercase hex digits';
  if (typeof time !== 'string' || !Number.isFinite(Date.parse(time))) return 'time is not a date-time';
  return { seq, mac, time };
}

/**
 * Every checkpoint of `file` in file order, or undefined when the file does not exist. A line
 * that is not exactly `{seq, mac, time}` (or a last line torn by a crash) is an error naming it.
 */
export async function readCheckpoints(file: string): Promise<readonly CheckpointLine[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new CheckpointFileError(`${file}: cannot be read (${code ?? String(error)})`, { cause: error });
  }
  if (text === '') return [];
  const lines = text.split('\n');
  const last = lines.pop();
  if (last !== '')
    throw new CheckpointFileError(
      `${file}: line ${lines.length + 1} does not end with a newline (a torn write?)`,
    );
  return lines.map((line, index) => {
    const parsed = parseLine(line);
    if (typeof parsed === 'string')
      throw new CheckpointFileError(`${file}: line ${index + 1} is not a checkpoint: ${parsed}`);
    return { ...parsed, line: index + 1 };
  });
}

function syncDirectory(file: string): void {
  const fd = openSync(dirname(file), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates the checkpoint file (and its folder) if missing, or checks it can be appended to: run at
 * start, so an unusable path stops the service before any record goes unanchored.
 */
export function ensureCheckpointFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  let fd: number;
  try {
    fd = openSync(file, 'ax', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    closeSync(openSync(file, 'a'));
    return;
  }
  closeSync(fd);
  syncDirectory(file);
}

/**
 * Appends one checkpoint line and fsyncs it before returning; when this creates the file, its
 * directory is fsync'd too, so the line survives a crash. O_APPEND keeps each line whole.
 */
export async function appendCheckpoint(file: string, checkpoint: AuditCheckpoint): Promise<void> {
  let created = true;
  let handle: FileHandle;
  try {
    handle = await open(file, 'ax', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    created = false;
    handle = await open(file, 'a');
  }
  try {
    const { seq, mac, time } = checkpoint;
    await handle.writeFile(`${JSON.stringify({ seq, mac, time })}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (created) syncDirectory(file);
}
