/**
 * Stands in for `better-sqlite3` in the unit project: a unit test runs without the native SQLite
 * build, so loading it (directly or through an adapter) is a misplaced test, not a slow one.
 */
throw new Error('a unit test loaded better-sqlite3: it belongs in the integration project (vitest.config.ts)');
