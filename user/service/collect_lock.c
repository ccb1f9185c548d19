// SPDX-License-Identifier: MIT
/*
 * A collector's claim on its database: an exclusive flock held for the
 * collector's life, how `status` tells a live collector from a dead one,
 * and the tidying after a stop (`collect --after-stop`, the unit's
 * ExecStopPost) of what a collector killed together with its guardian left.
 *
 * flock, not SQLite's fcntl locks: on Linux the two are independent, so the
 * claim never blocks a reader. Unlike the collector's PID, a lock is right
 * in any PID namespace and cannot be mistaken for a process that reused
 * the PID.
 */
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "service/collect_lock.h"

#include "profile_repo.h"
#include "base/log.h"
#include "base/util.h"
#include "service/collect.h"
#include "service/config.h"
#include "sink/sink.h"

int collect_lock__take(const char *db)
{
	int fd = open(db, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), err;

	if (fd < 0) {
		err = -errno;
		tp_err("collect: cannot open %s: %s", db, strerror(errno));
		return err;
	}
	/* a status probing the lock (LOCK_SH for an instant) must not make a
	 * starting collector give up: retry for a second */
	for (int n = 0; flock(fd, LOCK_EX | LOCK_NB); n++) {
		if (errno != EWOULDBLOCK || n == 20) {
			tp_err("collect: another collector writes to %s: stop it first, or give "
			       "this one another database", db);
			close(fd);
			return -EBUSY;
		}
		usleep(50 * 1000);
	}
	return fd;
}

bool collect_lock__held(const char *db)
{
	int fd = open(db, O_RDONLY | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/*
 * systemd's stop timeout and `systemctl kill` send SIGKILL to the guardian
 * too: the session would stay "running". Nothing to do after a clean stop;
 * never fails the unit.
 */
int collect__after_stop(const char *config_path)
{
	char err[1024], now[PROFILE_TIME_LEN];
	struct collect_config *cfg = collect_config__load(config_path, NULL, err, sizeof(err));
	struct sink *sink;
	int n;

	if (!cfg || access(cfg->database, F_OK) || collect_lock__held(cfg->database))
		goto out;
	sink = sink__open_local(cfg->database);
	if (!sink)
		goto out;
	tp_iso_time(tp_now_ns(CLOCK_REALTIME), now, sizeof(now));
	n = sink__abort_stale(sink, now,
			       "collector killed with its guardian (found after "
			       "its stop): invocations open or not yet stored are missing");
	if (n > 0)
		tp_warn("collect: after stop: a killed collector's session marked aborted");
	sink__close(sink);
out:
	collect_config__free(cfg);
	return 0;
}
