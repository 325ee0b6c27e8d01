import { useQuery } from '@tanstack/react-query';
import { NavLink, useParams } from 'react-router';
import { api, call } from '../api/client';
import type { paths } from '../api/schema';
import { atLeast, findMembership, useSignedIn } from '../shell/context';

export type Project = paths['/api/v1/projects/{id}']['get']['responses'][200]['content']['application/json']['data'];
export type SpecItem = paths['/api/v1/projects/{id}/spec/items/{item}']['get']['responses'][200]['content']['application/json']['data'];
export type ProjectRole = 'admin' | 'editor' | 'viewer';

export const TYPE_LABELS = { functional: 'Functional', technical: 'Technical' } as const;
export const PRIORITY_LABELS = { low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' } as const;
export const STATE_LABELS = { draft: 'Draft', inbox: 'Inbox', accepted: 'Accepted', rejected: 'Rejected' } as const;
export const STATUS_LABELS = {
  pending: 'Pending',
  in_progress: 'In progress',
  implemented: 'Implemented',
  verified: 'Verified',
  not_applicable: 'Not applicable',
} as const;

export function options<T extends Record<string, string>>(labels: T): Array<{ value: string; label: string }> {
  return Object.entries(labels).map(([value, label]) => ({ value, label }));
}

export function useProjectId(): string {
  return useParams().project!;
}

export function useProject(id: string) {
  return useQuery({ queryKey: ['project', id], queryFn: () => call(api.GET('/api/v1/projects/{id}', { params: { path: { id } } })) });
}

const PROJECT_RANK: Record<ProjectRole, number> = { viewer: 0, editor: 1, admin: 2 };

/**
 * The person's role on a project: organization owners and admins are admin on every project; anyone
 * else has the role the team list gives them (null while it loads). The API decides in the end.
 */
export function useProjectRole(project: Project | undefined): ProjectRole | null {
  const session = useSignedIn();
  const orgRole = project ? findMembership(session, project.organization.id)?.role : undefined;
  const orgAdmin = atLeast(orgRole, 'admin');
  const team = useQuery({
    queryKey: ['team', project?.id],
    enabled: !!project && !orgAdmin,
    queryFn: () => call(api.GET('/api/v1/projects/{id}/members', { params: { path: { id: project!.id }, query: { per: 100 } } })),
  });
  if (!project) return null;
  if (orgAdmin) return 'admin';
  return (team.data?.data.find((m) => m.user.id === session.user.id)?.role as ProjectRole | undefined) ?? (team.isPending ? null : 'viewer');
}

export function canAtLeast(role: ProjectRole | null, needed: ProjectRole): boolean {
  return role !== null && PROJECT_RANK[role] >= PROJECT_RANK[needed];
}

/** The project's header: breadcrumbs, name, and the Items / Settings links. */
export function ProjectHeader({ project, actions }: { project: Project; actions?: React.ReactNode }) {
  const base = `/projects/${project.id}`;
  return (
    <>
      <div className="page-header">
        <div>
          <div className="breadcrumbs">
            <NavLink to={`/orgs/${project.organization.slug}`}>{project.organization.name}</NavLink> / {project.slug}
          </div>
          <h1>{project.name}</h1>
          {project.description ? <p>{project.description}</p> : null}
        </div>
        {actions}
      </div>
      <nav className="tabs" aria-label="Project">
        <NavLink to={base} end>
          Items
        </NavLink>
        <NavLink to={`${base}/settings`}>Settings and Team</NavLink>
      </nav>
    </>
  );
}
