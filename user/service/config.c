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
#include "service/conninfo.h"

#include "taskprof.h"
#include "plan/probeplan.h"

#define TASK_PREFIX "task "

struct parse {
	struct collect_config *c;
	FILE *f;
	int line;          /* of the line inih handles now */
	bool line_ended;   /* the last chunk read ended its line */
	bool failed;
	int err_line;      /* 0: the mistake is in no one line */
	char err[512];
	int section_line;  /* of the last [section] header seen */
	int readers_line;
};

static void fail(struct parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct parse *ps, const char *fmt, ...)
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

static int parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(v, &end, 10);
	return errno || end == v || *end || *v == '-' || *out == 0 || *out > max ? -EINVAL : 0;
}

static int set_str(struct parse *ps, char **dst, const char *section, const char *key,
		   const char *v)
{
	if (*dst) {
		fail(ps, "'%s' given twice in [%s]", key, section);
		return 0;
	}
	if (!*v) {
		fail(ps, "'%s' in [%s] is empty", key, section);
		return 0;
	}
	*dst = strdup(v);
	if (!*dst)
		fail(ps, "out of memory");
	return *dst != NULL;
}

/* ADDRESS:PORT, the address an IPv4 or [IPv6] literal, the port 1-65535 */
static bool address_ok(const char *v)
{
	const char *colon = strrchr(v, ':');
	char *end;
	long port;

	if (!colon || colon == v)
		return false;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535 || colon[1] == 0)
		return false;
	return v[0] == '[' ? colon[-1] == ']' : memchr(v, ':', colon - v) == NULL;
}

/* The keys of a collector in a fleet: metrics, the central database. */
static int fleet_key(struct parse *ps, const char *key, const char *v)
{
	struct collect_config *c = ps->c;
	unsigned long n;

	if (!strcmp(key, "prometheus")) {
		if (!address_ok(v))
			fail(ps, "prometheus must be ADDRESS:PORT (127.0.0.1:9464, [::1]:9464), "
				 "not '%s'", v);
		return !ps->failed && set_str(ps, &c->prometheus, "collector", key, v);
	}
	if (!strcmp(key, "postgresql")) {
		int pw = conninfo__has_password(v);

		if (pw < 0)
			fail(ps, "postgresql is not a libpq connection string or URI "
				 "(host=... dbname=..., or postgresql://host/db)");
		c->has_password = pw > 0;
		return !ps->failed && set_str(ps, &c->postgresql, "collector", key, v);
	}
	if (!strcmp(key, "host"))
		return set_str(ps, &c->host, "collector", key, v);
	if (parse_uint(v, !strcmp(key, "spool_max_rows") ? 1000000000000UL : 100000, &n))
		fail(ps, "%s must be a whole number from 1, not '%s'", key, v);
	else if (!strcmp(key, "spool_max_rows"))
		c->spool_max_rows = n;
	else
		c->metrics_max_tasks = n;
	return !ps->failed;
}

static int collector_key(struct parse *ps, const char *key, const char *v)
{
	struct collect_config *c = ps->c;
	unsigned long n;

	if (!strcmp(key, "database"))
		return set_str(ps, &c->database, "collector", key, v);
	if (!strcmp(key, "env"))
		return set_str(ps, &c->env, "collector", key, v);
	if (!strcmp(key, "readers")) {
		ps->readers_line = ps->line;
		return set_str(ps, &c->readers, "collector", key, v);
	}
	if (!strcmp(key, "retention_days")) {
		if (parse_uint(v, 100000, &n))
			fail(ps, "retention_days must be a whole number of days from 1, not '%s'", v);
		c->retention_days = n;
		return !ps->failed;
	}
	if (!strcmp(key, "ringbuf_mb")) {
		if (parse_uint(v, TP_RINGBUF_MAX_MB, &n) || (n & (n - 1)))
			fail(ps, "ringbuf_mb must be a power of two from 1 to %d, not '%s'",
			     TP_RINGBUF_MAX_MB, v);
		c->ringbuf_mb = n;
		return !ps->failed;
	}
	if (!strcmp(key, "prometheus") || !strcmp(key, "postgresql") || !strcmp(key, "host") ||
	    !strcmp(key, "spool_max_rows") || !strcmp(key, "metrics_max_tasks"))
		return fleet_key(ps, key, v);
	fail(ps, "unknown key '%s' in [collector]: expected database, env, readers, "
		 "retention_days, ringbuf_mb, prometheus, postgresql, host, spool_max_rows or "
		 "metrics_max_tasks", key);
	return 0;
}

