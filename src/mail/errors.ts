import { defineErrors } from '../http/errors.js';

/** A mail the answer depends on (a sign-up code, an invitation) could not be handed to the mail server. */
export const MailErrors = defineErrors({
  MAIL_DELIVERY_FAILED: { status: 503, message: 'The e-mail could not be sent; retry shortly.' },
});
