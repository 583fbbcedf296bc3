// Package datasets defines distroscope's Parquet tables and the protocol that
// commits them to a store so that readers never see half a dataset.
//
// # Tables
//
// Each table is a Go struct whose parquet tags are the single definition of
// its columns: the Parquet schema is derived from the struct by parquet-go,
// and the Arrow schema used by the readers (compare, trends) is derived from
// that Parquet schema by ArrowSchema, so the two can never drift. Golden files
// under testdata/ pin both; changing a column means bumping the table's
// schema version, which is part of every path.
//
// # Layout
//
// Data lives in a Hive-style tree that DuckDB, Spark and pyarrow read with a
// glob and partition discovery:
//
//	<table>/v<schema>/distro=<d>/release=<r>/snapshot=<id>/part-00000.parquet
//	<table>/v<schema>/distro=<d>/release=<r>/snapshot=<id>/_manifest.json
//
// Partition columns are only in the path, never inside the files: Spark
// rejects files whose columns repeat a partition column.
//
// # Commit protocol
//
// S3 has no rename, so a partition is never assembled in place. Activities
// write staged parts under the private prefix _staging/ (outside every table's
// tree, so no glob sees them), each under a deterministic key so a retried
// activity overwrites its own earlier attempt instead of adding a duplicate.
// Publish then produces exactly one data object per partition — a server-side
// copy when there is one staged part, otherwise a file that concatenates the
// parts' row groups (each bounded and sorted) without decoding them — and an
// object PUT is atomic on S3 and on the local store,
// so a reader globbing the tree sees the partition whole or not at all. The
// manifest (files with their sizes and SHA-256s, row counts, schema version,
// input hashes) is written last; its presence is what marks a partition
// committed for distroscope's own tools. The janitor deletes staged parts
// that no run will come back for.
//
// # Integrity
//
// A flipped bit in a Parquet file mostly reads as another value, not as an
// error (see checksum.go). So every byte is accounted for: a stager may
// record its part's SHA-256, which Publish checks before committing it;
// Publish records the data object's SHA-256 in the manifest; and
// distroscope's readers open committed objects through OpenFile or
// ReadFile, which refuse one that differs as ErrCorrupt, naming it.
//
// Parquet: https://parquet.apache.org/docs/file-format/
// Hive partitioning as DuckDB reads it: https://duckdb.org/docs/data/partitioning/hive_partitioning
package datasets
