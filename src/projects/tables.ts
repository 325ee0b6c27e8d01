export const PROJECT_ROLES = ['admin', 'editor', 'viewer'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];
export const ITEM_TYPES = ['functional', 'technical'] as const;
export type ItemType = (typeof ITEM_TYPES)[number];
export const ITEM_STATES = ['draft', 'inbox', 'accepted', 'rejected'] as const;
export type ItemState = (typeof ITEM_STATES)[number];
export const IMPLEMENTATION_STATUSES = ['pending', 'in_progress', 'implemented', 'verified', 'not_applicable'] as const;
export type ImplementationStatus = (typeof IMPLEMENTATION_STATUSES)[number];
export const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface ProjectsTable {
  id: string;
  org_id: string;
  name: string;
  /** Unique within the organization. */
  slug: string;
  description: string | null;
  /** Last permalink number handed out per type (F-n, T-n); only ever goes up, so numbers are never reused. */
  functional_seq: number;
  technical_seq: number;
  created_at: number;
  updated_at: number;
}

/** A project's team: organization members with an explicit project role. */
export interface ProjectMembersTable {
  project_id: string;
  user_id: string;
  role: ProjectRole;
  created_at: number;
}

export interface SpecItemsTable {
  id: string;
  project_id: string;
  type_of: ItemType;
  /** The n of F-n / T-n; unique per (project, type). */
  number: number;
  title: string;
  description: string;
  priority: Priority;
  /** JSON array of strings (the spec_item_tags rows are the index used for filtering). */
  tags: string;
  parent_id: string | null;
  state: ItemState;
  implementation_status: ImplementationStatus;
  version: number;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface SpecItemTagsTable {
  item_id: string;
  tag: string;
}

export interface ProjectTables {
  projects: ProjectsTable;
  project_members: ProjectMembersTable;
  spec_items: SpecItemsTable;
  spec_item_tags: SpecItemTagsTable;
}
