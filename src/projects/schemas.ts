import { z } from 'zod';
import { HttpErrors } from '../http/errors.js';
import { multiLine, rosterSchema, rosterView, singleLine, Timestamp } from '../http/schemas.js';
import { SlugSchema } from '../lib/slug.js';
import { isoTime } from '../lib/time.js';
import { permalinkOf } from './items.js';
import { EMPTY_STATS, type ProjectStats, type TeamRow } from './service.js';
import { IMPLEMENTATION_STATUSES, ITEM_STATES, ITEM_TYPES, PRIORITIES, PROJECT_ROLES, type ProjectsTable, type SpecItemsTable } from './tables.js';

export const ProjectRoleSchema = z.enum(PROJECT_ROLES);
export const ItemTypeSchema = z.enum(ITEM_TYPES);
export const ItemStateSchema = z.enum(ITEM_STATES);
export const ImplementationStatusSchema = z.enum(IMPLEMENTATION_STATUSES);
export const PrioritySchema = z.enum(PRIORITIES);

export const ProjectRef = z.string().min(1).max(100).meta({ description: 'Project id or slug' });
export const ItemRef = z.string().min(1).max(100).meta({ description: 'Item id or permalink (F-3, T-12)' });

export const ProjectNameSchema = singleLine(100);
export const ProjectDescriptionSchema = multiLine(10_000);
export const TitleSchema = singleLine(200);
export const ItemDescriptionSchema = multiLine(100_000);
export const TagsSchema = z
  .array(singleLine(50))
  .max(20, 'at most 20 tags')
  .transform((tags) => [...new Set(tags)]);
export const ParentRef = z.string().min(1).max(100).meta({ description: 'Item id or permalink of the parent (same project)' });

export const ProjectSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    description: z.string().nullable(),
    organization: z.object({ id: z.string(), name: z.string(), slug: z.string() }),
    stats: z.object({ functional_count: z.number().int(), technical_count: z.number().int(), accepted_count: z.number().int() }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Project' });

export function projectView(
  project: ProjectsTable,
  org: { id: string; name: string; slug: string },
  stats: ProjectStats = EMPTY_STATS,
): z.infer<typeof ProjectSchema> {
  return {
    id: project.id,
    name: project.name,
    slug: project.slug,
    description: project.description,
    organization: { id: org.id, name: org.name, slug: org.slug },
    stats,
    created_at: isoTime(project.created_at),
    updated_at: isoTime(project.updated_at),
  };
}

export const TeamMemberSchema = rosterSchema(ProjectRoleSchema, 'ProjectMember');
export const teamView = (row: TeamRow): z.infer<typeof TeamMemberSchema> => rosterView(row);

export const SpecItemSchema = z
  .object({
    id: z.string(),
    project_id: z.string(),
    permalink: z.string().meta({ example: 'F-3' }),
    type_of: ItemTypeSchema,
    title: z.string(),
    description: z.string().meta({ description: 'Markdown' }),
    priority: PrioritySchema,
    tags: z.array(z.string()),
    parent_id: z.string().nullable(),
    state: ItemStateSchema,
    implementation_status: ImplementationStatusSchema,
    version: z.number().int(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'SpecItem' });

export function itemView(item: SpecItemsTable): z.infer<typeof SpecItemSchema> {
  return {
    id: item.id,
    project_id: item.project_id,
    permalink: permalinkOf(item),
    type_of: item.type_of,
    title: item.title,
    description: item.description,
    priority: item.priority,
    tags: JSON.parse(item.tags) as string[],
    parent_id: item.parent_id,
    state: item.state,
    implementation_status: item.implementation_status,
    version: item.version,
    created_at: isoTime(item.created_at),
    updated_at: isoTime(item.updated_at),
  };
}

export const SlugField = SlugSchema;

/**
 * The `If-Match` header: `"3"` (also `W/"3"` or a bare `3`), or `*` / absent for "no precondition".
 * Anything else is a 422 naming the header.
 */
export function parseIfMatch(header: string | string[] | undefined): number | null {
  if (header === undefined) return null;
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  if (value === '*' || value === '') return null;
  const match = /^(?:W\/)?"?([1-9][0-9]{0,9})"?$/.exec(value);
  if (!match) throw HttpErrors.VALIDATION_FAILED({ fields: { 'headers.if-match': 'must be the item version in quotes, e.g. "3"' } });
  return Number(match[1]);
}
