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
#include "base/util.h"
#include "service/ship.h"
#include "sink/conninfo.h"
#include "sink/postgres.h"

#define BATCH 5000
#define IDLE_MS 1000
#define BACKOFF_MAX_MS 30000
/* while catching up, the backlog is counted (a scan of it) this often */
#define COUNT_EVERY_NS 1000000000ULL

struct shipper {
	char *conninfo, *db, *host;
	char target[512];   /* the server without its password: the spool's mark's key */
	char spool[4200];   /* the spool on the server: its path and its file's own id */
	uint64_t max_rows;  /* spool_max_rows; 0: no bound */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	/* under lock: what status and metrics show */
	int64_t backlog; /* -1: the mark is not known yet */
	bool idle;       /* the last round found nothing, rows or rollups, to ship */
	uint64_t dropped; /* unshipped rows the bound deleted */
	/* the thread's own: each session as it last went, by a hash of what
	 * changes (a session is sent again only when it changed) */
	struct sent_session {
		int64_t id;
		uint64_t sig;
	} *sent;
	size_t nsent;
	char last_err[512];
};

/* backlog: the rows waiting, or -2 if not known */
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

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	for (const unsigned char *c = p; n--; c++)
		h = (h ^ *c) * 1099511628211ULL;
	return h;
}

/* A hash of what changes in a session as it runs and ends. */
static uint64_t session_sig(const struct session *ss)
{
	const char *texts[] = { ss->status, ss->ended_at, ss->loss_detail, ss->tasks };
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		h = fnv1a(h, texts[i] ? texts[i] : "", texts[i] ? strlen(texts[i]) + 1 : 1);
	h = fnv1a(h, &ss->events_seen, sizeof(ss->events_seen));
	return fnv1a(h, &ss->events_lost, sizeof(ss->events_lost));
}

static struct sent_session *sent_find(struct shipper *s, int64_t id)
{
	for (size_t i = 0; i < s->nsent; i++)
		if (s->sent[i].id == id)
			return &s->sent[i];
	return NULL;
}

/* rows more went in a round that left more waiting: the backlog known is
 * that much smaller, without counting it again. */
static void shipped(struct shipper *s, int rows)
{
	pthread_mutex_lock(&s->lock);
	s->idle = false;
	if (s->backlog > 0)
		s->backlog = s->backlog > rows ? s->backlog - rows : 0;
	pthread_mutex_unlock(&s->lock);
}

/* Shallow copies, into out, of the sessions that changed since they last
 * went, their hashes in sigs; how many. */
static size_t changed(struct shipper *s, const struct session *ss, size_t n,
		      struct session *out, uint64_t *sigs)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t sig = session_sig(&ss[i]);
		struct sent_session *was = sent_find(s, ss[i].id);

		if (!was || was->sig != sig) {
			sigs[k] = sig;
			out[k++] = ss[i];
		}
	}
	return k;
}

/* The sessions that went, as they went. */
static void remember(struct shipper *s, const struct session *ss, const uint64_t *sigs,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sent_session *was = sent_find(s, ss[i].id), *grown;

		if (!was && (grown = realloc(s->sent, (s->nsent + 1) * sizeof(*grown)))) {
			s->sent = grown;
			was = &s->sent[s->nsent++];
			was->id = ss[i].id;
		}
		if (was) /* out of memory: it goes again, which is harmless */
			was->sig = sigs[i];
	}
}

/* One batch, with the sessions that changed; how many rows and rollups
 * went (0: caught up; the rows alone in *rows), or a negative errno. */
static int round_once(struct shipper *s, struct postgres *pg, struct profile_repo *repo,
		      struct ship_marks *m, int *rows, char *err, size_t errlen)
{
	struct profile_list l = {};
	struct rollup_list rl = {};
	struct session *ss = NULL, *chg = NULL;
	uint64_t *sigs = NULL;
	struct ship_batch b;
	size_t nss = 0;
	int rc = profile_repo__get_after(repo, m->rows, BATCH, &l);

