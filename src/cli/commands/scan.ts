import path from 'node:path';
import type { Command } from 'commander';
import { context, notice, withGlobalOptions, type Ctx } from '../common.js';
import { EXIT } from '../errors.js';
import { clean, maskKey } from '../output.js';
import { repositoryOf, scanHistory, scanTree, type Finding, type ScanStats } from '../scan.js';

/** The most keys one report carries (the endpoint's limit). */
const REPORT_BATCH = 100;

function location(finding: Pick<Finding, 'file' | 'line'>): string {
  return `${finding.file}:${finding.line}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Sends the keys to the server's leaked-key endpoint: each live one is revoked and its owner mailed. */
async function report(ctx: Ctx, keys: string[]): Promise<void> {
  const api = ctx.anonymous();
  for (let i = 0; i < keys.length; i += REPORT_BATCH) {
    await api.call('POST', '/keys/leaked', { body: { keys: keys.slice(i, i + REPORT_BATCH), source: 'funcspec scan' }, auth: 'none' });
  }
  notice(
    `funcspec scan: reported ${keys.length} ${keys.length === 1 ? 'key' : 'keys'} to ${api.baseUrl}; every one that was live there is revoked now and its owner is mailed`,
  );
}

export function registerScanCommand(program: Command): void {
  withGlobalOptions(program.command('scan'))
    .description('Find FuncSpec API keys (checksum-valid) in files and, with --git, in every commit; exits 1 when it finds any')
    .argument('[paths...]', 'files or directories to scan (default: .)')
    .option('--git', 'also scan the whole history of the git repository each path is in (every ref, every commit)')
    .option('--report', 'send the keys found to the server (POST /api/v1/keys/leaked): every live one is revoked and its owner mailed')
    .addHelpText(
      'after',
      `
Offline unless --report: a key's shape and checksum are checked here, so look-alikes cost nothing.
Prints file:line and the masked key (history hits: the path, and the oldest commit that added it).
Exit codes: 0 none found, 1 keys found, 2 bad path or not a git repository.`,
    )
    .action(async (paths: string[], options: { git?: boolean; report?: boolean }, command: Command) => {
      const ctx = context(command);
      const roots = paths.length > 0 ? paths : ['.'];
      const stats: ScanStats = { files: 0, bytes: 0, unreadable: [] };
      const findings = await scanTree(roots, stats);
      if (options.git) {
        for (const repo of new Set(await Promise.all(roots.map(repositoryOf)))) {
          const shownAs = path.relative(process.cwd(), repo);
          for (const finding of await scanHistory(repo, stats)) findings.push({ ...finding, file: shownAs ? path.join(shownAs, finding.file) : finding.file });
        }
      }
      for (const file of stats.unreadable) notice(`funcspec scan: cannot read ${file}; skipped`);

      const shown = findings.map((finding) => ({ file: finding.file, line: finding.line, key: maskKey(finding.key), commit: finding.commit ?? null }));
      if (ctx.out.json) ctx.out.printJson(shown);
      else
        for (const finding of shown)
          ctx.out.write(clean(`${location(finding)}: ${finding.key}${finding.commit ? ` (commit ${finding.commit.slice(0, 12)})` : ''}`));

      const distinct = [...new Set(findings.map((finding) => finding.key))];
      const scanned = `${stats.files} ${stats.files === 1 ? 'file' : 'files'}${options.git ? ' and blobs' : ''}, ${megabytes(stats.bytes)}`;
      if (distinct.length === 0) {
        notice(`funcspec scan: no FuncSpec API keys in ${scanned}`);
        return;
      }
      notice(
        `funcspec scan: ${findings.length} ${findings.length === 1 ? 'place holds' : 'places hold'} ${distinct.length} distinct ${distinct.length === 1 ? 'key' : 'keys'} (${scanned})`,
      );
      if (options.report) await report(ctx, distinct);
      else
        notice(
          'revoke them (`funcspec keys revoke ID`, or `funcspec scan --report` to have the server revoke every live one), then remove them from the files and the history',
        );
      process.exitCode = EXIT.OTHER;
    });
}
