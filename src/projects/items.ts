import { sql, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import type { AppContext } from '../context.js';
import type { Database } from '../db/schema.js';
import type { Executor, Trx } from '../db/index.js';
import { HttpErrors } from '../http/errors.js';
import { newId } from '../lib/random.js';
import { countRows, offsetOf, type Page } from '../db/paging.js';
import { ProjectErrors } from './errors.js';
import type { ImplementationStatus, ItemState, ItemType, Priority, SpecItemsTable } from './tables.js';
import { checkImplementationTransition, checkStateTransition, type TransitionVerdict } from './workflow.js';

/*
 * Spec items. Permalinks (F-n, T-n) come from a per-project counter bumped by an atomic
 * `UPDATE … RETURNING` inside the insert's transaction: the row lock serializes concurrent creations, a
 * failed insert rolls the bump back (no gaps), and the counter never goes down (no reuse after delete).
 * Every write is a guarded `UPDATE … WHERE version = ?`, so a stale `If-Match` loses with 412, never silently.
 */

const PERMALINK = /^([FT])-([1-9][0-9]{0,9})$/i;
const MAX_ITEM_NUMBER = 2_147_483_647;
const PREFIX: Record<ItemType, string> = { functional: 'F', technical: 'T' };

export const permalinkOf = (item: Pick<SpecItemsTable, 'type_of' | 'number'>): string => `${PREFIX[item.type_of]}-${item.number}`;

/** "Item `ref` (id or permalink, e.g. `F-3`, `t-12`) of project `projectId`", for a WHERE of a select or an update. */
function itemMatch(projectId: string, ref: string) {
  const permalink = PERMALINK.exec(ref);
  // Item numbers are 32-bit integers: a larger one names no item (and must not reach PostgreSQL as one).
  const match = permalink && Number(permalink[2]) <= MAX_ITEM_NUMBER ? permalink : null;
  return (eb: ExpressionBuilder<Database, 'spec_items'>) =>
    match
      ? eb.and([
          eb('project_id', '=', projectId),
          eb('type_of', '=', match[1]!.toUpperCase() === 'F' ? 'functional' : 'technical'),
          eb('number', '=', Number(match[2])),
        ])
      : eb.and([eb('project_id', '=', projectId), eb('id', '=', ref)]);
}

/** An item of the project by id or permalink (`F-3`, `t-12`), inside the caller's transaction or not. */
export async function findItem(db: Executor, projectId: string, ref: string): Promise<SpecItemsTable | undefined> {
  return db.selectFrom('spec_items').selectAll().where(itemMatch(projectId, ref)).executeTakeFirst();
}

/**
 * Reads an item for a write and takes its row lock for the rest of the transaction (a no-op UPDATE …
 * RETURNING: portable, where SELECT … FOR UPDATE is not). Checks made on what it returns stay true
 * until the transaction ends.
 */
async function lockItem(trx: Trx, projectId: string, ref: string): Promise<SpecItemsTable> {
  const item = await trx
    .updateTable('spec_items')
    .set((eb) => ({ version: eb.ref('version') }))
    .where(itemMatch(projectId, ref))
    .returningAll()
    .executeTakeFirst();
  if (!item) throw HttpErrors.NOT_FOUND();
  return item;
}

async function findItemOr404(db: Executor, projectId: string, ref: string): Promise<SpecItemsTable> {
  const item = await findItem(db, projectId, ref);
  if (!item) throw HttpErrors.NOT_FOUND();
  return item;
}

/** Serializes writes that depend on the shape of the item tree (parents) within one project. */
async function lockProject(trx: Trx, projectId: string): Promise<void> {
  const row = await trx
    .updateTable('projects')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', projectId)
    .returning('id')
    .executeTakeFirst();
  if (!row) throw HttpErrors.NOT_FOUND();
}

/** The parent an input names (id or permalink), which must be an item of the same project. */
async function resolveParent(trx: Trx, projectId: string, ref: string): Promise<SpecItemsTable> {
  const parent = await findItem(trx, projectId, ref);
  if (!parent) throw ProjectErrors.PARENT_NOT_FOUND({ parent_id: ref });
  return parent;
}

const MAX_DEPTH = 1000;

/** 422 when making `parent` the parent of `itemId` would close a loop (or the tree is absurdly deep). */
async function assertNoCycle(trx: Trx, itemId: string, parent: SpecItemsTable): Promise<void> {
  let cursor: string | null = parent.id;
  for (let depth = 0; cursor !== null; depth++) {
    if (cursor === itemId || depth > MAX_DEPTH) throw ProjectErrors.PARENT_CYCLE({ parent_id: parent.id });
    const row: { parent_id: string | null } | undefined = await trx.selectFrom('spec_items').select('parent_id').where('id', '=', cursor).executeTakeFirst();
    cursor = row?.parent_id ?? null;
  }
}

async function writeTags(trx: Trx, itemId: string, tags: string[], replace: boolean): Promise<void> {
  if (replace) await trx.deleteFrom('spec_item_tags').where('item_id', '=', itemId).execute();
  if (tags.length > 0)
    await trx
      .insertInto('spec_item_tags')
      .values(tags.map((tag) => ({ item_id: itemId, tag })))
      .execute();
}

export interface NewItem {
  type_of: ItemType;
  title: string;
  description: string;
  priority: Priority;
  tags: string[];
  parent_id: string | null;
  state: Extract<ItemState, 'draft' | 'inbox'>;
}

export async function createItem(ctx: AppContext, projectId: string, userId: string, input: NewItem): Promise<SpecItemsTable> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const counter = input.type_of === 'functional' ? 'functional_seq' : 'technical_seq';
    // The bump takes the project's row lock: allocation and insert commit together or not at all.
    const bumped = await trx
      .updateTable('projects')
      .set((eb) => ({ [counter]: eb(counter, '+', 1) }))
      .where('id', '=', projectId)
      .returning([counter])
      .executeTakeFirst();
    if (!bumped) throw HttpErrors.NOT_FOUND();
    const parent = input.parent_id === null ? null : await resolveParent(trx, projectId, input.parent_id);
    const item: SpecItemsTable = {
      id: newId('itm'),
      project_id: projectId,
      type_of: input.type_of,
      number: Number((bumped as Record<string, number>)[counter]),
      title: input.title,
      description: input.description,
      priority: input.priority,
      tags: JSON.stringify(input.tags),
      parent_id: parent?.id ?? null,
      state: input.state,
      implementation_status: 'pending',
      version: 1,
      created_by: userId,
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('spec_items').values(item).execute();
    await writeTags(trx, item.id, input.tags, false);
    return item;
  });
}

