import { defineErrors } from '../http/errors.js';

export const CreditErrors = defineErrors({
  INSUFFICIENT_CREDITS: { status: 402, message: 'The organization does not have enough credits left for this debit.' },
  IDEMPOTENCY_CONFLICT: {
    status: 409,
    message: 'This idempotency_key was already used for a debit with a different amount or reason.',
  },
});
