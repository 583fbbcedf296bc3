// query.mjs SQL: run one query in an in-memory DuckDB and print the rows as
// JSON. The tests use it to check what a real Parquet reader sees in the
// datasets distroscope commits (DuckDB comes from the npm registry,
// installed by scripts/stack.sh into .tools/duckdb).
import { DuckDBInstance } from '@duckdb/node-api';

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const reader = await conn.runAndReadAll(process.argv[2]);
console.log(JSON.stringify(reader.getRowObjectsJson()));
