#!/usr/bin/env node
// npm run dev: the server (restarted on change by tsx watch) on PORT (8080) and Vite's dev server with hot
// reload on FUNCSPEC_DEV_PORT (5173) in front of it. Open the Vite address: PUBLIC_URL names it, so mailed
// links open there and the API's Origin check accepts the page's requests.
import { spawn } from 'node:child_process';

const apiPort = process.env.PORT ?? '8080';
const webPort = process.env.FUNCSPEC_DEV_PORT ?? '5173';
const publicUrl = process.env.PUBLIC_URL ?? `http://localhost:${webPort}`;
const env = { ...process.env, PORT: apiPort, PUBLIC_URL: publicUrl, FUNCSPEC_DEV_API: `http://127.0.0.1:${apiPort}`, FUNCSPEC_DEV_PORT: webPort };

const children = [
  spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'watch', 'scripts/serve-dev.ts'], { stdio: 'inherit', env }),
  spawn(process.execPath, ['node_modules/vite/bin/vite.js', '--config', 'web/vite.config.ts'], { stdio: 'inherit', env }),
];
console.log(`FuncSpec dev: open ${publicUrl} (API server on http://127.0.0.1:${apiPort})`);
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) child.on('exit', (code) => (stop(), (process.exitCode ||= code ?? 0)));
