// SPDX-License-Identifier: MIT
/*
 * Task metrics kept as invocations are observed (metrics.h). Series are
 * found by hashing (task, stage, env); a task name past the cap counts as
 * "other". Nothing here allocates per invocation once a series exists.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profile_repo.h"
#include "sink/metrics.h"
#include "sink/sink_impl.h"

#define NBUCKETS 1024 /* hash buckets of series */
#define OTHER "other"

static const double runtime_le[] = { METRICS_RUNTIME_BUCKETS };
static const double memory_le[] = { METRICS_MEMORY_BUCKETS };
#define NRT (sizeof(runtime_le) / sizeof(runtime_le[0]))
#define NMEM (sizeof(memory_le) / sizeof(memory_le[0]))

struct series {
	struct series *next;
	char *task, *stage, *env;
	char *labels; /* task="..",stage="..",env=".." escaped, made once */
	uint64_t status[PROFILE_NSTATUS];
	double cpu_user, cpu_system, io_wait;
	uint64_t read, written, sent, received, exceptions;
	uint64_t rt_count, rt_bucket[NRT];
	double rt_sum;
	uint64_t mem_count, mem_bucket[NMEM];
	double mem_sum;
};

struct metrics {
	struct sink base;
	struct series *b[NBUCKETS];
	char **tasks; /* distinct task names with series of their own */
	size_t ntasks, max_tasks;
	uint64_t folded;
};

#define M(s) ((struct metrics *)(s))

