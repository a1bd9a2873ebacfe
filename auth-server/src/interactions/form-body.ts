import type { IncomingMessage } from 'node:http';

/** A form body that cannot be read; `status` is the HTTP status to answer with. */
export class FormBodyError extends Error {
  constructor(
    readonly status: 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'FormBodyError';
  }
}

/** Interaction forms are a few short fields. */
const MAX_BYTES = 8 * 1024;

/** Reads an `application/x-www-form-urlencoded` body of at most 8 KiB into its first values by name. */
export async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    throw new FormBodyError(415, 'expected a form submission');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BYTES) throw new FormBodyError(413, 'form too large');
    chunks.push(chunk as Buffer);
  }
  const form: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
    if (!(name in form)) form[name] = value;
  return form;
}
