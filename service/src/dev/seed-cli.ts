import { openStore } from '../store/open-store.js';
import { DEMO_ACCOUNTS, seedDemoData } from './seed.js';

/**
 * DEVELOPMENT ONLY: `tsx src/dev/seed-cli.ts sqlite:<path> [audit-key-file]` seeds demo data into an
 * empty database, each row with its audit record.
 */
const url = process.argv[2] ?? 'sqlite:./data/verdict.db';
const { store } = openStore(url, process.argv[3]);
const added = await seedDemoData(store, Date.now());
await store.close();
process.stdout.write(
  added > 0
    ? `seeded ${DEMO_ACCOUNTS.length} demo accounts and ${added} demo transactions into ${url}\n`
    : `${url} already has data\n`,
);
