export { MIGRATIONS, LATEST_SCHEMA_VERSION, type Migration } from './migrations.js';
