// The layering of docs/architecture.md, checked in CI (`npm run deps`). A folder of src/ may import
// itself and the folders listed for it, nothing else; the lists never point back up, so there is no
// cycle between folders. Exempt: type-only imports (gone at run time: every feature names the
// AppContext type, and db/schema.ts composes the tables' types) and a feature's tables.ts (types and
// `as const` lists only: migrations and schemas read them). The composition roots (context.ts, app.ts,
// server.ts, the CLI) assemble everything and may import anything.

/** folder → the folders it may import, lowest layers first. */
const LAYERS = {
  lib: [],
  config: ['lib'],
  http: ['lib'],
  db: ['config', 'lib'],
  stamps: ['db', 'lib'],
  mail: ['http', 'lib'],
  ratelimit: ['http', 'lib'],
  access: ['http', 'db', 'lib'],
  audit: ['access', 'http', 'db', 'lib'],
  keys: ['access', 'audit', 'mail', 'ratelimit', 'stamps', 'http', 'db', 'lib'],
  projects: ['keys', 'access', 'audit', 'http', 'db', 'lib'],
  credits: ['access', 'audit', 'stamps', 'http', 'db', 'lib'],
  // Passkeys are a second factor and a way to sign in: the two folders are one layer and import each
  // other's modules (never in a cycle, which no-cycle checks).
  accounts: ['passkeys', 'keys', 'access', 'audit', 'mail', 'ratelimit', 'http', 'db', 'lib'],
  passkeys: ['accounts', 'audit', 'ratelimit', 'http', 'db', 'lib'],
  orgs: ['accounts', 'passkeys', 'keys', 'projects', 'credits', 'access', 'audit', 'mail', 'ratelimit', 'stamps', 'http', 'db', 'lib'],
  agent: ['accounts', 'passkeys', 'orgs', 'keys', 'audit', 'mail', 'ratelimit', 'http', 'db', 'lib'],
  auth: ['keys', 'credits', 'access', 'ratelimit', 'stamps', 'http', 'db', 'lib'],
  mcp: ['auth', 'projects', 'http', 'lib'],
  'agent-docs': ['mcp', 'keys', 'credits', 'config', 'http', 'lib'],
  operations: ['auth', 'mail', 'ratelimit', 'config', 'http', 'db', 'lib'],
  web: ['http', 'lib'],
};

const folder = (name) => (name === 'config' ? '^src/config\\.ts$' : `^src/${name}/`);

module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'Modules import each other in one direction only (type-only imports aside).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  allowed: [
    { comment: 'packages and Node built-ins', from: {}, to: { dependencyTypesNot: ['local', 'localmodule', 'aliased', 'aliased-tsconfig'] } },
    { comment: 'types vanish at run time', from: {}, to: { dependencyTypes: ['type-only'] } },
    { comment: 'tables.ts: types and as-const lists', from: {}, to: { path: '^src/[^/]+/tables\\.ts$' } },
    { comment: 'composition roots', from: { path: '^src/(context|app|server)\\.ts$|^src/cli/' }, to: {} },
    { comment: 'within a folder', from: { path: '^src/([^/]+)/' }, to: { path: '^src/$1/' } },
    ...Object.entries(LAYERS)
      .filter(([, below]) => below.length > 0)
      .map(([name, below]) => ({
        comment: `${name} → ${below.join(', ')}`,
        from: { path: folder(name) },
        to: { path: below.map(folder) },
      })),
  ],
  allowedSeverity: 'error',
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
