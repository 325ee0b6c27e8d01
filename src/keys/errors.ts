import { defineErrors } from '../http/errors.js';

export const KeyErrors = defineErrors({
  KEY_NOT_FOUND: { status: 404, message: 'No such API key in this organization (or it is not yours to see).' },
  KEY_ALREADY_REVOKED: { status: 409, message: 'This API key is revoked (or already rotated); there is nothing to rotate.' },
});
