import { connectStore } from '../store/open-store.js';
import { DEMO_ACCOUNTS, seedDemoData } from './seed.js';

/**
 * DEVELOPMENT ONLY: `tsx src/dev/seed-cli.ts <sqlite:path | postgres://…> [audit-key-file]` seeds
 * demo data into an empty database (either driver: the replicas' PostgreSQL is seeded once), each
 * row with its audit record. The URL is not printed for PostgreSQL: it may hold a password.
 */
const url = process.argv[2] ?? 'sqlite:./data/verdict.db';
const { store } = await connectStore(url, process.argv[3]);
const shown = url.startsWith('sqlite:') ? url : 'the PostgreSQL database';
const added = await seedDemoData(store, Date.now());
await store.close();
process.stdout.write(
  added > 0
    ? `seeded ${DEMO_ACCOUNTS.length} demo accounts and ${added} demo transactions into ${shown}\n`
    : `${shown} already has data\n`,
);
