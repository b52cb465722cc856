/** Lambda entry point `api` (being built: see issue 4). */
export const handler = async (): Promise<void> => {
  await Promise.resolve();
};
