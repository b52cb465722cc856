import { describe, expect, it } from 'vitest';
import { FraudminiError, HeaderError, MappingError, RulesError, ValidationError } from '../../src/core/errors.js';

describe('core errors', () => {
  it('ValidationError lists every field problem in its message', () => {
    // Act
    const e = new ValidationError([
      { column: 'Amt', reason: 'is required' },
      { column: 'When', reason: 'is not a valid date and time' },
    ]);

    // Assess
    expect(e).toBeInstanceOf(FraudminiError);
    expect(e.name).toBe('ValidationError');
    expect(e.message).toBe('Amt: is required; When: is not a valid date and time');
    expect(e.errors).toHaveLength(2);
  });

  it('HeaderError names the file when it has one', () => {
    expect(new HeaderError('no amount', 'inbox/a.csv').message).toBe('inbox/a.csv: no amount');
    expect(new HeaderError('no amount').message).toBe('no amount');
    expect(new HeaderError('x').name).toBe('HeaderError');
  });

  it('RulesError carries its path', () => {
    // Act
    const e = new RulesError('rules[1].weight', 'must be a number 0–100');

    // Assess
    expect(e.path).toBe('rules[1].weight');
    expect(e.message).toBe('rules rules[1].weight: must be a number 0–100');
    expect(new RulesError('', 'bad').message).toBe('rules: bad');
  });

  it('passes the cause through', () => {
    // Prepare
    const cause = new Error('root');

    // Act / Assess
    expect(new FraudminiError('wrapped', { cause }).cause).toBe(cause);
    expect(new MappingError('m')).toBeInstanceOf(FraudminiError);
  });
});
