/** An error the operator can act on: printed without a stack, with its exit code (2 = bad input or usage). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