	if (!rc)
		rc = profile_repo__rollups_after(repo, m->rollups, BATCH, &rl);
	if (!rc)
		rc = profile_repo__sessions(repo, &ss, &nss);
	if (rc)
		snprintf(err, errlen, "%s", profile_repo__errmsg(repo));
	if (!rc && nss && (!(chg = calloc(nss, sizeof(*chg))) || !(sigs = calloc(nss, 8)))) {
		snprintf(err, errlen, "shipping: %s", strerror(ENOMEM));
		rc = -ENOMEM;
	}
	b = (struct ship_batch){ .rows = l.items, .nrows = l.len, .rollups = rl.items,
				 .nrollups = rl.len, .sessions = chg,
				 .nsessions = rc ? 0 : changed(s, ss, nss, chg, sigs) };
	if (!rc)
		rc = postgres__ship(pg, s->host, s->spool, &b, err, errlen);
	if (!rc) {
		remember(s, chg, sigs, b.nsessions);
		m->rows = l.len ? l.items[l.len - 1].id : m->rows;
		m->rollups = rl.len ? rl.items[rl.len - 1].seq : m->rollups;
	}
	for (size_t i = 0; i < nss; i++)
		session__free(&ss[i]);
	free(ss), free(chg), free(sigs);
	rc = rc ? rc : (int)(l.len + rl.len);
	*rows = rc < 0 ? 0 : (int)l.len;
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

	if (pg && postgres__marks(pg, s->host, s->spool, m, err, errlen)) {
		postgres__close(pg);
		return NULL;
	}
	if (pg) {
		keep_marks(s, repo, m);
		s->nsent = 0; /* every session again: the server may have lost some */
	}
	return pg;
}

/* Rows waiting beyond the bound: the oldest go, counted as lost
 * (spool_full); the backlog after it. Counting is a scan of the backlog,
 * so the loop calls this at most once a second while it catches up. */
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

/* The spool, writable (its marks and bound are kept in it), named on the
 * server by its path and its own id; NULL with why in err. */
static struct profile_repo *open_spool(struct shipper *s, char *err, size_t errlen)
{
	struct profile_repo *repo = profile_repo__open(s->db, 0);
	char id[64];

	if (!repo) {
		snprintf(err, errlen, "%s", profile_repo__open_error());
		return NULL;
	}
	if (profile_repo__spool_id(repo, id, sizeof(id))) {
		snprintf(err, errlen, "%s", profile_repo__errmsg(repo));
		profile_repo__close(repo);
		return NULL;
	}
	snprintf(s->spool, sizeof(s->spool), "%s#%s", s->db, id);
	return repo;
}

static void *ship_main(void *arg)
{
	struct shipper *s = arg;
	struct profile_repo *repo = NULL;
	struct postgres *pg = NULL;
	struct ship_marks mark = {};
	int backoff = 1000, n, rows;
	uint64_t now, counted = 0; /* when the backlog was last counted */
	char err[512];

	do {
		err[0] = 0;
		if (!repo && (repo = open_spool(s, err, sizeof(err))))
			profile_repo__spool_mark(repo, s->target, &mark.rows, &mark.rollups);
		if (repo && !pg)
			pg = connect_marked(s, repo, &mark, err, sizeof(err));
		n = pg ? round_once(s, pg, repo, &mark, &rows, err, sizeof(err)) : -EIO;
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
		/* a full batch: more wait, so on at once; counting them and writing
		 * the marks' copy wait a second, or until it is caught up. Rounds
		 * of every few rows cost 2.5x the CPU a row. */
		now = tp_now_ns(CLOCK_MONOTONIC);
		if (n >= BATCH && now < counted + COUNT_EVERY_NS) {
			shipped(s, rows);
			continue;
		}
		counted = now;
		if (n > 0)
			keep_marks(s, repo, &mark);
		set_state(s, bound(s, repo, &mark), "", n == 0);
	} while (n >= BATCH ? !s->stopping : nap(s, IDLE_MS));
	/* connected at the stop: the session's end and the last rows go too */
	while (pg && (n = round_once(s, pg, repo, &mark, &rows, err, sizeof(err))) > 0)
		;
	if (pg)
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
	free(s->sent);
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
