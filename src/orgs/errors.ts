import { defineErrors } from '../http/errors.js';

/** Organizations, members, invitations and billing. */
export const OrgErrors = defineErrors({
  LAST_OWNER: {
    status: 409,
    message: 'An organization must keep at least one owner: make someone else owner (or transfer ownership) first.',
  },
  ALREADY_MEMBER: { status: 409, message: 'This person is already a member of the organization.' },
  ALREADY_OWNER: { status: 409, message: 'This member is already an owner.' },
  INVITATION_PENDING: {
    status: 409,
    message: 'An invitation to this address was sent at the same moment; cancel it or try again.',
  },
  INVITATION_NOT_PENDING: { status: 409, message: 'This invitation was already accepted, canceled or has expired.' },
  INVITATION_INVALID: {
    status: 400,
    message: 'The invitation link is invalid, was already used, was canceled or has expired; ask for a new invitation.',
  },
  INVITATION_EMAIL_MISMATCH: {
    status: 403,
    message: 'This invitation was sent to another e-mail address: sign in as the invited person to accept it.',
  },
});
