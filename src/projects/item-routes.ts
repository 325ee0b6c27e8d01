import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { principalOf } from '../http/request.js';
import { envelope, listEnvelope, PaginationQuery, problems } from '../http/schemas.js';
import type { Api } from '../http/types.js';
import { projectAccessOf } from './precondition.js';
import { createItem, deleteItem, getItem, listItems, SORT_FIELDS, transitionImplementation, transitionState, updateItem, type SortField } from './items.js';
import {
  ImplementationStatusSchema,
  ItemDescriptionSchema,
  ItemRef,
  ItemStateSchema,
  ItemTypeSchema,
  itemView,
  parseIfMatch,
  ParentRef,
  PrioritySchema,
  ProjectRef,
  SpecItemSchema,
  TagsSchema,
  TitleSchema,
} from './schemas.js';
import type { SpecItemsTable } from './tables.js';
import { allowedTransitions } from './workflow.js';

const ProjectParams = z.object({ id: ProjectRef });
const ItemParams = z.object({ id: ProjectRef, item: ItemRef });
const SORTS = SORT_FIELDS.flatMap((field) => [field, `-${field}`]) as [string, ...string[]];
const IfMatchHeader = z.looseObject({ 'if-match': z.string().max(100).optional().meta({ description: 'The item version in quotes, e.g. "3"' }) });

/** The request schemas of the item operations (the MCP tools offer the same fields; see mcp/tools.ts). */
export const ItemListQuery = PaginationQuery.extend({
  type_of: ItemTypeSchema.optional(),
  state: ItemStateSchema.optional(),
  implementation_status: ImplementationStatusSchema.optional(),
  tag: z.string().max(50).optional(),
  q: z.string().max(200).optional().meta({ description: 'Words to find in the title or description' }),
  parent_id: ParentRef.optional(),
  sort: z.enum(SORTS).default('created_at'),
});
export const NewItemBody = z.strictObject({
  type_of: ItemTypeSchema,
  title: TitleSchema,
  description: ItemDescriptionSchema.default(''),
  priority: PrioritySchema.default('medium'),
  tags: TagsSchema.default([]),
  parent_id: ParentRef.nullable().default(null),
  state: z.enum(['draft', 'inbox']).default('draft'),
});
export const ItemEditBody = z
  .strictObject({
    title: TitleSchema.optional(),
    description: ItemDescriptionSchema.optional(),
    priority: PrioritySchema.optional(),
    tags: TagsSchema.optional(),
    parent_id: ParentRef.nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'at least one of title, description, priority, tags, parent_id is required');
export const StateBody = z.strictObject({ state: ItemStateSchema });
export const ImplementationBody = z.strictObject({ implementation_status: ImplementationStatusSchema });

function withEtag(reply: FastifyReply, item: SpecItemsTable) {
  reply.header('etag', `"${item.version}"`);
  return { data: itemView(item) };
}

/** Spec items of a project (§6): viewers read, editors write; PATCH and transitions honour If-Match. */
export async function specItemRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.get('/projects/:id/spec/items', {
    config: { auth: 'any', scope: 'items:read', project: 'viewer' },
    schema: {
      tags: ['Spec items'],
      summary: 'List items with filters, full-text q (title and description), sort and pagination',
      description:
        '`parent_id` takes an item id or permalink, or `none` for top-level items. `sort` is a field, `-field` for descending: ' +
        `${SORT_FIELDS.join(', ')} (default created_at).`,
      params: ProjectParams,
      querystring: ItemListQuery,
      response: { 200: listEnvelope(SpecItemSchema), ...problems(401, 403, 404, 409, 422, 429) },
    },
    handler: async (request) => {
      const access = projectAccessOf(request);
      const { page, per, sort, ...filters } = request.query;
      const descending = sort.startsWith('-');
      const { rows, total } = await listItems(
        ctx,
        access.project.id,
        { ...filters, sort: { field: (descending ? sort.slice(1) : sort) as SortField, descending } },
        { page, per },
      );
      return { data: rows.map(itemView), meta: { total, page, per } };
    },
  });

  app.post('/projects/:id/spec/items', {
    config: { auth: 'any', scope: 'items:write', project: 'editor' },
    schema: {
      tags: ['Spec items'],
      summary: 'Create an item (editor+); it gets the next permalink of its type (F-n or T-n)',
      params: ProjectParams,
      body: NewItemBody,
      response: { 201: envelope(SpecItemSchema), ...problems(401, 403, 404, 409, 415, 422, 429) },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const access = projectAccessOf(request);
      const item = await createItem(ctx, access.project.id, principal.user.id, request.body);
      reply.code(201);
      return withEtag(reply, item);
    },
  });

  app.get('/projects/:id/spec/items/:item', {
    config: { auth: 'any', scope: 'items:read', project: 'viewer' },
    schema: {
      tags: ['Spec items'],
      summary: 'One item by id or permalink; ETag carries its version',
      description: '`meta.allowed_transitions` lists the states and implementation statuses the item may move to from where it is.',
      params: ItemParams,
      response: {
        200: envelope(SpecItemSchema).extend({
          meta: z.object({ allowed_transitions: z.object({ state: z.array(ItemStateSchema), implementation_status: z.array(ImplementationStatusSchema) }) }),
        }),
        ...problems(401, 403, 404, 409, 429),
      },
    },
    handler: async (request, reply) => {
      const access = projectAccessOf(request);
      const item = await getItem(ctx, access.project.id, request.params.item);
      return { ...withEtag(reply, item), meta: { allowed_transitions: allowedTransitions(item.state, item.implementation_status) } };
    },
  });

  app.patch('/projects/:id/spec/items/:item', {
    config: { auth: 'any', scope: 'items:write', project: 'editor' },
    schema: {
      tags: ['Spec items'],
      summary: 'Edit an item (editor+); with If-Match: "<version>" a stale write gets 412',
      description: 'state and implementation_status change only through the transition endpoints.',
      params: ItemParams,
      headers: IfMatchHeader,
      body: ItemEditBody,
      response: { 200: envelope(SpecItemSchema), ...problems(401, 403, 404, 409, 412, 415, 422, 429) },
    },
    handler: async (request, reply) => {
      const { projectId, expected } = forChange(request);
      return withEtag(reply, await updateItem(ctx, projectId, request.params.item, expected, request.body));
    },
  });
}