export interface ItemPatch {
  title?: string;
  description?: string;
  priority?: Priority;
  tags?: string[];
  parent_id?: string | null;
}

type Changes = Partial<Pick<SpecItemsTable, 'title' | 'description' | 'priority' | 'tags' | 'parent_id' | 'state' | 'implementation_status'>>;

/**
 * The one way an item changes: `UPDATE … SET version = version + 1 WHERE id = ? AND version = ?`, after
 * lockItem. `expected` is the If-Match version (null: none sent, the locked row's version is used).
 * A stale If-Match is a 412 VERSION_CONFLICT; nothing is written.
 */
async function guardedUpdate(trx: Trx, ctx: AppContext, item: SpecItemsTable, expected: number | null, changes: Changes): Promise<SpecItemsTable> {
  const version = expected ?? item.version;
  const updated = await trx
    .updateTable('spec_items')
    .set((eb) => ({ ...changes, version: eb('version', '+', 1), updated_at: ctx.clock.now() }))
    .where('id', '=', item.id)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();
  if (!updated) {
    const current = await trx.selectFrom('spec_items').select('version').where('id', '=', item.id).executeTakeFirst();
    if (!current) throw HttpErrors.NOT_FOUND();
    throw ProjectErrors.VERSION_CONFLICT({ expected_version: version, current_version: current.version });
  }
  return updated;
}

function versionMismatch(item: SpecItemsTable, expected: number | null): void {
  if (expected !== null && expected !== item.version) {
    throw ProjectErrors.VERSION_CONFLICT({ expected_version: expected, current_version: item.version });
  }
}

export async function updateItem(ctx: AppContext, projectId: string, ref: string, expected: number | null, patch: ItemPatch): Promise<SpecItemsTable> {
  return ctx.db.transaction().execute(async (trx) => {
    if (patch.parent_id !== undefined) await lockProject(trx, projectId);
    const item = await lockItem(trx, projectId, ref);
    versionMismatch(item, expected);
    const changes: Changes = {};
    if (patch.title !== undefined) changes.title = patch.title;
    if (patch.description !== undefined) changes.description = patch.description;
    if (patch.priority !== undefined) changes.priority = patch.priority;
    if (patch.tags !== undefined) changes.tags = JSON.stringify(patch.tags);
    if (patch.parent_id === null) changes.parent_id = null;
    else if (patch.parent_id !== undefined) {
      const parent = await resolveParent(trx, projectId, patch.parent_id);
      await assertNoCycle(trx, item.id, parent);
      changes.parent_id = parent.id;
    }
    const updated = await guardedUpdate(trx, ctx, item, expected, changes);
    if (patch.tags !== undefined) await writeTags(trx, item.id, patch.tags, true);
    return updated;
  });
}

function refuse(verdict: TransitionVerdict, from: string, to: string): void {
  if (!verdict.ok) throw ProjectErrors.INVALID_TRANSITION({ from, to, reason: verdict.reason, allowed: [...verdict.allowed] });
}

export async function transitionState(ctx: AppContext, projectId: string, ref: string, expected: number | null, to: ItemState): Promise<SpecItemsTable> {
  return ctx.db.transaction().execute(async (trx) => {
    const item = await lockItem(trx, projectId, ref);
    versionMismatch(item, expected);
    refuse(checkStateTransition(item.state, to), item.state, to);
    return guardedUpdate(trx, ctx, item, expected, { state: to });
  });
}