/* The task of section "task NAME", added at its first key. */
static struct collect_task *task_of(struct parse *ps, const char *section)
{
	struct collect_config *c = ps->c;
	/* "[task]" alone is shorter than the prefix: no name */
	const char *name = strlen(section) > strlen(TASK_PREFIX) ? section + strlen(TASK_PREFIX) : "";
	struct collect_task *t;

	name += strspn(name, " \t");
	if (!*name) {
		fail(ps, "[task] needs a name: [task NAME], which becomes process_name");
		return NULL;
	}
	for (size_t i = 0; i < c->ntasks; i++)
		if (!strcmp(c->tasks[i].name, name))
			return &c->tasks[i];
	if (c->ntasks == TP_MAX_TASKS) {
		fail(ps, "more than %d tasks", TP_MAX_TASKS);
		return NULL;
	}
	t = realloc(c->tasks, (c->ntasks + 1) * sizeof(*t));
	if (!t) {
		fail(ps, "out of memory");
		return NULL;
	}
	c->tasks = t;
	t = &t[c->ntasks++];
	memset(t, 0, sizeof(*t));
	t->line = ps->section_line;
	t->name = strdup(name);
	if (!t->name)
		fail(ps, "out of memory");
	return t->name ? t : NULL;
}

static int task_key(struct parse *ps, const char *section, const char *key, const char *v)
{
	struct collect_task *t = task_of(ps, section);
	unsigned long n;

	if (!t)
		return 0;
	if (!strcmp(key, "binary")) {
		t->binary_line = ps->line;
		if (*v && *v != '/')
			fail(ps, "binary '%s' of [%s] must be an absolute path or glob", v, section);
		return !ps->failed && set_str(ps, &t->binary, section, key, v);
	}
	if (!strcmp(key, "symbol")) {
		t->symbol_line = ps->line;
		return set_str(ps, &t->symbol, section, key, v);
	}
	if (!strcmp(key, "marker")) {
		if (strlen(v) >= TP_MARKER_NAME)
			fail(ps, "marker '%s' of [%s]: a marker name holds at most %d bytes", v,
			     section, TP_MARKER_NAME - 1);
		return !ps->failed && set_str(ps, &t->marker, section, key, v);
	}
	if (!strcmp(key, "stage"))
		return set_str(ps, &t->stage, section, key, v);
	if (!strcmp(key, "max_rows_per_second")) {
		if (parse_uint(v, UINT32_MAX, &n))
			fail(ps, "max_rows_per_second must be a whole number from 1, not '%s'", v);
		t->max_rows = n;
		return !ps->failed;
	}
	if (!strcmp(key, "returns")) {
		if (!strcmp(v, "auto"))
			t->returns = TP_RET_AUTO;
		else if (!strcmp(v, "uretprobe"))
			t->returns = TP_RET_URETPROBE;
		else if (!strcmp(v, "insn"))
			t->returns = TP_RET_INSN;
		else if (!strcmp(v, "sites"))
			t->returns = TP_RET_SITES;
		else
			fail(ps, "returns must be auto, sites, uretprobe or insn, not '%s'", v);
		return !ps->failed;
	}
	fail(ps, "unknown key '%s' in [%s]: expected binary, symbol, marker, stage, "
		 "max_rows_per_second or returns", key, section);
	return 0;
}

