import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { OpaHttpError } from './opa-error.js';

const gunzipAsync = promisify(gunzip);

/** Default request body limit: 1 MiB, decompressed. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

function tooLarge(message: string): OpaHttpError {
  return new OpaHttpError(413, 'invalid_parameter', message, [], { connection: 'close' });
}

/** Reads a request body of at most `maxBytes` (gzip bodies allowed, the limit applying to both sizes). */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > maxBytes) throw tooLarge('request body too large');
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      // Stop collecting; the rest is discarded and the connection closes after the 413.
      request.removeListener('data', onData);
      request.resume();
      reject(tooLarge('request body too large'));
    };
    request.on('data', onData);
    request.once('end', () => {
      resolve(Buffer.concat(chunks));
    });
    request.once('error', reject);
  });
  if (request.headers['content-encoding']?.toLowerCase() !== 'gzip') return body;
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if (error instanceof RangeError) throw tooLarge('compressed request body too large');
    throw new OpaHttpError(400, 'invalid_parameter', 'body is not valid gzip');
  }
}

/**
 * The parsed body, `undefined` when it is empty. Malformed JSON, or JSON that is not an object, is
 * `400 invalid_parameter` with OPA's message prefix.
 */
export function parseJsonObject(body: Buffer, what = 'input document'): Record<string, unknown> | undefined {
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new OpaHttpError(
      400,
      'invalid_parameter',
      `body contains malformed ${what}: ${(error as Error).message}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new OpaHttpError(
      400,
      'invalid_parameter',
      `body contains malformed ${what}: the body must be a JSON object`,
    );
  }
  return parsed as Record<string, unknown>;
}
