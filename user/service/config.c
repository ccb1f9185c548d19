// SPDX-License-Identifier: MIT
/*
 * The collector's configuration: an INI file read by inih, checked whole
 * before anything uses it. Every mistake is one line, "config: FILE:LINE:
 * problem", and no half-read configuration ever comes back.
 *
 *   [collector]  database, env, readers, retention_days, ringbuf_mb,
 *                prometheus, postgresql, host, spool_max_rows,
 *                metrics_max_tasks
 *   [task NAME]  binary, symbol, stage, max_rows_per_second, returns
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "service/config.h"
#include "service/config_file.h"
#include "service/config_parse.h"
#include "sink/conninfo.h"

#include "taskprof.h"
#include "plan/probeplan.h"



void config_parse__fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return; /* the first mistake is the one to fix first */
	ps->failed = true;
	ps->err_line = ps->line;
	va_start(ap, fmt);
	vsnprintf(ps->err, sizeof(ps->err), fmt, ap);
	va_end(ap);
}

/*
 * inih's fgets-like reader, counting lines so every message can name its
 * own: inih reports only the first error's line, and a handler is not told
 * which line it handles. Section headers are noted as they pass, so an
 * empty [task NAME] can be found too.
 */
static char *read_line(char *buf, int size, void *stream)
{
	struct parse *ps = stream;
	char *s = fgets(buf, size, ps->f);
	size_t len;

	if (!s)
		return NULL;
	if (ps->line_ended || !ps->line)
		ps->line++;
	len = strlen(s);
	ps->line_ended = len && s[len - 1] == '\n';
	s += strspn(s, " \t");
	if (*s == '[')
		ps->section_line = ps->line;
	return buf;
}

static int on_pair(void *user, const char *section, const char *key, const char *v)
{
	struct parse *ps = user;

	if (ps->failed)
		return 0;
	if (!strcmp(section, "collector"))
		return config_parse__collector_key(ps, key, v);
	if (!strncmp(section, TASK_PREFIX, strlen(TASK_PREFIX)) || !strcmp(section, "task"))
		return config_parse__task_key(ps, section, key, v);
	if (!*section)
		config_parse__fail(ps, "'%s' is outside any section: put it under [collector] or [task NAME]",
		     key);
	else
		config_parse__fail(ps, "unknown section [%s]: expected [collector] or [task NAME]", section);
	return 0;
}

/* What no single line shows: required keys, the group, at least one task. */
static void check_whole(struct parse *ps)
{
	struct collect_config *c = ps->c;
	struct group *g;

	for (size_t i = 0; i < c->ntasks && !ps->failed; i++) {
		struct collect_task *t = &c->tasks[i];

		ps->line = t->line;
		if (t->marker && (t->binary || t->symbol))
			config_parse__fail(ps, "[task %s] names a marker and a binary or symbol: a marker task "
				 "takes neither", t->name);
		else if (t->marker)
			continue;
		else if (!t->binary)
			config_parse__fail(ps, "[task %s] has no binary: the program or library that holds %s "
				 "(or marker = NAME for a marked region)",
			     t->name, t->symbol ? t->symbol : "its symbol");
		else if (!t->symbol)
			config_parse__fail(ps, "[task %s] has no symbol: the function to profile", t->name);
	}
	ps->line = 0;
	if (!ps->failed && !c->ntasks)
		config_parse__fail(ps, "no [task NAME] section: nothing to profile");
	if (!ps->failed && c->readers) {
		ps->line = ps->readers_line;
		g = getgrnam(c->readers);
		if (!g)
			config_parse__fail(ps, "readers: no group '%s' on this machine: create it "
				 "(groupadd %s) or leave readers out", c->readers, c->readers);
		else
			c->readers_gid = g->gr_gid;
		ps->line = 0;
	}
	if (!ps->failed && !c->database && !(c->database = strdup(TP_COLLECT_DB)))
		config_parse__fail(ps, "out of memory");
	if (!ps->failed && c->database[0] != '/')
		config_parse__fail(ps, "database '%s' must be an absolute path", c->database);
}

struct collect_config *collect_config__load(const char *path, char **text, char *err,
					    size_t errlen)
{
	struct parse ps = { 0 };
	int rc;

	err[0] = 0;
	if (text)
		*text = NULL;
	ps.c = calloc(1, sizeof(*ps.c));
	ps.f = config_file__open(path);
	if (!ps.c || !ps.f) {
		snprintf(err, errlen, "config: cannot read %s: %s%s", path,
			 errno == ENOEXEC ? "not a regular file" : strerror(errno),
			 strcmp(path, TP_COLLECT_CONF) ? "" : ": write it, or give --config FILE");
		goto fail;
	}
	if (text && !(*text = config_file__slurp(ps.f))) {
		snprintf(err, errlen, "config: cannot read %s: %s", path, strerror(ENOMEM));
		goto fail;
	}
	ps.c->readers_gid = (gid_t)-1;
	ps.c->path = strdup(path);
	/* a line is as long as it is; a second line is never a continuation */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 1 << 16;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;
	rc = ini_parse_stream(read_line, &ps, on_pair, &ps);
	if (rc > 0 && !ps.failed) {
		ps.line = rc;
		config_parse__fail(&ps, "cannot parse this line: expected [section], key = value, or a "
			  "comment starting with ; or #");
	} else if (rc < 0) {
		config_parse__fail(&ps, "out of memory");
	}
	if (!ps.failed)
		check_whole(&ps);
	/* root runs what it names, so only root may change it (StrictModes) */
	if (!ps.failed && geteuid() == 0 &&
	    config_file__check_trust(path, 0, ps.c->has_password, err, errlen)) {
		fclose(ps.f);
		ps.f = NULL;
		goto fail;
	}
	if (!ps.failed && !ps.c->path)
		config_parse__fail(&ps, "out of memory");
	if (ps.failed) {
		if (ps.err_line > 0)
			snprintf(err, errlen, "config: %s:%d: %s", path, ps.err_line, ps.err);
		else
			snprintf(err, errlen, "config: %s: %s", path, ps.err);
		goto fail;
	}
	fclose(ps.f);
	return ps.c;
fail:
	if (ps.f)
		fclose(ps.f);
	if (text) {
		free(*text);
		*text = NULL;
	}
	collect_config__free(ps.c);
	errno = EINVAL;
	return NULL;
}

void collect_config__free(struct collect_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ntasks; i++) {
		free(c->tasks[i].name);
		free(c->tasks[i].binary);
		free(c->tasks[i].symbol);
		free(c->tasks[i].marker);
		free(c->tasks[i].stage);
	}
	free(c->tasks);
	free(c->path);
	free(c->database);
	free(c->env);
	free(c->readers);
	free(c->prometheus);
	free(c->postgresql);
	free(c->host);
	free(c);
}
