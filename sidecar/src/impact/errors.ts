/** Stable codes of what stops an impact analysis before it can report (the CLI exits 2 on each). */
export type ImpactErrorCode = 'bad_argument' | 'unreadable_file' | 'candidate_invalid';

/** An argument, a file or the candidate that an impact analysis cannot use; the message says which. */
export class ImpactError extends Error {
  constructor(
    readonly code: ImpactErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImpactError';
  }
}
