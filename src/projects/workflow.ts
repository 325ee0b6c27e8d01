import type { ImplementationStatus, ItemState } from './tables.js';

/**
 * The review workflow of a spec item (new items start in `draft`, or in `inbox` if asked):
 *
 *   from       allowed next states
 *   draft      inbox                        (submit for review)
 *   inbox      accepted, rejected, draft    (decide, or send back for rework)
 *   accepted   inbox                        (reopen for review)
 *   rejected   inbox, draft                 (reconsider, or rework)
 */
export const STATE_TRANSITIONS: Record<ItemState, readonly ItemState[]> = {
  draft: ['inbox'],
  inbox: ['accepted', 'rejected', 'draft'],
  accepted: ['inbox'],
  rejected: ['inbox', 'draft'],
};

/**
 * Implementation progress: pending → in_progress → implemented → verified, with steps back
 * (in_progress → pending, implemented → in_progress, verified → in_progress for a regression) and
 * not_applicable reachable from pending/in_progress and left back to pending.
 * Work can only start on an accepted item: in_progress, implemented and verified need state `accepted`.
 */
export const IMPLEMENTATION_TRANSITIONS: Record<ImplementationStatus, readonly ImplementationStatus[]> = {
  pending: ['in_progress', 'not_applicable'],
  in_progress: ['implemented', 'pending', 'not_applicable'],
  implemented: ['verified', 'in_progress'],
  verified: ['in_progress'],
  not_applicable: ['pending'],
};

const NEEDS_ACCEPTED: readonly ImplementationStatus[] = ['in_progress', 'implemented', 'verified'];

export type TransitionVerdict = { ok: true } | { ok: false; reason: string; allowed: readonly string[] };

export function checkStateTransition(from: ItemState, to: ItemState): TransitionVerdict {
  const allowed = STATE_TRANSITIONS[from];
  if (allowed.includes(to)) return { ok: true };
  return { ok: false, reason: from === to ? 'already_in_state' : 'not_allowed', allowed };
}

export function checkImplementationTransition(state: ItemState, from: ImplementationStatus, to: ImplementationStatus): TransitionVerdict {
  const allowed = IMPLEMENTATION_TRANSITIONS[from];
  if (!allowed.includes(to)) return { ok: false, reason: from === to ? 'already_in_status' : 'not_allowed', allowed };
  if (NEEDS_ACCEPTED.includes(to) && state !== 'accepted') {
    return { ok: false, reason: 'item_not_accepted', allowed: allowed.filter((s) => !NEEDS_ACCEPTED.includes(s)) };
  }
  return { ok: true };
}

/** Where an item may go from here: the moves the two transition endpoints would accept now. */
export function allowedTransitions(state: ItemState, status: ImplementationStatus): { state: ItemState[]; implementation_status: ImplementationStatus[] } {
  return {
    state: [...STATE_TRANSITIONS[state]],
    implementation_status: IMPLEMENTATION_TRANSITIONS[status].filter((to) => checkImplementationTransition(state, status, to).ok),
  };
}