static uint64_t hash(const char *a, const char *b, const char *c)
{
	uint64_t h = 1469598103934665603ULL;
	const char *parts[] = { a, b, c };

	for (int i = 0; i < 3; i++) {
		for (const char *p = parts[i] ? parts[i] : ""; *p; p++)
			h = (h ^ (uint8_t)*p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	return h;
}

static bool same(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* The task name a series goes under: its own, if it has or can get one. */
static const char *task_name(struct metrics *m, const char *task)
{
	char **nv;

	for (size_t i = 0; i < m->ntasks; i++)
		if (!strcmp(m->tasks[i], task))
			return m->tasks[i];
	if (m->ntasks >= m->max_tasks)
		return NULL;
	nv = realloc(m->tasks, (m->ntasks + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	m->tasks = nv;
	nv[m->ntasks] = strdup(task);
	return nv[m->ntasks] ? nv[m->ntasks++] : NULL;
}

static char *label_set(const struct series *s);

static struct series *find(struct metrics *m, const char *task, const struct profile *p)
{
	struct series *s = m->b[hash(task, p->stage, p->env) % NBUCKETS];

	for (; s; s = s->next)
		if (!strcmp(s->task, task) && same(s->stage, p->stage) && same(s->env, p->env))
			return s;
	return NULL;
}

static struct series *add(struct metrics *m, const char *task, const struct profile *p)
{
	struct series *s = calloc(1, sizeof(*s)), **head;

	if (!s)
		return NULL;
	s->task = strdup(task);
	s->stage = strdup(p->stage ? p->stage : "");
	s->env = strdup(p->env ? p->env : "");
	s->labels = s->task && s->stage && s->env ? label_set(s) : NULL;
	if (!s->labels) {
		free(s->task), free(s->stage), free(s->env), free(s);
		return NULL;
	}
	head = &m->b[hash(task, p->stage, p->env) % NBUCKETS];
	s->next = *head;
	*head = s;
	return s;
}

/* Its own series when it has one (the common case: one hash lookup), a new
 * one while the cap allows, else task="other"'s. */
static struct series *series_of(struct metrics *m, const struct profile *p)
{
	const char *name = p->process_name ? p->process_name : "", *task;
	struct series *s = find(m, name, p);

	if (s)
		return s;
	task = task_name(m, name);
	if (!task) {
		m->folded++;
		task = OTHER;
		s = find(m, task, p);
		if (s)
			return s;
	}
	return add(m, task, p);
}

static uint64_t u(int64_t v)
{
	return v == PROFILE_NULL_I64 || v < 0 ? 0 : (uint64_t)v;
}

static double r(double v)
{
	return isnan(v) || v < 0 ? 0 : v;
}

static void observe(struct sink *sk, const struct profile *p)
{
	struct series *s = series_of(M(sk), p);
	int st = profile_status__parse(p->status);

	if (!s)
		return;
	s->status[st < 0 ? PROFILE_EXITED : st]++;
	s->cpu_user += r(p->cpu_user_seconds);
	s->cpu_system += r(p->cpu_system_seconds);
	s->io_wait += r(p->io_wait_time_seconds);
	s->read += u(p->file_read_bytes);
	s->written += u(p->file_write_bytes);
	s->sent += u(p->network_data_sent_bytes);
	s->received += u(p->network_data_received_bytes);
	s->exceptions += u(p->exceptions_raised);
	s->rt_count++;
	s->rt_sum += r(p->runtime_seconds);
	for (size_t i = 0; i < NRT; i++)
		s->rt_bucket[i] += r(p->runtime_seconds) <= runtime_le[i];
	if (!isnan(p->memory_usage_peak_mb)) {
		double bytes = r(p->memory_usage_peak_mb) * 1048576.0;

		s->mem_count++;
		s->mem_sum += bytes;
		for (size_t i = 0; i < NMEM; i++)
			s->mem_bucket[i] += bytes <= memory_le[i];
	}
}

/* A label value: backslash, double quote and line feed escaped. */
static void label(FILE *f, const char *name, const char *v, bool last)
{
	fprintf(f, "%s=\"", name);
	for (size_t run; *v; v += run) {
		run = strcspn(v, "\\\"\n");
		fwrite(v, 1, run, f);
		if (v[run]) {
			fputs(v[run] == '\n' ? "\\n" : v[run] == '"' ? "\\\"" : "\\\\", f);
			run++;
		}
	}
	fputs(last ? "\"" : "\",", f);
}

/* A series' three labels, escaped once for every line that carries them. */
static char *label_set(const struct series *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	label(f, "task", s->task, false);
	label(f, "stage", s->stage, false);
	label(f, "env", s->env, true);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

static void labels(FILE *f, const struct series *s, const char *extra, const char *xv)
{
	fputc('{', f);
	fputs(s->labels, f);
	if (extra)
		fprintf(f, ",%s=\"%s\"", extra, xv);
	fputc('}', f);
}

typedef void (*emit_fn)(FILE *f, const char *name, const struct series *s);

static void each(struct metrics *m, FILE *f, const char *name, const char *type,
		 const char *help, emit_fn fn)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	for (size_t b = 0; b < NBUCKETS; b++)
		for (const struct series *s = m->b[b]; s; s = s->next)
			fn(f, name, s);
}

static void emit_status(FILE *f, const char *name, const struct series *s)
{
	for (int i = 0; i < PROFILE_NSTATUS; i++) {
		fputs(name, f);
		labels(f, s, "status", profile_status__name(i));
		fprintf(f, " %llu\n", (unsigned long long)s->status[i]);
	}
}

static void emit_cpu(FILE *f, const char *name, const struct series *s)
{
	fputs(name, f);
	labels(f, s, "mode", "user");
	fprintf(f, " %.9g\n%s", s->cpu_user, name);
	labels(f, s, "mode", "system");
	fprintf(f, " %.9g\n", s->cpu_system);
}

static void hist(FILE *f, const char *name, const struct series *s, const double *le, size_t n,
		 const uint64_t *bucket, uint64_t count, double sum)
{
	char v[32];

	for (size_t i = 0; i <= n; i++) {
		if (i < n)
			snprintf(v, sizeof(v), "%.9g", le[i]);
		fprintf(f, "%s_bucket", name);
		labels(f, s, "le", i < n ? v : "+Inf");
		fprintf(f, " %llu\n", (unsigned long long)(i < n ? bucket[i] : count));
	}
	fprintf(f, "%s_sum", name);
	labels(f, s, NULL, NULL);
	fprintf(f, " %.9g\n%s_count", sum, name);
	labels(f, s, NULL, NULL);
	fprintf(f, " %llu\n", (unsigned long long)count);
}

static void emit_runtime(FILE *f, const char *name, const struct series *s)
{
	hist(f, name, s, runtime_le, NRT, s->rt_bucket, s->rt_count, s->rt_sum);
}

static void emit_memory(FILE *f, const char *name, const struct series *s)
{
	hist(f, name, s, memory_le, NMEM, s->mem_bucket, s->mem_count, s->mem_sum);
}

/* The counters that are one number a series, by their offset in it. */
#define SCALAR(field, fmt, cast)                                                          \
	static void emit_##field(FILE *f, const char *name, const struct series *s)      \
	{                                                                                 \
		fputs(name, f);                                                           \
		labels(f, s, NULL, NULL);                                                 \
		fprintf(f, " " fmt "\n", (cast)s->field);                                 \
	}
SCALAR(io_wait, "%.9g", double)
SCALAR(read, "%llu", unsigned long long)
SCALAR(written, "%llu", unsigned long long)
SCALAR(sent, "%llu", unsigned long long)
SCALAR(received, "%llu", unsigned long long)
SCALAR(exceptions, "%llu", unsigned long long)

int metrics_sink__render(struct sink *sk, FILE *f)
{
	struct metrics *m = M(sk);

	each(m, f, "taskprof_task_invocations_total", "counter",
	     "Task invocations, by how they ended.", emit_status);
	each(m, f, "taskprof_task_runtime_seconds", "histogram",
	     "Wall time of each invocation.", emit_runtime);
	each(m, f, "taskprof_task_cpu_seconds_total", "counter",
	     "CPU time of invocations, their threads and child processes.", emit_cpu);
	each(m, f, "taskprof_task_io_wait_seconds_total", "counter",
	     "Time blocked on block IO.", emit_io_wait);
	each(m, f, "taskprof_task_read_bytes_total", "counter", "Bytes read from storage.",
	     emit_read);
	each(m, f, "taskprof_task_written_bytes_total", "counter", "Bytes written to storage.",
	     emit_written);
	each(m, f, "taskprof_task_network_sent_bytes_total", "counter",
	     "Bytes sent through AF_INET and AF_INET6 sockets.", emit_sent);
	each(m, f, "taskprof_task_network_received_bytes_total", "counter",
	     "Bytes received through AF_INET and AF_INET6 sockets.", emit_received);
	each(m, f, "taskprof_task_exceptions_total", "counter", "Exceptions thrown.",
	     emit_exceptions);
	each(m, f, "taskprof_task_memory_peak_bytes", "histogram",
	     "Peak resident memory of the process during each invocation.", emit_memory);
	return ferror(f) ? -EIO : 0;
}

uint64_t metrics_sink__folded(const struct sink *s)
{
	return ((const struct metrics *)s)->folded;
}

static void metrics_close(struct sink *sk)
{
	struct metrics *m = M(sk);

	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct series *s = m->b[b], *n; s; s = n) {
			n = s->next;
			free(s->task), free(s->stage), free(s->env), free(s->labels), free(s);
		}
	for (size_t i = 0; i < m->ntasks; i++)
		free(m->tasks[i]);
	free(m->tasks);
	free(m);
}

static const struct sink_ops metrics_ops = {
	.name = "metrics",
	.observe = observe,
	.close = metrics_close,
};

struct sink *metrics_sink__new(uint32_t max_tasks)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->base.ops = &metrics_ops;
	m->max_tasks = max_tasks;
	return &m->base;
}
