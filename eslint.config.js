// ESLint (flat config) with typescript-eslint's strict, type-aware rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of `src/`, each with the top-level folders it may import from (itself included).
 * Dependencies point inward: core is pure; ports know only core; the application layer (use cases
 * in `app/`, stages in `pipeline/`) knows core and ports; adapters implement ports and know nothing
 * of use cases or delivery. Delivery code parses input, calls a use case and renders the result:
 * the HTTP server (`server/`), mounted by both runtimes, never imports a runtime or the CLI; the
 * two runtimes (`local/` for `fraudmini start`, `handlers/` for Lambda) are composition roots and
 * never import each other; the CLI (`cli/`) starts the local runtime but never the Lambda one.
 */
const LAYERS = {
  core: ['core'],
  ports: ['core', 'ports'],
  app: ['core', 'ports', 'app', 'pipeline'],
  pipeline: ['core', 'ports', 'app', 'pipeline'],
  adapters: ['core', 'ports', 'adapters', 'config'],
  server: ['core', 'ports', 'app', 'pipeline', 'server'],
  report: ['core', 'app', 'pipeline', 'report'],
  synth: ['core', 'synth'],
  local: ['core', 'ports', 'app', 'pipeline', 'adapters', 'server', 'local', 'config'],
  handlers: ['core', 'ports', 'app', 'pipeline', 'adapters', 'server', 'handlers', 'config'],
  cli: ['core', 'ports', 'app', 'pipeline', 'adapters', 'local', 'report', 'synth', 'cli', 'config'],
};
const FOLDERS = [...Object.keys(LAYERS), 'config'];
/** What no pure module may load: I/O, clocks of the host, native code, cloud SDKs, the web server. */
const IMPURE = ['node:fs', 'node:fs/promises', 'node:net', 'node:http', 'node:https', 'node:child_process', 'node:worker_threads', 'better-sqlite3', 'fastify', '@aws-sdk/*'];

/**
 * One no-restricted-imports block per layer and folder depth: a relative import that climbs out
 * of `src/<layer>` to a folder the layer may not use. Matching the exact number of `../` keeps a
 * subfolder (`adapters/local`) from being taken for a layer (`local`).
 */
const layering = Object.entries(LAYERS).flatMap(([layer, allowed]) => {
  const denied = FOLDERS.filter((f) => !allowed.includes(f));
  const pure = layer === 'core' || layer === 'ports';
  return [1, 2, 3].map((depth) => ({
    files: [`src/${layer}/${'*/'.repeat(depth - 1)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: pure ? IMPURE.filter((m) => !m.includes('*')).map((name) => ({ name, message: `src/${layer} stays pure: no I/O` })) : [],
          patterns: [
            {
              regex: `^${'\\.\\./'.repeat(depth)}(${denied.join('|')})(/|\\.js$)`,
              message: `src/${layer} may import only from ${allowed.join(', ')} (layers: eslint.config.js, docs/architecture.md)`,
            },
            ...(pure ? [{ group: ['@aws-sdk/*'], message: `src/${layer} stays pure: no cloud SDK` }] : []),
          ],
        },
      ],
    },
  }));
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'var/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', Buffer: 'readonly' },
    },
  },
  // The console's script runs in the browser.
  {
    files: ['console/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { document: 'readonly', fetch: 'readonly', EventSource: 'readonly', FormData: 'readonly', URLSearchParams: 'readonly' },
    },
  },
  ...layering,
  // The CLI, scripts and benchmarks talk to a terminal: console is their job.
  { files: ['src/cli/**', 'bin/**', 'scripts/**', 'bench/**'], rules: { 'no-console': 'off' } },
);
