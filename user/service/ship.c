// SPDX-License-Identifier: MIT
/*
 * The shipping thread (ship.h). Each round reads the rows after the mark
 * from the spool, in id order, and ships them with every session in one
 * transaction that also moves the mark on the server; the mark is read
 * back from the server after each (re)connection, so a crash anywhere
 * repeats nothing and skips nothing. The spool keeps a copy of the marks,
 * which the backlog and the spool bound go by while the server is away.
 * Failures back off from 1 s to 30 s.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile_repo.h"
#include "base/log.h"
#include "service/ship.h"
#include "sink/conninfo.h"
#include "sink/postgres.h"

#define BATCH 5000
#define IDLE_MS 1000
#define BACKOFF_MAX_MS 30000

struct shipper {
	char *conninfo, *db, *host;
	char target[512];   /* the server without its password: the spool's mark's key */
	uint64_t max_rows;  /* spool_max_rows; 0: no bound */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	/* under lock: what status and metrics show */
	int64_t backlog; /* -1: the mark is not known yet */
	bool idle;       /* the last round found nothing, rows or rollups, to ship */
	uint64_t dropped; /* unshipped rows the bound deleted */
	char last_err[512];
};

static void set_state(struct shipper *s, int64_t backlog, const char *err, bool idle)
{
	pthread_mutex_lock(&s->lock);
	s->idle = idle;
	if (backlog != -2)
		s->backlog = backlog;
	if (err && strcmp(err, s->last_err) && err[0])
		tp_warn("collect: shipping: %s", err);
	if (err)
		snprintf(s->last_err, sizeof(s->last_err), "%s", err);
	pthread_mutex_unlock(&s->lock);
}

/* Sleeps ms, or less if stopped; whether to go on. */
static bool nap(struct shipper *s, int ms)
{
	struct timespec until;
	bool go;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	if (!s->stopping)
		pthread_cond_timedwait(&s->wake, &s->lock, &until);
	go = !s->stopping;
	pthread_mutex_unlock(&s->lock);
	return go;
}

/* One batch; how many rows and rollups went (0: caught up), or a
 * negative errno. */
static int round_once(struct shipper *s, struct postgres *pg, struct profile_repo *repo,
		      struct ship_marks *m, char *err, size_t errlen)
{
	struct profile_list l = {};
	struct rollup_list rl = {};
	struct session *ss = NULL;
	struct ship_batch b;
	size_t nss = 0;
	int rc = profile_repo__get_after(repo, m->rows, BATCH, &l);

	if (!rc)
		rc = profile_repo__rollups_after(repo, m->rollups, BATCH, &rl);
	if (!rc)
		rc = profile_repo__list_sessions(repo, &ss, &nss);
	if (rc)
		snprintf(err, errlen, "%s", profile_repo__errmsg(repo));
	b = (struct ship_batch){ .rows = l.items, .nrows = l.len, .rollups = rl.items,
				 .nrollups = rl.len, .sessions = ss, .nsessions = nss };
	if (!rc)
		rc = postgres__ship(pg, s->host, s->db, &b, err, errlen);
	if (!rc && l.len)
		m->rows = l.items[l.len - 1].id;
	if (!rc && rl.len)
		m->rollups = rl.items[rl.len - 1].seq;
	for (size_t i = 0; i < nss; i++)
		session__free(&ss[i]);
	free(ss);
	rc = rc ? rc : (int)(l.len + rl.len);
	profile_list__free(&l);
	rollup_list__free(&rl);
	return rc;
}

/* The spool's copy of the marks. */
static void keep_marks(struct shipper *s, struct profile_repo *repo, const struct ship_marks *m)
{
	if (profile_repo__spool_set_mark(repo, s->target, m->rows, m->rollups))
		tp_warn("collect: shipping: %s", profile_repo__errmsg(repo));
}

/* Connected, with the marks the server holds (they decide), kept locally. */
static struct postgres *connect_marked(struct shipper *s, struct profile_repo *repo,
				       struct ship_marks *m, char *err, size_t errlen)
{
	struct postgres *pg = postgres__connect(s->conninfo, err, errlen);

	if (pg && postgres__marks(pg, s->host, s->db, m, err, errlen)) {
		postgres__close(pg);
		return NULL;
	}
	if (pg)
		keep_marks(s, repo, m);
	return pg;
}

