import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRulesFile } from '../../src/adapters/local/FileRulesSource.js';
import { scoreFile } from '../../src/cli/score.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { tempDir } from '../helpers/fixtures.js';
import { testTokenizer } from '../helpers/transactions.js';

/**
 * A transaction id shaped like a card number (a numeric order id that happens to pass Luhn) must
 * not be stored in clear, and masking it to BIN + last 4 alone would make two different ids the
 * same id: the second transaction would be taken for a duplicate of the first and get no decision.
 */
describe('transaction ids shaped like card numbers', () => {
  it('decides two different transactions whose ids mask to the same card number', async () => {
    // Prepare: two order ids, both Luhn-valid, equal in their first 6 and last 4 digits
    const t = tempDir();
    try {
      const input = join(t.dir, 'orders.csv');
      writeFileSync(
        input,
        'transaction_id,timestamp,account_id,amount\n' +
          '2026010100000004,2026-01-01T10:00:00Z,A1,12.00\n' +
          '2026010100180004,2026-01-01T10:05:00Z,A2,13.00\n',
      );
      const out = join(t.dir, 'decisions.jsonl');

      // Act
      const receipt = await scoreFile({ input, out, rules: loadRulesFile(BUNDLED_RULES), tokenizer: testTokenizer(), progress: false });

      // Assess: two rows, two transactions, two decisions under two different ids
      const ids = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { transaction_id: string }).transaction_id);
      expect(receipt.counts.duplicates).toBe(0);
      expect(receipt.counts.decided).toBe(2);
      expect(new Set(ids).size).toBe(2);
      for (const id of ids) expect(id).toMatch(/^202601\*{6}0004~[\w-]{22}$/);
    } finally {
      t.cleanup();
    }
  });
});
