/**
 * An error caused by what the user gave (a config value, a file, a flag). The CLI prints its message
 * on one line without a stack trace and exits non-zero; library users can catch it by class.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** Training diverged: the loss became non-finite. Names the learning rate, the usual culprit. */
export class DivergenceError extends UserError {
  override name = 'DivergenceError';
  constructor(
    readonly lr: number,
    readonly step: number,
    readonly phase: string,
  ) {
    super(
      `training diverged (${phase}): the loss became non-finite at step ${step} with lr=${lr}; lower lr`,
    );
  }
}
