// SPDX-License-Identifier: MIT
/*
 * Opening a repository: look before writing (a corrupt or foreign file
 * stays untouched), WAL and busy_timeout, the schema created or migrated
 * (schema.c) and every statement prepared once (statements.c); closing it.
 * Its steps return 0 or a positive errno, which open leaves in errno.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo_central.h"
#include "repo_internal.h"
#include "repo_schema.h"
#include "repo_statements.h"

#define BUSY_TIMEOUT_MS 5000

/* How many tables the file holds, and its user_version; an SQLite result code. */
static int read_user_version(sqlite3 *db, int *version, int *ntables)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*ntables = sqlite3_column_int(st, 0);
	else if (rc == SQLITE_OK)
		rc = sqlite3_errcode(db);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	else if (rc == SQLITE_OK)
		rc = sqlite3_errcode(db);
	sqlite3_finalize(st);
	return rc;
}

void profile_repo__close(struct profile_repo *repo)
{
	if (!repo)
		return;
	for (int i = 0; i < ST_NR; i++)
		sqlite3_finalize(repo->st[i]);
	sqlite3_close(repo->db);
	central__close(repo->central);
	free(repo);
}

/* Whether path may be opened: it exists (or may be made) and is a file. */
static int check_path(const char *path, bool readonly, bool *exists)
{
	struct stat sb;
	bool memory = !strcmp(path, ":memory:");

	*exists = memory || stat(path, &sb) == 0;
	if (!*exists && readonly) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: no database at %s: record a session first, or pass --db", path);
		return ENOENT;
	}
	if (*exists && !memory && !S_ISREG(sb.st_mode)) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: %s is not a regular file: pass --db FILE", path);
		return EISDIR;
	}
	return 0;
}

static int open_handle(struct profile_repo *repo, const char *path, bool readonly, bool exists)
{
	int oflags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	int rc;

	if (!exists)
		oflags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &repo->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK && exists && access(path, readonly ? R_OK : R_OK | W_OK)) {
		/* a collector's database: readable by root and its readers group */
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: cannot open %s: %s: ask its owner for access (a collector's "
			      "database is for root and the group named by readers =)",
			      path, strerror(errno));
		return -EACCES;
	}
	if (rc != SQLITE_OK) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: cannot open %s: %s: check that its directory exists and is "
			      "writable", path,
			      repo->db ? sqlite3_errmsg(repo->db) : sqlite3_errstr(rc));
		return -repo__errno(rc);
	}
	sqlite3_busy_timeout(repo->db, BUSY_TIMEOUT_MS);
	return 0;
}

/* Look before writing anything: a corrupt or foreign file stays untouched. */
static int inspect(struct profile_repo *repo, const char *path, int *version)
{
	int ntables = 0;

	if (read_user_version(repo->db, version, &ntables) != SQLITE_OK) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: %s is not a usable SQLite database (%s): it was left "
			      "untouched; pass --db with a new path", path, sqlite3_errmsg(repo->db));
		return EILSEQ;
	}
	if (*version > SCHEMA_VERSION) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: %s has schema version %d, newer than this taskprof's %d: "
			      "upgrade taskprof", path, *version, SCHEMA_VERSION);
		return EPROTO;
	}
	if (*version == 0 && ntables > 0) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: %s holds tables that are not taskprof's: it was left "
			      "untouched; pass --db with a new path", path);
		return EILSEQ;
	}
	return 0;
}

/*
 * WAL, so readers never wait for the writer; then the schema. The -wal and
 * -shm files stay after the last writer closes: a reader who may read the
 * database but not write its directory (the collector's readers group)
 * can open it read-only only while they exist (SQLite 3.22+).
 */
