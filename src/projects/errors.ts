import { defineErrors } from '../http/errors.js';

/** Projects, project teams and spec items. */
export const ProjectErrors = defineErrors({
  PROJECT_SLUG_AMBIGUOUS: {
    status: 409,
    message: 'Several of your projects have this slug; address the project by its id (details.candidates).',
  },
  ALREADY_PROJECT_MEMBER: { status: 409, message: 'This person is already on the project team; change their role with PATCH.' },
  PARENT_NOT_FOUND: { status: 404, message: 'parent_id does not name a spec item of this project.' },
  PARENT_CYCLE: { status: 422, message: 'An item cannot be its own ancestor: this parent_id would make a cycle.' },
  INVALID_TRANSITION: {
    status: 409,
    message: "This transition is not allowed from the item's current state; details.allowed lists the ones that are.",
  },
  VERSION_CONFLICT: {
    status: 412,
    message: 'The item changed since you read it (If-Match is stale): fetch it again and reapply your change.',
  },
});
