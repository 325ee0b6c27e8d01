import type { Command } from 'commander';
import { registerItemCommands } from './items.js';
import { registerKeyCommands } from './keys.js';
import { registerOrgCommands } from './orgs.js';
import { registerProjectCommands } from './projects.js';

/** orgs, members, invitations, projects (and their teams), items, keys, usage. */
export function registerResourceCommands(program: Command): void {
  registerOrgCommands(program);
  registerProjectCommands(program);
  registerItemCommands(program);
  registerKeyCommands(program);
}