export async function transitionImplementation(
  ctx: AppContext,
  projectId: string,
  ref: string,
  expected: number | null,
  to: ImplementationStatus,
): Promise<SpecItemsTable> {
  return ctx.db.transaction().execute(async (trx) => {
    const item = await lockItem(trx, projectId, ref);
    versionMismatch(item, expected);
    refuse(checkImplementationTransition(item.state, item.implementation_status, to), item.implementation_status, to);
    return guardedUpdate(trx, ctx, item, expected, { implementation_status: to });
  });
}

/** Deletes an item; its children lose their parent (set null), its permalink is never handed out again. */
export async function deleteItem(ctx: AppContext, projectId: string, ref: string, expected: number | null): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await lockProject(trx, projectId);
    const item = await lockItem(trx, projectId, ref);
    versionMismatch(item, expected);
    await trx.deleteFrom('spec_items').where('id', '=', item.id).execute();
  });
}

export async function getItem(ctx: AppContext, projectId: string, ref: string): Promise<SpecItemsTable> {
  return findItemOr404(ctx.db, projectId, ref);
}

// ---------------------------------------------------------------------------------------------------
// Listing

export const SORT_FIELDS = ['created_at', 'updated_at', 'title', 'priority', 'permalink', 'state', 'implementation_status'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export interface ItemFilter {
  type_of?: ItemType;
  state?: ItemState;
  implementation_status?: ImplementationStatus;
  tag?: string;
  q?: string;
  /** An item id or permalink, or `none` for top-level items. */
  parent_id?: string;
  sort: { field: SortField; descending: boolean };
}

/** `q` as a LIKE pattern: the user's %, _ and \ match themselves. */
export function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

type ItemQuery = SelectQueryBuilder<Database, 'spec_items', object>;

async function applyFilter(db: Executor, projectId: string, query: ItemQuery, filter: ItemFilter): Promise<ItemQuery | null> {
  let q = query.where('project_id', '=', projectId);
  if (filter.type_of) q = q.where('type_of', '=', filter.type_of);
  if (filter.state) q = q.where('state', '=', filter.state);
  if (filter.implementation_status) q = q.where('implementation_status', '=', filter.implementation_status);
  if (filter.tag !== undefined) {
    const tag = filter.tag;
    q = q.where((eb) =>
      eb.exists(eb.selectFrom('spec_item_tags as t').select('t.item_id').whereRef('t.item_id', '=', 'spec_items.id').where('t.tag', '=', tag)),
    );
  }
  if (filter.q !== undefined && filter.q !== '') {
    const pattern = likePattern(filter.q);
    q = q.where((eb) =>
      eb.or([sql<boolean>`lower(${eb.ref('title')}) like ${pattern} escape '\\'`, sql<boolean>`lower(${eb.ref('description')}) like ${pattern} escape '\\'`]),
    );
  }
  if (filter.parent_id !== undefined) {
    if (filter.parent_id === 'none') q = q.where('parent_id', 'is', null);
    else {
      const parent = await findItem(db, projectId, filter.parent_id);
      if (!parent) return null; // a parent outside this project has no children here
      q = q.where('parent_id', '=', parent.id);
    }
  }
  return q;
}

const PRIORITY_RANK = sql<number>`case priority when 'low' then 1 when 'medium' then 2 when 'high' then 3 else 4 end`;

export async function listItems(ctx: AppContext, projectId: string, filter: ItemFilter, page: Page): Promise<{ rows: SpecItemsTable[]; total: number }> {
  const filtered = await applyFilter(ctx.db, projectId, ctx.db.selectFrom('spec_items'), filter);
  if (!filtered) return { rows: [], total: 0 };
  const direction = filter.sort.descending ? 'desc' : 'asc';
  let ordered = filtered.selectAll();
  switch (filter.sort.field) {
    case 'priority':
      ordered = ordered.orderBy(PRIORITY_RANK, direction);
      break;
    case 'title':
      ordered = ordered.orderBy(sql`lower(title)`, direction);
      break;
    case 'permalink':
      ordered = ordered.orderBy('type_of', direction).orderBy('number', direction);
      break;
    case 'created_at':
      // Ids grow in creation order, so they break ties in created_at the same way.
      ordered = ordered.orderBy('created_at', direction).orderBy('id', direction);
      break;
    default:
      ordered = ordered.orderBy(filter.sort.field, direction);
  }
  // Other ties break in creation order, so pages neither repeat nor skip items.
  if (filter.sort.field !== 'created_at' && filter.sort.field !== 'permalink') ordered = ordered.orderBy('created_at').orderBy('id');
  const [rows, total] = await Promise.all([ordered.limit(page.per).offset(offsetOf(page)).execute(), countRows(filtered)]);
  return { rows, total };
}
