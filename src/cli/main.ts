import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { registerAuthCommands } from './commands/auth.js';
import { registerConfigCommands } from './commands/config.js';
import { registerCreditCommands } from './commands/credits.js';
import { registerResourceCommands } from './commands/index.js';
import { registerScanCommand } from './commands/scan.js';
import { describeError, EXIT } from './errors.js';
import { OperatorError, registerOperatorCommands } from './operator.js';
import { version } from '../lib/version.js';

export function buildProgram(): Command {
  const program = new Command('funcspec')
    .description('FuncSpec: specifications and the access control around them')
    .version(version(), '-v, --version')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Start with \`funcspec auth login\`. Settings: \`funcspec config --help\`.
Exit codes: 0 ok, 1 other error, 2 usage, 3 authentication, 4 not found or forbidden, 5 rate limited.`,
    );
  registerAuthCommands(program);
  registerConfigCommands(program);
  registerResourceCommands(program);
  registerCreditCommands(program);
  registerScanCommand(program);
  registerOperatorCommands(program);
  return program;
}

/** Entry point of the `funcspec` binary. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed the message (with a suggestion for a mistyped command or flag).
      process.exit(error.exitCode === 0 ? EXIT.OK : EXIT.USAGE);
    }
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(EXIT.OTHER);
    }
    if (error instanceof OperatorError) {
      console.error(error.message);
      process.exit(error.exitCode);
    }
    const { lines, exitCode } = describeError(error);
    process.stderr.write(`${lines.join('\n')}\n`);
    process.exit(exitCode);
  }
}
