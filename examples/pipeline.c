// SPDX-License-Identifier: MIT
/*
 * A small data pipeline for `make demo`: each stage is a task function that
 * taskprof profiles without any change to this code.
 *
 * usage: pipeline WORKDIR [ROUNDS]
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECORDS (1 << 20)

struct record {
	uint64_t id;
	uint64_t score;
};

static char path[4096];

static void fail(const char *what)
{
	perror(what);
	exit(1);
}

/* Reads the raw records back from disk. */
__attribute__((noinline)) size_t extract_records(struct record *out, size_t n)
{
	int fd = open(path, O_RDONLY);
	ssize_t got;

	if (fd < 0)
		fail("open input");
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	got = read(fd, out, n * sizeof(*out));
	close(fd);
	return got > 0 ? (size_t)got / sizeof(*out) : 0;
}

struct slice {
	struct record *r;
	size_t n;
};

static void *score_slice(void *arg)
{
	struct slice *s = arg;

	for (int round = 0; round < 40; round++)
		for (size_t i = 0; i < s->n; i++)
			s->r[i].score = (s->r[i].score * 2654435761u + s->r[i].id) >> 3;
	return NULL;
}

/* Scores records on 3 worker threads it starts. */
__attribute__((noinline)) void transform_records(struct record *r, size_t n)
{
	pthread_t th[3];
	struct slice s[3];

	for (int i = 0; i < 3; i++) {
		s[i].r = r + i * (n / 3);
		s[i].n = n / 3;
		pthread_create(&th[i], NULL, score_slice, &s[i]);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
}

/* Run-length-ish packing: CPU bound, in the calling thread, with a buffer. */
__attribute__((noinline)) size_t compress_block(const struct record *r, size_t n, uint8_t **out)
{
	uint8_t *buf = malloc(n * sizeof(*r));
	size_t used = 0;

	for (int pass = 0; pass < 8; pass++) {
		used = 0;
		for (size_t i = 0; i < n; i++) {
			uint64_t v = r[i].score ^ (r[i].id << pass);

			do {
				buf[used++] = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
				v >>= 7;
			} while (v && used < n * sizeof(*r) - 10);
		}
	}
	*out = buf;
	return used;
}

/* Writes the packed block and makes it durable. */
__attribute__((noinline)) void load_block(const uint8_t *buf, size_t len)
{
	char out[4200];
	int fd;

	snprintf(out, sizeof(out), "%s.out", path);
	fd = open(out, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		fail("write output");
	fsync(fd);
	close(fd);
	unlink(out);
}

static void *sink_server(void *arg)
{
	int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);
	char buf[65536];

	while (fd >= 0 && recv(fd, buf, sizeof(buf), 0) > 0)
		;
	if (fd >= 0) {
		send(fd, "ok", 2, 0);
		close(fd);
	}
	return NULL;
}

/* Ships the block to a (loopback) consumer. */
__attribute__((noinline)) void publish_block(const uint8_t *buf, size_t len, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char ack[2];

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		fail("connect");
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, buf + off, len - off, 0);

		if (n <= 0)
			fail("send");
		off += n;
	}
	shutdown(fd, SHUT_WR);
	if (recv(fd, ack, sizeof(ack), MSG_WAITALL) != 2)
		fail("ack");
	close(fd);
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[2]) : 2;
	struct record *r = malloc(RECORDS * sizeof(*r));
	struct timespec t0, t1;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: pipeline WORKDIR [ROUNDS]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/records.bin", argv[1]);
	for (size_t i = 0; i < RECORDS; i++)
		r[i] = (struct record){ i, i * 7 };
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0 || write(fd, r, RECORDS * sizeof(*r)) != (ssize_t)(RECORDS * sizeof(*r)))
		fail("write input");
	fsync(fd);
	close(fd);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int round = 0; round < rounds; round++) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t alen = sizeof(a);
		int lfd = socket(AF_INET, SOCK_STREAM, 0);
		pthread_t srv;
		uint8_t *packed;
		size_t n, len;

		if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1) ||
		    getsockname(lfd, (struct sockaddr *)&a, &alen))
			fail("listen");
		pthread_create(&srv, NULL, sink_server, &lfd);
		n = extract_records(r, RECORDS);
		transform_records(r, n);
		len = compress_block(r, n, &packed);
		load_block(packed, len);
		publish_block(packed, len, ntohs(a.sin_port));
		pthread_join(srv, NULL);
		close(lfd);
		free(packed);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	unlink(path);
	printf("pipeline: %d rounds of %d records done in %.6f s\n", rounds, RECORDS,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
