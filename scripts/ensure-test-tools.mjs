#!/usr/bin/env node
// The test suite drives system programs: tmux (the CLI's interactive login, in a real terminal),
// Debian's Chromium (mailed links clicked in a real browser), nginx (the balancer in front of a
// cluster) and openssl (a throwaway TLS certificate). On the PostgreSQL run the fault tests start their
// own PostgreSQL and Redis servers and the backup test runs pg_dump. On a fresh Debian machine, as root,
// they are installed here so `npm install && npm test` works as is; elsewhere this says what to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const runs = (command, args) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
const onPostgres = (process.env.DATABASE_URL ?? '').startsWith('postgres');
const postgresServer = () =>
  existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));

const needed = [
  { pkg: 'tmux', present: () => runs('tmux', ['-V']) },
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  { pkg: 'nginx-light', present: () => runs('nginx', ['-v']) },
  { pkg: 'openssl', present: () => runs('openssl', ['version']) },
  ...(onPostgres
    ? [
        { pkg: 'postgresql-client', present: () => runs('pg_dump', ['--version']) },
        { pkg: 'postgresql', present: postgresServer },
        { pkg: 'redis-server', present: () => runs('redis-server', ['--version']) },
      ]
    : []),
].filter((tool) => !tool.present());

if (needed.length > 0) {
  const packages = needed.map((tool) => tool.pkg);
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    console.error(`The tests need ${packages.join(', ')}: install them (Debian: apt-get install -y ${packages.join(' ')}) and run again.`);
    process.exit(1);
  }
  console.error(`Installing what the tests drive: ${packages.join(', ')} (Debian packages)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env });
}