/* Rows waiting beyond the bound: the oldest go, counted as lost
 * (spool_full); the backlog after it. */
static int64_t bound(struct shipper *s, struct profile_repo *repo, const struct ship_marks *m)
{
	int64_t backlog = profile_repo__count_after(repo, m->rows), n;

	if (!s->max_rows || backlog <= (int64_t)s->max_rows)
		return backlog;
	n = profile_repo__spool_trim(repo, m->rows, (int64_t)s->max_rows);
	if (n < 0) {
		tp_warn("collect: shipping: %s", profile_repo__errmsg(repo));
		return backlog;
	}
	tp_warn("collect: shipping: %lld rows wait for the server, more than spool_max_rows = "
		"%llu: deleted the oldest %lld, counted as lost (spool_full)", (long long)backlog,
		(unsigned long long)s->max_rows, (long long)n);
	pthread_mutex_lock(&s->lock);
	s->dropped += n;
	pthread_mutex_unlock(&s->lock);
	return backlog - n;
}

static void *ship_main(void *arg)
{
	struct shipper *s = arg;
	struct profile_repo *repo = NULL;
	struct postgres *pg = NULL;
	struct ship_marks mark = {};
	int backoff = 1000, n;
	char err[512];

	do {
		err[0] = 0;
		/* writable: the marks and the bound are kept in it */
		if (!repo && (repo = profile_repo__open(s->db, 0)))
			profile_repo__spool_mark(repo, s->target, &mark.rows, &mark.rollups);
		else if (!repo)
			snprintf(err, sizeof(err), "%s", profile_repo__open_error());
		if (repo && !pg)
			pg = connect_marked(s, repo, &mark, err, sizeof(err));
		n = pg ? round_once(s, pg, repo, &mark, err, sizeof(err)) : -EIO;
		if (n < 0) {
			/* from the last mark known: an upper bound, never an under-count */
			set_state(s, repo ? bound(s, repo, &mark) : -2, err, false);
			postgres__close(pg); /* reconnect, and read the mark again */
			pg = NULL;
			if (!nap(s, backoff))
				break;
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		backoff = 1000;
		if (n > 0)
			keep_marks(s, repo, &mark);
		set_state(s, bound(s, repo, &mark), "", n == 0);
	} while (n > 0 ? !s->stopping : nap(s, IDLE_MS));
	/* connected at the stop: the session's end and the last rows go too */
	while (pg && (n = round_once(s, pg, repo, &mark, err, sizeof(err))) > 0)
		keep_marks(s, repo, &mark);
	postgres__close(pg);
	profile_repo__close(repo);
	return NULL;
}

struct shipper *shipper__start(const char *conninfo, const char *db, const char *host,
			       uint64_t max_rows)
{
	struct shipper *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	conninfo__describe(conninfo, s->target, sizeof(s->target));
	s->max_rows = max_rows;
	s->conninfo = strdup(conninfo);
	s->db = strdup(db);
	s->host = strdup(host);
	s->backlog = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (!s->conninfo || !s->db || !s->host ||
	    (errno = pthread_create(&s->thread, NULL, ship_main, s))) {
		free(s->conninfo), free(s->db), free(s->host), free(s);
		return NULL;
	}
	return s;
}

void shipper__stop(struct shipper *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	free(s->conninfo), free(s->db), free(s->host), free(s);
}

int64_t shipper__backlog(struct shipper *s, char *last_err, size_t len)
{
	int64_t b;

	pthread_mutex_lock(&s->lock);
	b = s->backlog;
	if (last_err)
		snprintf(last_err, len, "%s", s->last_err);
	pthread_mutex_unlock(&s->lock);
	return b;
}

bool shipper__caught_up(struct shipper *s)
{
	bool idle;

	if (!s)
		return true;
	pthread_mutex_lock(&s->lock);
	idle = s->idle;
	pthread_mutex_unlock(&s->lock);
	/* rows and rollups alike: retention deletes both */
	return idle && shipper__backlog(s, NULL, 0) == 0;
}

uint64_t shipper__dropped(struct shipper *s)
{
	uint64_t n;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	n = s->dropped;
	pthread_mutex_unlock(&s->lock);
	return n;
}
