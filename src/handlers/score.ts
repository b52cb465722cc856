/** Lambda entry point `score` (being built: see issue 4). */
export const handler = async (): Promise<void> => {
  await Promise.resolve();
};
