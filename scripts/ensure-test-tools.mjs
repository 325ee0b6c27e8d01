#!/usr/bin/env node
// The test suite drives two system programs: tmux (the CLI's interactive login, in a real terminal) and
// Debian's Chromium (mailed links clicked in a real browser). On a fresh Debian machine, as root, they
// are installed here so `npm install && npm test` works as is; elsewhere this says what to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needed = [
  { pkg: 'tmux', present: () => spawnSync('tmux', ['-V']).status === 0 },
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
].filter((tool) => !tool.present());

if (needed.length > 0) {
  const packages = needed.map((tool) => tool.pkg);
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.error(`The tests need ${packages.join(' and ')}: install them (Debian: apt-get install -y ${packages.join(' ')}) and run again.`);
    process.exit(1);
  }
  console.error(`Installing what the tests drive: ${packages.join(', ')} (Debian packages)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env });
}
