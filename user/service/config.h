/* SPDX-License-Identifier: MIT */
/*
 * The collector's configuration: the INI file read and checked whole,
 * through inih.
 */
#ifndef TP_SERVICE_CONFIG_H
#define TP_SERVICE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan/probeplan.h"

#define TP_COLLECT_CONF "/etc/taskprof/taskprof.conf"
#define TP_COLLECT_DB "/var/lib/taskprof/profiles.db"
#define TP_COLLECT_RINGBUF_MB 8 /* as record's: see TP_RINGBUF_MB */

struct collect_task {
	char *name;             /* [task NAME]: process_name */
	char *binary;           /* absolute path or glob */
	char *symbol;
	char *marker;           /* marker = NAME instead of binary and symbol */
	char *stage;            /* NULL: none */
	uint32_t max_rows;      /* per second; 0: no limit */
	enum tp_ret_mode returns;
	int line;               /* of its [task NAME] header, for messages */
	int binary_line;
	int symbol_line;
};

struct collect_config {
	char *path;
	char *database;
	char *env;
	char *readers;          /* group that may read the database, or NULL */
	gid_t readers_gid;      /* (gid_t)-1 without readers */
	unsigned int retention_days; /* 0: rows are kept */
	size_t ringbuf_mb;      /* 0: the default */
	char *prometheus;       /* ADDRESS:PORT /metrics is served on, or NULL */
	char *postgresql;       /* libpq conninfo of the central database, or NULL */
	char *host;             /* this host in the fleet: gethostname() by default */
	uint64_t spool_max_rows; /* unshipped rows kept at most; 0: no bound */
	uint32_t metrics_max_tasks; /* task series before the rest fold into "other" */
	bool has_password;      /* postgresql names a password */
	struct collect_task *tasks;
	size_t ntasks;
};

/*
 * Reads and checks the whole file. NULL, with the one line that names the
 * problem ("config: FILE:LINE: problem") in err; else the configuration,
 * and in *text (if text) the file as read.
 */
struct collect_config *collect_config__load(const char *path, char **text, char *err,
					    size_t errlen);
void collect_config__free(struct collect_config *c);


#endif /* TP_SERVICE_CONFIG_H */
