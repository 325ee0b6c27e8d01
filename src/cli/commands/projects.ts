import type { Command } from 'commander';
import { apiCommand, context, pageOptions, projectOf, projectOption, type ListBody } from '../common.js';
import { UsageError } from '../errors.js';
import { seg } from '../http.js';
import type { Column } from '../output.js';
import { confirmOrAbort } from '../prompts.js';
import { memberColumns, memberId } from './orgs.js';

type Row = Record<string, any>;

const PROJECT_ROLES = ['admin', 'editor', 'viewer'];

const projectColumns: Column<Row>[] = [
  { header: 'SLUG', value: (p) => p.slug },
  { header: 'NAME', value: (p) => p.name },
  { header: 'ORGANIZATION', value: (p) => p.organization?.slug ?? p.organization_id },
  { header: 'F', value: (p) => p.stats?.functional_count },
  { header: 'T', value: (p) => p.stats?.technical_count },
  { header: 'ACCEPTED', value: (p) => p.stats?.accepted_count },
  { header: 'ID', value: (p) => p.id },
];

function checkProjectRole(role: string): void {
  if (!PROJECT_ROLES.includes(role)) throw new UsageError(`role must be one of ${PROJECT_ROLES.join(', ')} (got "${role}")`);
}

export function registerProjectCommands(program: Command): void {
  const projects = program.command('projects').description('Projects and their teams');

  pageOptions(apiCommand(projects, 'list', 'Projects you can see'))
    .option('--org <org>', 'only this organization (id or slug)')
    .action(async (options: { org?: string; page?: number; per?: number }, command: Command) => {
      const ctx = context(command);
      const body = await ctx.api().get<ListBody<Row>>('/projects', { organization: options.org, page: options.page, per: options.per });
      ctx.out.list(body.data, projectColumns, body.meta, 'No projects yet: funcspec projects create NAME');
    });

  apiCommand(projects, 'get', 'One project (default: default_project)')
    .argument('[project]', 'id or slug')
    .action(async (ref: string | undefined, _options: unknown, command: Command) => {
      const ctx = context(command);
      const body = await ctx.api().get<{ data: Row }>(`/projects/${projectOf(ctx, ref)}`);
      ctx.out.record(body.data, undefined, body.data);
    });

  apiCommand(projects, 'create', 'Create a project in your organization')
    .argument('<name>')
    .option('--slug <slug>', 'URL name (default: from the name)')
    .option('--description <text>', 'what it is about')
    .option('--org <org>', 'organization id or slug (default: the one of your key)')
    .action(async (name: string, options: { slug?: string; description?: string; org?: string }, command: Command) => {
      const ctx = context(command);
      const body = await ctx.api().post<{ data: Row }>('/projects', {
        name,
        ...(options.org ? { organization_id: options.org } : {}),
        ...(options.slug ? { slug: options.slug } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
      });
      ctx.out.done(`Created project ${body.data.name} (${body.data.slug}, ${body.data.id}).`, body.data);
    });

  apiCommand(projects, 'update', 'Change a project (project admin)')
    .argument('[project]', 'id or slug (default: default_project)')
    .option('--name <name>', 'new name')
    .option('--slug <slug>', 'new URL name')
    .option('--description <text>', 'new description')
    .action(async (ref: string | undefined, options: { name?: string; slug?: string; description?: string }, command: Command) => {
      const patch: Row = {};
      for (const key of ['name', 'slug', 'description'] as const) if (options[key] !== undefined) patch[key] = options[key];
      if (Object.keys(patch).length === 0) throw new UsageError('nothing to change: pass --name, --slug or --description');
      const ctx = context(command);
      const body = await ctx.api().patch<{ data: Row }>(`/projects/${projectOf(ctx, ref)}`, patch);
      ctx.out.done(`Updated project ${body.data.slug}.`, body.data);
    });

  apiCommand(projects, 'delete', 'Delete a project with all its spec items (project admin)')
    .argument('<project>', 'id or slug')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (ref: string, options: { yes?: boolean }, command: Command) => {
      const ctx = context(command);
      await confirmOrAbort(`Delete project ${ref} with all its spec items?`, options.yes);
      await ctx.api().delete(`/projects/${seg(ref)}`);
      ctx.out.done(`Deleted project ${ref}.`);
    });

  // ------------------------------------------------------------------ project members
  const members = projects.command('members').description("A project's team: org members with a project role");

  pageOptions(projectOption(apiCommand(members, 'list', 'The team and its roles'))).action(
    async (options: { project?: string; page?: number; per?: number }, command: Command) => {
      const ctx = context(command);
      const body = await ctx.api().get<ListBody<Row>>(`/projects/${projectOf(ctx, options.project)}/members`, { page: options.page, per: options.per });
      ctx.out.list(body.data, memberColumns, body.meta);
    },
  );

  projectOption(apiCommand(members, 'add', 'Add an organization member to the project (project admin)'))
    .argument('<user>', 'user id or e-mail')
    .requiredOption('--role <role>', PROJECT_ROLES.join('|'))
    .action(async (user: string, options: { project?: string; role: string }, command: Command) => {
      checkProjectRole(options.role);
      const ctx = context(command);
      const body = await ctx.api().post<{ data: Row }>(`/projects/${projectOf(ctx, options.project)}/members`, {
        ...(user.includes('@') ? { email: user } : { user_id: user }),
        role: options.role,
      });
      ctx.out.done(`Added ${user} as ${options.role}.`, body?.data);
    });

  projectOption(apiCommand(members, 'update', "Change a team member's project role (project admin)"))
    .argument('<user>', 'user id or e-mail')
    .requiredOption('--role <role>', PROJECT_ROLES.join('|'))
    .action(async (user: string, options: { project?: string; role: string }, command: Command) => {
      checkProjectRole(options.role);
      const ctx = context(command);
      const api = ctx.api();
      const project = projectOf(ctx, options.project);
      const id = await memberId(api, `/projects/${project}/members`, user);
      const body = await api.patch<{ data: Row }>(`/projects/${project}/members/${id}`, { role: options.role });
      ctx.out.done(`${user} is now ${options.role} on the project.`, body?.data);
    });

  projectOption(apiCommand(members, 'remove', 'Take someone off the project (project admin)'))
    .argument('<user>', 'user id or e-mail')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (user: string, options: { project?: string; yes?: boolean }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const project = projectOf(ctx, options.project);
      const id = await memberId(api, `/projects/${project}/members`, user);
      await confirmOrAbort(`Remove ${user} from project ${decodeURIComponent(project)}?`, options.yes);
      await api.delete(`/projects/${project}/members/${id}`);
      ctx.out.done(`Removed ${user} from the project.`);
    });
}