static int on_pair(void *user, const char *section, const char *key, const char *v)
{
	struct parse *ps = user;

	if (ps->failed)
		return 0;
	if (!strcmp(section, "collector"))
		return collector_key(ps, key, v);
	if (!strncmp(section, TASK_PREFIX, strlen(TASK_PREFIX)) || !strcmp(section, "task"))
		return task_key(ps, section, key, v);
	if (!*section)
		fail(ps, "'%s' is outside any section: put it under [collector] or [task NAME]",
		     key);
	else
		fail(ps, "unknown section [%s]: expected [collector] or [task NAME]", section);
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
			fail(ps, "[task %s] names a marker and a binary or symbol: a marker task "
				 "takes neither", t->name);
		else if (t->marker)
			continue;
		else if (!t->binary)
			fail(ps, "[task %s] has no binary: the program or library that holds %s "
				 "(or marker = NAME for a marked region)",
			     t->name, t->symbol ? t->symbol : "its symbol");
		else if (!t->symbol)
			fail(ps, "[task %s] has no symbol: the function to profile", t->name);
	}
	ps->line = 0;
	if (!ps->failed && !c->ntasks)
		fail(ps, "no [task NAME] section: nothing to profile");
	if (!ps->failed && c->readers) {
		ps->line = ps->readers_line;
		g = getgrnam(c->readers);
		if (!g)
			fail(ps, "readers: no group '%s' on this machine: create it "
				 "(groupadd %s) or leave readers out", c->readers, c->readers);
		else
			c->readers_gid = g->gr_gid;
		ps->line = 0;
	}
	if (!ps->failed && !c->database && !(c->database = strdup(TP_COLLECT_DB)))
		fail(ps, "out of memory");
	if (!ps->failed && c->database[0] != '/')
		fail(ps, "database '%s' must be an absolute path", c->database);
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
		fail(&ps, "cannot parse this line: expected [section], key = value, or a "
			  "comment starting with ; or #");
	} else if (rc < 0) {
		fail(&ps, "out of memory");
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
		fail(&ps, "out of memory");
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

static void trim(char *v)
{
	size_t n = strlen(v), k = strspn(v, " \t");

	while (n > k && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	memmove(v, v + k, n - k);
	v[n - k] = 0;
}

/* A postgresql = VALUE line's replacement, if VALUE names a password. */
static bool redact_line(const char *line, size_t n, char *out, size_t len)
{
	const char *k = line, *eq = memchr(line, '=', n);
	char v[4096], who[1024];

	while (k < line + n && (*k == ' ' || *k == '\t'))
		k++;
	if (!eq || strncmp(k, "postgresql", 10) || !strchr(" \t=", k[10]))
		return false;
	snprintf(v, sizeof(v), "%.*s", (int)(line + n - eq - 1), eq + 1);
	v[strcspn(v, "\r\n")] = 0;
	trim(v);
	/* as inih reads it: " ;" starts a comment */
	for (char *c = v; *c; c++)
		if (*c == ';' && c > v && (c[-1] == ' ' || c[-1] == '\t')) {
			*c = 0;
			trim(v);
			break;
		}
	if (conninfo__has_password(v) == 0)
		return false;
	conninfo__describe(v, who, sizeof(who));
	snprintf(out, len, "postgresql = %s password=********\n", who);
	return true;
}

char *collect_config__redacted(const char *text)
{
	size_t cap = strlen(text) + 1, used = 0;
	char *out = malloc(cap), *nb, repl[1200];

	for (const char *p = text; out && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p + 1) : strlen(p), r;
		const char *src = p;

		p += n;
		if (redact_line(src, n, repl, sizeof(repl))) {
			src = repl;
			n = strlen(repl);
		}
		r = used + n + 1;
		if (r > cap) {
			nb = realloc(out, r);
			if (!nb) {
				free(out);
				return NULL;
			}
			out = nb;
			cap = r;
		}
		memcpy(out + used, src, n);
		used += n;
	}
	if (out)
		out[used] = 0;
	return out;
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
