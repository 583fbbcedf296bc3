// query.mjs [--table] SQL: run one query in an in-memory DuckDB and print the
// rows as JSON (what the tests read), or with --table as aligned columns (what
// a person reads). DuckDB comes from the npm registry: install.sh beside this
// file puts it, with this script, into .tools/duckdb.
import { DuckDBInstance } from '@duckdb/node-api';

const args = process.argv.slice(2);
const table = args[0] === '--table';
if (table) args.shift();
if (args.length !== 1) {
	console.error('usage: node query.mjs [--table] SQL');
	process.exit(2);
}
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const reader = await conn.runAndReadAll(args[0]);
if (!table) {
	console.log(JSON.stringify(reader.getRowObjectsJson()));
} else {
	// Cells as JSON values, strings unquoted; columns as wide as their
	// widest cell.
	const cell = (v) => (v === null ? 'NULL' : typeof v === 'string' ? v : JSON.stringify(v));
	const rows = [reader.columnNames(), ...reader.getRowsJson().map((r) => r.map(cell))];
	const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
	for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
	console.log(`(${rows.length - 1} ${rows.length === 2 ? 'row' : 'rows'})`);
}