static int make_writable(struct profile_repo *repo, const char *path, int version)
{
	char *msg = NULL;
	int rc = SQLITE_OK, err, one = 1;

	if (strcmp(path, ":memory:"))
		sqlite3_file_control(repo->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	if (strcmp(path, ":memory:"))
		/* checkpoint every ~16 MB of WAL rather than every 4 MB: fewer
		 * double writes while a burst is stored */
		rc = sqlite3_exec(repo->db, "PRAGMA journal_mode = WAL; "
				  "PRAGMA synchronous = NORMAL; "
				  "PRAGMA wal_autocheckpoint = 4000; "
				  "PRAGMA cache_size = -16384", NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: cannot write %s: %s: pass --db with a writable path", path,
			      msg ? msg : sqlite3_errmsg(repo->db));
		sqlite3_free(msg);
		return -repo__errno(rc);
	}
	err = schema__write(repo, version);
	if (err)
		repo__set_err(repo_open_err, sizeof(repo_open_err), "%s: pass --db with a writable path",
			      repo->err);
	return -err;
}

/* The database opened again read-only and immutable: for a reader who may
 * not create its -shm. 0 or a positive errno, with repo_open_err set. */
static int reopen_immutable(struct profile_repo *repo, const char *path)
{
	char uri[3 * PATH_MAX + 32], *o = uri;
	int rc;

	/* a URI: every byte but the unreserved ones percent-encoded */
	o += sprintf(o, "file:");
	for (const unsigned char *s = (const unsigned char *)path; *s && o < uri + sizeof(uri) - 32;
	     s++)
		o += isalnum(*s) || strchr("/-._~", *s) ? sprintf(o, "%c", *s) : sprintf(o, "%%%02X", *s);
	strcpy(o, "?immutable=1");
	sqlite3_close(repo->db);
	repo->db = NULL;
	rc = sqlite3_open_v2(uri, &repo->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
						 SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		repo__set_err(repo_open_err, sizeof(repo_open_err), "repo: cannot read %s: %s", path,
			      repo->db ? sqlite3_errmsg(repo->db) : sqlite3_errstr(rc));
		return EIO;
	}
	return 0;
}

/* A fleet's central database: read-only whatever the flags, since only
 * collectors write there, each its own rows. */
static struct profile_repo *open_central(const char *uri)
{
	struct profile_repo *repo = calloc(1, sizeof(*repo));

	if (!repo)
		return NULL;
	repo->flags = PROFILE_REPO_READONLY;
	repo->central = central__open(uri);
	if (!repo->central) {
		int err = errno;

		free(repo);
		errno = err;
		return NULL;
	}
	return repo;
}

int profile_repo__set_host(struct profile_repo *repo, const char *host)
{
	if (!repo)
		return -EINVAL;
	if (!repo->central) {
		repo__set_err(repo->err, sizeof(repo->err), "repo: --host reads a central "
			      "postgresql:// database; a SQLite file holds one host's rows");
		return -EINVAL;
	}
	return central__set_host(repo, host);
}

struct profile_repo *profile_repo__open(const char *path, unsigned int flags)
{
	bool readonly = flags & PROFILE_REPO_READONLY, exists;
	struct profile_repo *repo = NULL;
	int version = 0, err;

	repo_open_err[0] = 0;
	if (central__is_uri(path))
		return open_central(path);
	/* no global allocation statistics: they take a mutex on every malloc */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	err = check_path(path, readonly, &exists);
	if (!err) {
		repo = calloc(1, sizeof(*repo));
		err = repo ? 0 : ENOMEM;
	}
	if (!err) {
		repo->flags = flags;
		err = open_handle(repo, path, readonly, exists);
	}
	if (!err)
		err = inspect(repo, path, &version);
	/* WAL without its -shm, in a directory a reader may not write: the
	 * file as it stands, unlocked (no writer has it open, or -shm would be) */
	if (err == EILSEQ && readonly && sqlite3_errcode(repo->db) == SQLITE_READONLY) {
		err = reopen_immutable(repo, path);
		if (!err)
			err = inspect(repo, path, &version);
	}
	if (!err && !readonly) {
		err = make_writable(repo, path, version);
		version = SCHEMA_VERSION; /* migrated */
	}
	/* an empty file read as it is: nothing to read, nothing to prepare */
	if (!err && (!readonly || version > 0))
		err = -statements__prepare(repo, version, path);
	if (!err)
		return repo;
	profile_repo__close(repo);
	errno = err;
	return NULL;
}