/** An item change's project (the route declared `project: 'editor'`) and the version the caller expects (If-Match). */
function forChange(request: FastifyRequest): { projectId: string; expected: number | null } {
  return { projectId: projectAccessOf(request).project.id, expected: parseIfMatch(request.headers['if-match']) };
}

/** Deleting an item and moving it through its states and implementation statuses. */
export async function itemTransitionRoutes(app: Api, ctx: AppContext): Promise<void> {
  app.delete('/projects/:id/spec/items/:item', {
    config: { auth: 'any', scope: 'items:write', project: 'editor' },
    schema: {
      tags: ['Spec items'],
      summary: 'Delete an item (editor+); its permalink is never reused, its children lose their parent',
      params: ItemParams,
      headers: IfMatchHeader,
      response: { 204: z.null().describe('Deleted'), ...problems(401, 403, 404, 409, 412, 422, 429) },
    },
    handler: async (request, reply) => {
      const { projectId, expected } = forChange(request);
      await deleteItem(ctx, projectId, request.params.item, expected);
      return reply.code(204).send(null);
    },
  });

  app.post('/projects/:id/spec/items/:item/transition', {
    config: { auth: 'any', scope: 'items:write', project: 'editor' },
    schema: {
      tags: ['Spec items'],
      summary: 'Move an item through review: draft → inbox → accepted | rejected (editor+)',
      description:
        'Allowed: draft → inbox; inbox → accepted, rejected, draft; accepted → inbox; rejected → inbox, draft. ' +
        'Anything else is 409 INVALID_TRANSITION with details.allowed.',
      params: ItemParams,
      headers: IfMatchHeader,
      body: StateBody,
      response: { 200: envelope(SpecItemSchema), ...problems(401, 403, 404, 409, 412, 415, 422, 429) },
    },
    handler: async (request, reply) => {
      const { projectId, expected } = forChange(request);
      return withEtag(reply, await transitionState(ctx, projectId, request.params.item, expected, request.body.state));
    },
  });

  app.post('/projects/:id/spec/items/:item/transition_implementation', {
    config: { auth: 'any', scope: 'items:write', project: 'editor' },
    schema: {
      tags: ['Spec items'],
      summary: 'Move implementation status (editor+)',
      description:
        'Allowed: pending → in_progress, not_applicable; in_progress → implemented, pending, not_applicable; ' +
        'implemented → verified, in_progress; verified → in_progress; not_applicable → pending. ' +
        'in_progress, implemented and verified need the item to be accepted. Anything else is 409 INVALID_TRANSITION.',
      params: ItemParams,
      headers: IfMatchHeader,
      body: ImplementationBody,
      response: { 200: envelope(SpecItemSchema), ...problems(401, 403, 404, 409, 412, 415, 422, 429) },
    },
    handler: async (request, reply) => {
      const { projectId, expected } = forChange(request);
      return withEtag(reply, await transitionImplementation(ctx, projectId, request.params.item, expected, request.body.implementation_status));
    },
  });
}
