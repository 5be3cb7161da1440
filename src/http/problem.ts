/** An HTTP error with a JSON body that says what is wrong: `{ ok: false, error, message, issues? }`. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: readonly { path: string; message: string }[],
  ) {
    super(message);
  }

  toJSON(): object {
    return { ok: false, error: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) };
  }
}
