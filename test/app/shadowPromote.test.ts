import { describe, expect, it } from 'vitest';
import { promoteShadow, type StoredChallenger } from '../../src/app/shadowPromote.js';
import { RulesError } from '../../src/core/errors.js';
import type { AdminCaller } from '../../src/core/rulesChange.js';

const ROOT: AdminCaller = { credential: 'user root', remote: '127.0.0.1' };

/** A challenger whose installs and the rules replacements it led to are recorded. */
function recorded(challenger: Omit<StoredChallenger, 'model'> & { model?: { version: string } | null }) {
  const calls: string[] = [];
  const stored: StoredChallenger = {
    ...challenger,
    model: challenger.model
      ? {
          version: challenger.model.version,
          install: async () => {
            calls.push('install model');
            return '/data/model.json';
          },
        }
      : null,
  };
  return { stored, calls };
}

describe('promoteShadow', () => {
  it('puts the rules in force as the caller, then installs the model for the next start', async () => {
    // Prepare
    const doc = { version: 'cand-2', rules: [] };
    const { stored, calls } = recorded({ startedAt: '2026-12-07T00:00:00.000Z', rules: { version: 'cand-2', document: async () => doc }, model: { version: 'gbdt-1' } });
    const replaced: [unknown, AdminCaller][] = [];

    // Act
    const done = await promoteShadow(
      {
        challenger: async () => stored,
        rules: {
          replace: async (d, by) => {
            calls.push('replace rules');
            replaced.push([d, by]);
            return { version: 'cand-2' };
          },
        },
      },
      ROOT,
    );

    // Assess
    expect(done).toEqual({ startedAt: '2026-12-07T00:00:00.000Z', rules: { version: 'cand-2' }, model: { version: 'gbdt-1', path: '/data/model.json' } });
    expect(replaced).toEqual([[doc, ROOT]]);
    expect(calls).toEqual(['replace rules', 'install model']);
  });

  it('touches no model when the rules no longer validate', async () => {
    // Prepare
    const { stored, calls } = recorded({ startedAt: 'x', rules: { version: 'bad', document: async () => ({}) }, model: { version: 'gbdt-1' } });

    // Act
    const promoted = promoteShadow(
      {
        challenger: async () => stored,
        rules: {
          replace: async () => {
            throw new RulesError('rules', 'must be a list');
          },
        },
      },
      ROOT,
    );

    // Assess
    await expect(promoted).rejects.toBeInstanceOf(RulesError);
    expect(calls).toEqual([]);
  });

  it('promotes a challenger without rules (model only) and answers undefined when none ever ran', async () => {
    // Prepare
    const { stored, calls } = recorded({ startedAt: 'x', rules: null, model: { version: 'gbdt-9' } });
    const refuse = {
      replace: async (): Promise<{ version: string }> => {
        throw new Error('the rules must not change');
      },
    };

    // Act
    const modelOnly = await promoteShadow({ challenger: async () => stored, rules: refuse }, ROOT);
    const none = await promoteShadow({ challenger: async () => undefined, rules: refuse }, ROOT);

    // Assess
    expect(modelOnly).toMatchObject({ rules: null, model: { version: 'gbdt-9' } });
    expect(calls).toEqual(['install model']);
    expect(none).toBeUndefined();
  });
});
