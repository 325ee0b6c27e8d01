import { spawn } from 'node:child_process';

/**
 * The URL the server asks the CLI to open, if the CLI may open it: http(s) only, and only on the origin
 * of the server the CLI talks to. A server (or anyone on a plain-http path) could otherwise make the CLI
 * open `file:`, a custom scheme, or a look-alike site.
 */
export function openableUrl(url: string, baseUrl: string): URL | null {
  let target: URL;
  let base: URL;
  try {
    target = new URL(url);
    base = new URL(baseUrl);
  } catch {
    return null;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return null;
  if (target.origin !== base.origin || target.username || target.password) return null;
  return target;
}

/**
 * The program and arguments that open `url` in a browser, always run without a shell, so nothing in the
 * URL is ever read as a command (on Windows `cmd /c start` would run what follows a `&`); null when this
 * machine has no way to show one.
 */
export function browserCommand(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, url: URL): [string, string[]] | null {
  const href = url.href; // percent-encoded by URL: no blanks, quotes or control characters
  if (env.BROWSER) return [env.BROWSER, [href]];
  if (platform === 'darwin') return ['open', [href]];
  if (platform === 'win32') return ['rundll32', ['url.dll,FileProtocolHandler', href]];
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return ['xdg-open', [href]];
  return null; // no graphical session: the user opens the URL wherever they like
}

/** Opens the page in the user's browser when it may (see openableUrl); false when it did not. */
export function openBrowser(url: string, baseUrl: string): boolean {
  if (process.env.FUNCSPEC_NO_BROWSER) return false;
  const target = openableUrl(url, baseUrl);
  const command = target && browserCommand(process.platform, process.env, target);
  if (!command) return false;
  try {
    const child = spawn(command[0], command[1], { stdio: 'ignore', detached: true, shell: false });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
