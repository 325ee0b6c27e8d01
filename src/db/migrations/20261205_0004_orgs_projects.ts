import { type Kysely, sql } from 'kysely';
import { oneOf } from '../checks.js';
import { INVITATION_ROLES } from '../../orgs/tables.js';
import { IMPLEMENTATION_STATUSES, ITEM_STATES, ITEM_TYPES, PRIORITIES, PROJECT_ROLES } from '../../projects/tables.js';

// Invitations, projects, project teams and spec items. Portable DDL (SQLite and PostgreSQL).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(oneOf('role', INVITATION_ROLES)))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('invited_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('accepted_at', 'bigint')
    .addColumn('accepted_by', 'text')
    .addColumn('canceled_at', 'bigint')
    .execute();
  // One open invitation per organization and address (expired ones are closed when a new one is sent).
  await db.schema
    .createIndex('invitations_open_uq')
    .on('invitations')
    .columns(['org_id', 'email'])
    .unique()
    .where(sql.ref('accepted_at'), 'is', null)
    .where(sql.ref('canceled_at'), 'is', null)
    .execute();
  await db.schema.createIndex('invitations_org_idx').on('invitations').columns(['org_id', 'created_at']).execute();

  await db.schema
    .createTable('projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('functional_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('technical_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('projects_org_slug_uq', ['org_id', 'slug'])
    .execute();
  await db.schema.createIndex('projects_slug_idx').on('projects').column('slug').execute();

  await db.schema
    .createTable('project_members')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(oneOf('role', PROJECT_ROLES)))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_members_pk', ['project_id', 'user_id'])
    .execute();
  await db.schema.createIndex('project_members_user_idx').on('project_members').column('user_id').execute();

  await db.schema
    .createTable('spec_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('type_of', 'text', (c) => c.notNull().check(oneOf('type_of', ITEM_TYPES)))
    .addColumn('number', 'integer', (c) => c.notNull().check(sql`number > 0`))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('priority', 'text', (c) => c.notNull().check(oneOf('priority', PRIORITIES)))
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('parent_id', 'text', (c) => c.references('spec_items.id').onDelete('set null'))
    .addColumn('state', 'text', (c) => c.notNull().check(oneOf('state', ITEM_STATES)))
    .addColumn('implementation_status', 'text', (c) => c.notNull().check(oneOf('implementation_status', IMPLEMENTATION_STATUSES)))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('spec_items_permalink_uq', ['project_id', 'type_of', 'number'])
    .execute();
  await db.schema.createIndex('spec_items_project_created_idx').on('spec_items').columns(['project_id', 'created_at']).execute();
  await db.schema.createIndex('spec_items_parent_idx').on('spec_items').column('parent_id').execute();

  await db.schema
    .createTable('spec_item_tags')
    .addColumn('item_id', 'text', (c) => c.notNull().references('spec_items.id').onDelete('cascade'))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('spec_item_tags_pk', ['item_id', 'tag'])
    .execute();
  await db.schema.createIndex('spec_item_tags_tag_idx').on('spec_item_tags').columns(['tag', 'item_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['spec_item_tags', 'spec_items', 'project_members', 'projects', 'invitations']) {
    await db.schema.dropTable(table).execute();
  }
}
