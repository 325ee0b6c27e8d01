import { readFileSync } from 'node:fs';
import { Argument, Option, type Command } from 'commander';
import { apiCommand, collect, context, nonNegativeInt, pageOptions, projectOf, projectOption, type Ctx, type ListBody } from '../common.js';
import { UsageError } from '../errors.js';
import { seg } from '../http.js';
import { cell, type Column } from '../output.js';
import { confirmOrAbort } from '../prompts.js';

type Item = Record<string, any>;

export const TYPES = ['functional', 'technical'];
export const STATES = ['draft', 'inbox', 'accepted', 'rejected'];
export const IMPLEMENTATION = ['pending', 'in_progress', 'implemented', 'verified', 'not_applicable'];
export const PRIORITIES = ['low', 'medium', 'high', 'critical'];

const itemColumns: Column<Item>[] = [
  { header: 'PERMALINK', value: (i) => i.permalink },
  { header: 'TYPE', value: (i) => i.type_of },
  { header: 'STATE', value: (i) => i.state },
  { header: 'IMPLEMENTATION', value: (i) => i.implementation_status },
  { header: 'PRIORITY', value: (i) => i.priority },
  { header: 'TITLE', value: (i) => i.title },
  { header: 'TAGS', value: (i) => i.tags },
];

const ITEM_FIELDS = [
  'permalink',
  'id',
  'type_of',
  'title',
  'state',
  'implementation_status',
  'priority',
  'tags',
  'parent_id',
  'version',
  'created_at',
  'updated_at',
];

function showItem(ctx: Ctx, item: Item): void {
  if (ctx.out.json) return ctx.out.printJson(item);
  ctx.out.record(
    item,
    ITEM_FIELDS.filter((f) => f in item),
  );
  if (item.description) ctx.out.write(`\n${String(item.description).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '�')}`);
}

