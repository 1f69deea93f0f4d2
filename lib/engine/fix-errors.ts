// The errors a fix reports; apart from fix.ts so the lock can raise them too.

/** Raised when the objects changed between the preview and the apply. */
export class FixConflictError extends Error {
  readonly status = 409;
  constructor(
    message: string,
    /** The plan as it is now, when the refusal is "the plan changed since you previewed it". */
    readonly plan?: unknown,
  ) {
    super(message);
    this.name = 'FixConflictError';
  }
}

/** Raised when a fix failed; says what state the cluster is left in. */
export class FixFailedError extends Error {
  constructor(
    message: string,
    readonly steps: string[],
    readonly status = 500,
  ) {
    super(message);
    this.name = 'FixFailedError';
  }
}
