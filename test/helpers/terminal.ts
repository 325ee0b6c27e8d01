import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A real terminal for interactive commands: a private tmux server (its own socket) running one
 * command in a pane of a fixed size; the test types with send-keys and reads the screen with capture-pane.
 */
export class Terminal {
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'funcspec-tty-'));
  private readonly socket = path.join(this.dir, 'tmux.sock');
  private closed = false;

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /**
   * Starts `argv` with exactly `env` (nothing else leaks in). When the command ends the pane shows
   * `[exit N]` and stays open, so the test can read the last screen and the exit code.
   */
  static start(argv: string[], env: NodeJS.ProcessEnv, size = { columns: 100, rows: 40 }): Terminal {
    const terminal = new Terminal();
    const assignments = Object.entries({ ...env, TERM: 'xterm-256color' })
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => quote(`${name}=${value}`));
    const script = `env -i ${assignments.join(' ')} ${argv.map(quote).join(' ')}; echo "[exit $?]"; sleep 600`;
    terminal.tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'cli', '-x', String(size.columns), '-y', String(size.rows), 'sh', '-c', script);
    return terminal;
  }

  /** The screen and its scrollback, as text. */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-t', 'cli', '-S', '-500');
  }

  /** Types text literally (no key names interpreted). */
  type(text: string): void {
    this.tmux('send-keys', '-t', 'cli', '-l', text);
  }

  /** Presses named keys: Enter, Down, Up, Space, C-c … */
  press(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'cli', ...keys);
  }

  /** Waits until the screen matches; returns the match. Fails with the screen when it does not in time. */
  async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = this.screen();
      const match = last.match(pattern);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`the terminal never showed ${pattern}; the screen was:\n${last}`);
      await sleep(100);
    }
  }

  /** Waits for the command to end; returns its exit code. */
  async exitCode(timeoutMs = 30_000): Promise<number> {
    const match = await this.waitFor(/\[exit (\d+)\]/, timeoutMs);
    return Number(match[1]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