function description(options: { description?: string; descriptionFile?: string }): string | undefined {
  if (options.description !== undefined && options.descriptionFile !== undefined) throw new UsageError('use either --description or --description-file');
  if (options.descriptionFile === undefined) return options.description;
  try {
    return readFileSync(options.descriptionFile === '-' ? 0 : options.descriptionFile, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --description-file ${options.descriptionFile}: ${(error as Error).message}`);
  }
}

function ifMatch(version: number | undefined): Record<string, string> | undefined {
  return version === undefined ? undefined : { 'if-match': `"${version}"` };
}

function itemPath(ctx: Ctx, project: string | undefined, item: string): string {
  return `/projects/${projectOf(ctx, project)}/spec/items/${seg(item)}`;
}

export function registerItemCommands(program: Command): void {
  const items = program.command('items').description('Spec items: functional (F-n) and technical (T-n) requirements');

  pageOptions(projectOption(apiCommand(items, 'list', "A project's spec items, with the API's filters")))
    .addOption(new Option('--type <type>', 'type_of').choices(TYPES))
    .addOption(new Option('--state <state>', 'state').choices(STATES))
    .addOption(new Option('--implementation-status <status>', 'implementation_status').choices(IMPLEMENTATION))
    .option('--tag <tag>', 'with this tag')
    .option('-q, --search <text>', 'text search (q)')
    .option('--parent <item>', 'children of this item (id or permalink; "none" for top-level items)')
    .option('--sort <field>', 'sort field, "-" first for descending (e.g. -updated_at)')
    .option('--all', 'fetch every page')
    .action(async (options: Record<string, any>, command: Command) => {
      const ctx = context(command);
      const path = `/projects/${projectOf(ctx, options.project)}/spec/items`;
      const query = {
        type_of: options.type,
        state: options.state,
        implementation_status: options.implementationStatus,
        tag: options.tag,
        q: options.search,
        parent_id: options.parent,
        sort: options.sort,
        per: options.per ?? (options.all ? 100 : undefined),
        page: options.page,
      };
      const api = ctx.api();
      const first = await api.get<ListBody<Item>>(path, query);
      if (!options.all) return ctx.out.list(first.data, itemColumns, first.meta, 'No spec items match.');
      const all = [...first.data];
      const total = first.meta?.total ?? all.length;
      for (let page = (options.page ?? 1) + 1; all.length < total; page += 1) {
        const next = await api.get<ListBody<Item>>(path, { ...query, page });
        if (next.data.length === 0) break;
        all.push(...next.data);
      }
      ctx.out.list(all, itemColumns, undefined, 'No spec items match.');
    });

  projectOption(apiCommand(items, 'get', 'One spec item, by permalink (F-3, T-12) or id'))
    .argument('<item>', 'permalink or id')
    .action(async (item: string, options: { project?: string }, command: Command) => {
      const ctx = context(command);
      const body = await ctx.api().get<{ data: Item }>(itemPath(ctx, options.project, item));
      showItem(ctx, body.data);
    });

  projectOption(apiCommand(items, 'create', 'Create a spec item'))
    .addOption(new Option('--type <type>', 'functional (F-n) or technical (T-n)').choices(TYPES).makeOptionMandatory())
    .requiredOption('--title <title>', 'one line')
    .option('--description <markdown>', 'the body, in Markdown')
    .option('--description-file <path>', 'read the body from a file ("-" for stdin)')
    .addOption(new Option('--priority <priority>', 'priority').choices(PRIORITIES))
    .option('--tag <tag>', 'a tag (repeat for several)', collect)
    .option('--parent <item>', 'parent item (id or permalink)')
    .addOption(new Option('--state <state>', 'start in this state (default draft)').choices(['draft', 'inbox']))
    .action(async (options: Record<string, any>, command: Command) => {
      const ctx = context(command);
      const body: Item = { type_of: options.type, title: options.title };
      if (options.state) body.state = options.state;
      const text = description(options);
      if (text !== undefined) body.description = text;
      if (options.priority) body.priority = options.priority;
      if (options.tag) body.tags = options.tag;
      if (options.parent) body.parent_id = options.parent;
      const created = await ctx.api().post<{ data: Item }>(`/projects/${projectOf(ctx, options.project)}/spec/items`, body);
      ctx.out.done(`Created ${created.data.permalink}: ${cell(created.data.title)}`, created.data);
    });

  projectOption(apiCommand(items, 'update', 'Change a spec item; refused (412 VERSION_CONFLICT) if it changed since the version you name'))
    .argument('<item>', 'permalink or id')
    .option('--title <title>', 'new title')
    .option('--description <markdown>', 'new body')
    .option('--description-file <path>', 'read the new body from a file ("-" for stdin)')
    .addOption(new Option('--priority <priority>', 'new priority').choices(PRIORITIES))
    .option('--tag <tag>', 'replace the tags (repeat for several)', collect)
    .option('--clear-tags', 'remove every tag')
    .option('--parent <item>', 'new parent item (id or permalink)')
    .option('--no-parent', 'detach from its parent')
    .option('--if-version <n>', 'the version you last saw (default: the current one, read just before)', nonNegativeInt)
    .action(async (item: string, options: Record<string, any>, command: Command) => {
      const patch: Item = {};
      if (options.title !== undefined) patch.title = options.title;
      const text = description(options);
      if (text !== undefined) patch.description = text;
      if (options.priority) patch.priority = options.priority;
      if (options.tag && options.clearTags) throw new UsageError('use either --tag or --clear-tags');
      if (options.tag) patch.tags = options.tag;
      if (options.clearTags) patch.tags = [];
      if (typeof options.parent === 'string') patch.parent_id = options.parent;
      if (options.parent === false) patch.parent_id = null;
      if (Object.keys(patch).length === 0) throw new UsageError('nothing to change: pass --title, --description, --priority, --tag, --parent …');
      const ctx = context(command);
      const api = ctx.api();
      const path = itemPath(ctx, options.project, item);
      const version: number = options.ifVersion ?? (await api.get<{ data: Item }>(path)).data.version;
      const updated = await api.patch<{ data: Item }>(path, patch, ifMatch(version));
      ctx.out.done(`Updated ${updated.data.permalink} (now version ${updated.data.version}).`, updated.data);
    });

  projectOption(apiCommand(items, 'transition', 'Move a spec item to another state'))
    .argument('<item>', 'permalink or id')
    .addArgument(new Argument('<state>', 'new state').choices(STATES))
    .option('--if-version <n>', 'only if the item is still at this version', nonNegativeInt)
    .action(async (item: string, state: string, options: { project?: string; ifVersion?: number }, command: Command) => {
      const ctx = context(command);
      const body = await ctx.api().post<{ data: Item }>(`${itemPath(ctx, options.project, item)}/transition`, { state }, ifMatch(options.ifVersion));
      ctx.out.done(`${body.data.permalink} is now ${body.data.state}.`, body.data);
    });

  projectOption(apiCommand(items, 'implementation', "Set a spec item's implementation status"))
    .argument('<item>', 'permalink or id')
    .addArgument(new Argument('<status>', 'new implementation status').choices(IMPLEMENTATION))
    .option('--if-version <n>', 'only if the item is still at this version', nonNegativeInt)
    .action(async (item: string, status: string, options: { project?: string; ifVersion?: number }, command: Command) => {
      const ctx = context(command);
      const body = await ctx
        .api()
        .post<{ data: Item }>(
          `${itemPath(ctx, options.project, item)}/transition_implementation`,
          { implementation_status: status },
          ifMatch(options.ifVersion),
        );
      ctx.out.done(`${body.data.permalink} implementation is now ${body.data.implementation_status}.`, body.data);
    });

  projectOption(apiCommand(items, 'delete', 'Delete a spec item (its permalink is never reused)'))
    .argument('<item>', 'permalink or id')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--if-version <n>', 'only if the item is still at this version', nonNegativeInt)
    .action(async (item: string, options: { project?: string; yes?: boolean; ifVersion?: number }, command: Command) => {
      const ctx = context(command);
      const path = itemPath(ctx, options.project, item);
      await confirmOrAbort(`Delete spec item ${item}?`, options.yes);
      await ctx.api().call('DELETE', path, { headers: ifMatch(options.ifVersion) });
      ctx.out.done(`Deleted ${item}.`);
    });
}
