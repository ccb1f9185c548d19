// SPDX-License-Identifier: MIT
/*
 * The keys each section of the configuration takes, each value checked as
 * it is read (config_parse.h); what no one line shows is config.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "taskprof.h"
#include "plan/probeplan.h"
#include "service/config.h"
#include "service/config_parse.h"
#include "sink/conninfo.h"

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
		config_parse__fail(ps, "'%s' given twice in [%s]", key, section);
		return 0;
	}
	if (!*v) {
		config_parse__fail(ps, "'%s' in [%s] is empty", key, section);
		return 0;
	}
	*dst = strdup(v);
	if (!*dst)
		config_parse__fail(ps, "out of memory");
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
			config_parse__fail(ps, "prometheus must be ADDRESS:PORT (127.0.0.1:9464, [::1]:9464), "
				 "not '%s'", v);
		return !ps->failed && set_str(ps, &c->prometheus, "collector", key, v);
	}
	if (!strcmp(key, "postgresql")) {
		int pw = conninfo__has_password(v);

		if (pw < 0)
			config_parse__fail(ps, "postgresql is not a libpq connection string or URI "
				 "(host=... dbname=..., or postgresql://host/db)");
		c->has_password = pw > 0;
		return !ps->failed && set_str(ps, &c->postgresql, "collector", key, v);
	}
	if (!strcmp(key, "host"))
		return set_str(ps, &c->host, "collector", key, v);
	if (parse_uint(v, !strcmp(key, "spool_max_rows") ? 1000000000000UL : 100000, &n))
		config_parse__fail(ps, "%s must be a whole number from 1, not '%s'", key, v);
	else if (!strcmp(key, "spool_max_rows"))
		c->spool_max_rows = n;
	else
		c->metrics_max_tasks = n;
	return !ps->failed;
}

int config_parse__collector_key(struct parse *ps, const char *key, const char *v)
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
			config_parse__fail(ps, "retention_days must be a whole number of days from 1, not '%s'", v);
		c->retention_days = n;
		return !ps->failed;
	}
	if (!strcmp(key, "ringbuf_mb")) {
		if (parse_uint(v, TP_RINGBUF_MAX_MB, &n) || (n & (n - 1)))
			config_parse__fail(ps, "ringbuf_mb must be a power of two from 1 to %d, not '%s'",
			     TP_RINGBUF_MAX_MB, v);
		c->ringbuf_mb = n;
		return !ps->failed;
	}
	if (!strcmp(key, "prometheus") || !strcmp(key, "postgresql") || !strcmp(key, "host") ||
	    !strcmp(key, "spool_max_rows") || !strcmp(key, "metrics_max_tasks"))
		return fleet_key(ps, key, v);
	config_parse__fail(ps, "unknown key '%s' in [collector]: expected database, env, readers, "
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
		config_parse__fail(ps, "[task] needs a name: [task NAME], which becomes process_name");
		return NULL;
	}
	for (size_t i = 0; i < c->ntasks; i++)
		if (!strcmp(c->tasks[i].name, name))
			return &c->tasks[i];
	if (c->ntasks == TP_MAX_TASKS) {
		config_parse__fail(ps, "more than %d tasks", TP_MAX_TASKS);
		return NULL;
	}
	t = realloc(c->tasks, (c->ntasks + 1) * sizeof(*t));
	if (!t) {
		config_parse__fail(ps, "out of memory");
		return NULL;
	}
	c->tasks = t;
	t = &t[c->ntasks++];
	memset(t, 0, sizeof(*t));
	t->line = ps->section_line;
	t->name = strdup(name);
	if (!t->name)
		config_parse__fail(ps, "out of memory");
	return t->name ? t : NULL;
}

int config_parse__task_key(struct parse *ps, const char *section, const char *key, const char *v)
{
	struct collect_task *t = task_of(ps, section);
	unsigned long n;

	if (!t)
		return 0;
	if (!strcmp(key, "binary")) {
		t->binary_line = ps->line;
		if (*v && *v != '/')
			config_parse__fail(ps, "binary '%s' of [%s] must be an absolute path or glob", v, section);
		return !ps->failed && set_str(ps, &t->binary, section, key, v);
	}
	if (!strcmp(key, "symbol")) {
		t->symbol_line = ps->line;
		return set_str(ps, &t->symbol, section, key, v);
	}
	if (!strcmp(key, "marker")) {
		if (strlen(v) >= TP_MARKER_NAME)
			config_parse__fail(ps, "marker '%s' of [%s]: a marker name holds at most %d bytes", v,
			     section, TP_MARKER_NAME - 1);
		return !ps->failed && set_str(ps, &t->marker, section, key, v);
	}
	if (!strcmp(key, "stage"))
		return set_str(ps, &t->stage, section, key, v);
	if (!strcmp(key, "max_rows_per_second")) {
		if (parse_uint(v, UINT32_MAX, &n))
			config_parse__fail(ps, "max_rows_per_second must be a whole number from 1, not '%s'", v);
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
			config_parse__fail(ps, "returns must be auto, sites, uretprobe or insn, not '%s'", v);
		return !ps->failed;
	}
	config_parse__fail(ps, "unknown key '%s' in [%s]: expected binary, symbol, marker, stage, "
		 "max_rows_per_second or returns", key, section);
	return 0;
}

