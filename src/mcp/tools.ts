import { z } from 'zod';
import { PaginationQuery } from '../http/schemas.js';
import type { Scope } from '../keys/scopes.js';
import { ImplementationBody, ItemEditBody, ItemListQuery, NewItemBody, StateBody } from '../projects/item-routes.js';
import { ProjectListQuery } from '../projects/routes.js';
import { ItemRef, ProjectRef } from '../projects/schemas.js';

/**
 * The MCP tools: each is one operation of the HTTP API. A call becomes that HTTP request, made with the
 * caller's credentials through the whole pipeline (see routes.ts), so the routes' own schemas validate the
 * arguments and their answers and errors (with their `error_code`s) come back as they are.
 */

/** One HTTP request a tool call turns into (the URL is under /api/v1). */
export interface HttpCall {
  method: 'GET' | 'POST' | 'PATCH';
  url: string;
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export interface Tool {
  name: string;
  title: string;
  description: string;
  /** The scope a key needs for it (the HTTP operation's). */
  scope: Scope;
  readOnly: boolean;
  /** Arguments that say what to act on (path parts, the version); checked here. */
  target: z.ZodObject;
  /** The rest of the arguments: the HTTP operation's query or body schema; checked by the route. */
  fields: z.ZodObject | null;
  request(target: Record<string, string | number>, fields: Record<string, unknown>): HttpCall;
}

const Project = z.object({ project: ProjectRef });
const Item = Project.extend({ item: ItemRef });
const Version = z.number().int().min(1).meta({ description: 'The version you last read (get_item); a stale one is refused with VERSION_CONFLICT' });

const path = (...parts: Array<string | number>) => parts.map((part) => encodeURIComponent(String(part))).join('/');

/** `?a=1&b=x` of the fields that are set (the route's schema coerces them as it does any query). */
function query(fields: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null) params.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function ifMatch(version: string | number | undefined): Record<string, string> {
  return version === undefined ? {} : { 'if-match': `"${version}"` };
}

const itemPath = (target: Record<string, string | number>) => `/projects/${path(target.project!)}/spec/items/${path(target.item!)}`;

export const TOOLS: Tool[] = [
  {
    name: 'list_organizations',
    title: 'List organizations',
    description: "The organization the key acts in (a key belongs to one), with the caller's role in it.",
    scope: 'org:read',
    readOnly: true,
    target: z.object({}),
    fields: PaginationQuery,
    request: (_target, fields) => ({ method: 'GET', url: `/organizations${query(fields)}` }),
  },
  {
    name: 'list_projects',
    title: 'List projects',
    description: 'The projects the caller can see (a key bound to some projects: those), with item counts.',
    scope: 'projects:read',
    readOnly: true,
    target: z.object({}),
    fields: ProjectListQuery,
    request: (_target, fields) => ({ method: 'GET', url: `/projects${query(fields)}` }),
  },
  {
    name: 'list_items',
    title: 'List or search spec items',
    description:
      'Spec items of a project, filtered by type, state, implementation status, tag or parent, searched with `q` (title and description), ' +
      'sorted (`sort`: a field, `-field` descending) and paged (`page`, `per` up to 100).',
    scope: 'items:read',
    readOnly: true,
    target: Project,
    fields: ItemListQuery,
    request: (target, fields) => ({ method: 'GET', url: `/projects/${path(target.project!)}/spec/items${query(fields)}` }),
  },
  {
    name: 'get_item',
    title: 'Get a spec item',
    description:
      'One spec item by id or permalink (F-3, T-12): its Markdown description, its version (needed to edit it) and the transitions allowed from where it is.',
    scope: 'items:read',
    readOnly: true,
    target: Item,
    fields: null,
    request: (target) => ({ method: 'GET', url: itemPath(target) }),
  },
  {
    name: 'create_item',
    title: 'Create a spec item',
    description: 'A new functional (F-n) or technical (T-n) spec item in a project, as draft (default) or inbox. Needs the editor role on the project.',
    scope: 'items:write',
    readOnly: false,
    target: Project,
    fields: NewItemBody,
    request: (target, fields) => ({ method: 'POST', url: `/projects/${path(target.project!)}/spec/items`, body: fields }),
  },
  {
    name: 'update_item',
    title: 'Edit a spec item',
    description:
      'Changes the title, description, priority, tags or parent of an item, given the version you read. If the item changed since, ' +
      'nothing is written and the answer is VERSION_CONFLICT: read it again with get_item and reapply your change. Needs the editor role.',
    scope: 'items:write',
    readOnly: false,
    target: Item.extend({ version: Version }),
    fields: ItemEditBody,
    request: (target, fields) => ({ method: 'PATCH', url: itemPath(target), body: fields, headers: ifMatch(target.version) }),
  },
  {
    name: 'transition_item',
    title: 'Move a spec item through review',
    description:
      'Changes the review state: draft → inbox; inbox → accepted, rejected or draft; accepted → inbox; rejected → inbox or draft ' +
      '(INVALID_TRANSITION otherwise, with the allowed ones). With `version`, refused (VERSION_CONFLICT) if the item changed since.',
    scope: 'items:write',
    readOnly: false,
    target: Item.extend({ version: Version.optional() }),
    fields: StateBody,
    request: (target, fields) => ({ method: 'POST', url: `${itemPath(target)}/transition`, body: fields, headers: ifMatch(target.version) }),
  },
  {
    name: 'set_implementation_status',
    title: "Change a spec item's implementation status",
    description:
      'pending → in_progress or not_applicable; in_progress → implemented, pending or not_applicable; implemented → verified or in_progress; ' +
      'verified → in_progress; not_applicable → pending. in_progress, implemented and verified need the item accepted.',
    scope: 'items:write',
    readOnly: false,
    target: Item.extend({ version: Version.optional() }),
    fields: ImplementationBody,
    request: (target, fields) => ({ method: 'POST', url: `${itemPath(target)}/transition_implementation`, body: fields, headers: ifMatch(target.version) }),
  },
  {
    name: 'get_credits_balance',
    title: 'Read the credits balance',
    description: "The credits of the key's organization: total_credits, credits_used, credits_left.",
    scope: 'credits:read',
    readOnly: true,
    target: z.object({}),
    fields: null,
    request: () => ({ method: 'GET', url: '/credits/balance' }),
  },
];

export const TOOLS_BY_NAME = new Map(TOOLS.map((tool) => [tool.name, tool]));

/** The JSON Schema of a tool's arguments (what it acts on, then the operation's own fields), built from the same zod schemas. */
export function argumentsSchema(tool: Tool): Record<string, unknown> {
  const shape = { ...tool.target.shape, ...(tool.fields?.shape ?? {}) };
  const { $schema: _, ...schema } = z.toJSONSchema(z.object(shape), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return schema;
}

/** A tool's description with the scope a key needs for it, as tools/list shows it. */
export function describe(tool: Tool): string {
  return `${tool.description} (Key scope: ${tool.scope}.)`;
}

/** The arguments split into what to act on (checked against `target`) and the operation's fields, or the problems found. */
export function splitArguments(
  tool: Tool,
  args: Record<string, unknown>,
): { ok: true; target: Record<string, string | number>; fields: Record<string, unknown> } | { ok: false; fields: Record<string, string> } {
  const targetNames = Object.keys(tool.target.shape);
  const parsed = tool.target.safeParse(Object.fromEntries(targetNames.filter((name) => name in args).map((name) => [name, args[name]])));
  if (!parsed.success) {
    return { ok: false, fields: Object.fromEntries(parsed.error.issues.map((issue) => [issue.path.join('.') || 'arguments', issue.message])) };
  }
  const fields = Object.fromEntries(Object.entries(args).filter(([name]) => !targetNames.includes(name)));
  if (!tool.fields && Object.keys(fields).length > 0)
    return { ok: false, fields: Object.fromEntries(Object.keys(fields).map((name) => [name, 'is not an argument of this tool'])) };
  return { ok: true, target: parsed.data as Record<string, string | number>, fields };
}
