export type ProjectRole = 'admin' | 'editor' | 'viewer';
export type ItemType = 'functional' | 'technical';
export type ItemState = 'draft' | 'inbox' | 'accepted' | 'rejected';
export type ImplementationStatus = 'pending' | 'in_progress' | 'implemented' | 'verified' | 'not_applicable';
export type Priority = 'low' | 'medium' | 'high' | 'critical';

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
