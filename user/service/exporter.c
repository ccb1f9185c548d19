// SPDX-License-Identifier: MIT
/*
 * The /metrics child (exporter.h). It is forked before the collector
 * opens anything but its configuration, keeps only its end of a socket
 * pair, binds, then gives up root for good (setgroups, setresgid,
 * setresuid, no_new_privs) before it serves a byte. GET /metrics gets the
 * newest snapshot; other paths 404, other methods 405. Connections are
 * capped in all and per address, and time out, so a slow or hostile
 * client ties up at most the child.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <microhttpd.h>

#include "service/exporter.h"

#define MAX_CONNECTIONS 32
#define MAX_PER_IP 8
#define TIMEOUT_S 10
/* the child's end of the socket pair, after its exec */
#define EXPORTER_FD 3
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct exporter {
	pid_t pid;
	int sock; /* the collector's end */
};

/* --- the child ------------------------------------------------------------------- */

static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static char *snap;
static size_t snap_len;

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code, const char *body,
			     size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								  MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", code == 200 ? CONTENT_TYPE : "text/plain");
	if (code == 405)
		MHD_add_response_header(r, "Allow", "GET");
	rc = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_len, void **state)
{
	enum MHD_Result rc;

	if (strcmp(url, "/metrics"))
		return reply(conn, 404, "not found: only /metrics\n", 25);
	if (strcmp(method, MHD_HTTP_METHOD_GET))
		return reply(conn, 405, "method not allowed: GET only\n", 29);
	pthread_mutex_lock(&snap_lock);
	rc = reply(conn, 200, snap ? snap : "", snap ? snap_len : 0);
	pthread_mutex_unlock(&snap_lock);
	return rc;
}

/* A snapshot: the memfd passed with one byte. */
static int take_snapshot(int sock)
{
	char byte, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	char *text = NULL;
	off_t len;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) <= 0)
		return -1; /* the collector is gone */
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return 0;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	len = lseek(fd, 0, SEEK_END);
	if (len >= 0)
		text = malloc((size_t)len + 1);
	if (text && pread(fd, text, (size_t)len, 0) == len) {
		pthread_mutex_lock(&snap_lock);
		free(snap);
		snap = text;
		snap_len = (size_t)len;
		pthread_mutex_unlock(&snap_lock);
	} else {
		free(text);
	}
	close(fd);
	return 0;
}

static int parse_addr(const char *addr, struct sockaddr_storage *ss, unsigned int *flags)
{
	char host[128];
	const char *colon = strrchr(addr, ':');
	int port = atoi(colon + 1);

	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = 0;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*flags |= MHD_USE_IPv6;
		return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1 ? port : -1;
	}
	((struct sockaddr_in *)ss)->sin_family = AF_INET;
	((struct sockaddr_in *)ss)->sin_port = htons(port);
	return inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1 ? port : -1;
}

static bool drop_root(uid_t uid, gid_t gid)
{
	return !setgroups(0, NULL) && !setresgid(gid, gid, gid) && !setresuid(uid, uid, uid) &&
	       !prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) && getuid() == uid && geteuid() == uid;
}

static void serve(int sock, const char *addr, uid_t uid, gid_t gid)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	char msg[256] = "ok";
	int port = parse_addr(addr, &ss, &flags);

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	prctl(PR_SET_NAME, "tp-metrics");
	d = port < 0 ? NULL :
	    MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)MAX_PER_IP,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)TIMEOUT_S,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_END);
	if (!d)
		snprintf(msg, sizeof(msg), "cannot listen on %s: %s", addr,
			 port < 0 ? "not an address" : strerror(errno ? errno : EADDRINUSE));
	else if (!drop_root(uid, gid))
		snprintf(msg, sizeof(msg), "cannot drop to uid %u: %s", (unsigned)uid,
			 strerror(errno));
	if (write(sock, msg, strlen(msg) + 1) < 0 || strcmp(msg, "ok"))
		_exit(1);
	while (take_snapshot(sock) == 0)
		;
	MHD_stop_daemon(d);
	_exit(0);
}

int exporter__main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	serve(EXPORTER_FD, argv[1], (uid_t)strtoul(argv[2], NULL, 10),
	      (gid_t)strtoul(argv[3], NULL, 10));
	return 1;
}

/* --- the collector's side --------------------------------------------------------- */

struct exporter *exporter__start(const char *addr, uid_t uid, gid_t gid, char *err,
				 size_t errlen)
{
	struct exporter *x = calloc(1, sizeof(*x));
	char msg[256] = "";
	int sv[2];

	if (!x || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		snprintf(err, errlen, "metrics: cannot start: %s", strerror(errno));
		free(x);
		return NULL;
	}
	x->pid = fork();
	if (x->pid == 0) {
		char u[16], g[16];

		/* a fresh image: nothing of the collector's memory (a password)
		 * stays in the process that faces the network */
		snprintf(u, sizeof(u), "%u", (unsigned)uid);
		snprintf(g, sizeof(g), "%u", (unsigned)gid);
		if (sv[1] == EXPORTER_FD ? !fcntl(sv[1], F_SETFD, 0) :
					   dup2(sv[1], EXPORTER_FD) == EXPORTER_FD) {
			close_range(EXPORTER_FD + 1, ~0U, 0);
			execl("/proc/self/exe", "tp-metrics", TP_EXPORTER_CMD, addr, u, g,
			      (char *)NULL);
		}
		_exit(127);
	}
	close(sv[1]);
	x->sock = sv[0];
	if (x->pid < 0 || read(x->sock, msg, sizeof(msg) - 1) <= 0 || strcmp(msg, "ok")) {
		snprintf(err, errlen, "metrics: %s", msg[0] ? msg : "the server process died");
		exporter__stop(x);
		return NULL;
	}
	return x;
}

int exporter__publish(struct exporter *x, const char *text, size_t len)
{
	int fd = memfd_create("taskprof-metrics", MFD_CLOEXEC | MFD_ALLOW_SEALING), err = 0;
	char byte = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
		err = -EIO;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	if (!err && sendmsg(x->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		err = -errno;
	close(fd);
	return err;
}

pid_t exporter__pid(const struct exporter *x)
{
	return x->pid;
}

void exporter__stop(struct exporter *x)
{
	if (!x)
		return;
	if (x->sock >= 0)
		close(x->sock); /* its read ends: it stops */
	if (x->pid > 0) {
		kill(x->pid, SIGTERM);
		while (waitpid(x->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(x);
}
