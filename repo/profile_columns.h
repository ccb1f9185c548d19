/* SPDX-License-Identifier: MIT */
/*
 * The columns of `profiles`, declared once. The schema, the INSERT, the
 * SELECT, the binds, the row decoder and every printer are generated from
 * this table; a column added here is added everywhere.
 *
 * X(name, sql, kind, prec, metric, since): name is the column and its
 * struct profile field; sql its type and constraint; kind how C holds it
 * (enum profile_kind); prec the digits a printer shows of a REAL; metric 1
 * for a measurement, which rollups sum and take the maximum of; since the
 * schema version (user_version) that added it: older files gain it by
 * ALTER TABLE, and read as they are show it NULL. `id`, the primary key,
 * comes first and is not in the table.
 */
#ifndef PROFILE_COLUMNS_H
#define PROFILE_COLUMNS_H

#define PROFILE_STATUS_CHECK "CHECK (status IN ('completed', 'unwound', 'exited'))"

#define PROFILE_COLUMNS(X)                                                                  \
	X(session_id, "INTEGER REFERENCES sessions(id)", PROFILE_REF, 0, 0, 1)              \
	X(env, "TEXT", PROFILE_TEXT, 0, 0, 1)                                               \
	X(stage, "TEXT", PROFILE_TEXT, 0, 0, 1)                                             \
	X(process_name, "TEXT NOT NULL", PROFILE_TEXT, 0, 0, 1)                             \
	X(task_start_time, "TEXT NOT NULL", PROFILE_TIME, 0, 0, 1)                          \
	X(task_end_time, "TEXT NOT NULL", PROFILE_TIME, 0, 0, 1)                            \
	X(runtime_seconds, "REAL NOT NULL", PROFILE_REAL, 6, 1, 1)                          \
	X(cpu_cores, "INTEGER", PROFILE_I64, 0, 0, 1)                                       \
	X(cpu_user_utilization, "REAL", PROFILE_REAL, 6, 1, 1)                              \
	X(cpu_system_utilization, "REAL", PROFILE_REAL, 6, 1, 1)                            \
	X(cpu_user_seconds, "REAL", PROFILE_REAL, 6, 1, 1)                                  \
	X(cpu_system_seconds, "REAL", PROFILE_REAL, 6, 1, 1)                                \
	X(memory_usage_peak_mb, "REAL", PROFILE_REAL, 3, 1, 1)                              \
	X(memory_allocations, "INTEGER", PROFILE_I64, 0, 1, 1)                              \
	X(file_read_bytes, "INTEGER", PROFILE_I64, 0, 1, 1)                                 \
	X(file_write_bytes, "INTEGER", PROFILE_I64, 0, 1, 1)                                \
	X(io_wait_time_seconds, "REAL", PROFILE_REAL, 6, 1, 1)                              \
	X(network_data_sent_bytes, "INTEGER", PROFILE_I64, 0, 1, 1)                         \
	X(network_data_received_bytes, "INTEGER", PROFILE_I64, 0, 1, 1)                     \
	X(exceptions_raised, "INTEGER", PROFILE_I64, 0, 1, 1)                               \
	X(pid, "INTEGER", PROFILE_I64, 0, 0, 1)                                             \
	X(tid, "INTEGER", PROFILE_I64, 0, 0, 1)                                             \
	X(symbol, "TEXT", PROFILE_TEXT, 0, 0, 1)                                            \
	X(binary, "TEXT", PROFILE_TEXT, 0, 0, 1)                                            \
	X(status, "TEXT NOT NULL " PROFILE_STATUS_CHECK, PROFILE_STATUS, 0, 0, 1)           \
	X(approximate, "INTEGER", PROFILE_I64, 0, 0, 4)

/* How a column's value is held in struct profile. */
enum profile_kind {
	PROFILE_I64,    /* int64_t; PROFILE_NULL_I64 is NULL */
	PROFILE_REF,    /* int64_t id of another row; 0 is NULL */
	PROFILE_REAL,   /* double */
	PROFILE_TEXT,   /* char *; NULL is NULL */
	PROFILE_TIME,   /* char[PROFILE_TIME_LEN], ISO-8601 UTC */
	PROFILE_STATUS, /* char *; NULL is stored as 'completed' */
};

enum profile_col {
#define PROFILE_COL_ENUM(name, sql, kind, prec, metric, since) PROFILE_COL_##name,
	PROFILE_COLUMNS(PROFILE_COL_ENUM)
#undef PROFILE_COL_ENUM
	PROFILE_NCOLS,
};

#endif /* PROFILE_COLUMNS_H */
