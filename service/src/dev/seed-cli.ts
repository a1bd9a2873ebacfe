import { SqliteStore } from '../store/sqlite-store.js';
import { seedDemoData } from './seed.js';

/** DEVELOPMENT ONLY: `tsx src/dev/seed-cli.ts sqlite:<path>` seeds demo data into an empty database. */
const url = process.argv[2] ?? 'sqlite:./data/verdict.db';
const store = SqliteStore.fromUrl(url);
const added = await seedDemoData(store, Date.now());
await store.close();
process.stdout.write(
  added > 0 ? `seeded ${added} demo transactions into ${url}\n` : `${url} already has data\n`,
);
