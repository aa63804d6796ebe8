/**
 * The service URLs the Jest globalSetup resolved. Tests read them here rather
 * than from process.env directly so a missing globalSetup fails with a clear
 * message instead of connecting somewhere unexpected.
 */
export const serviceUrls = (): { databaseUrl: string; amqpUrl: string } => {
  const databaseUrl = process.env["DATABASE_URL"];
  const amqpUrl = process.env["AMQP_URL"];
  if (!databaseUrl || !amqpUrl) {
    throw new Error(
      "DATABASE_URL / AMQP_URL are not set: run tests through Jest with jest.preset.cjs (its globalSetup resolves them)"
    );
  }
  return { databaseUrl, amqpUrl };
};
