// SPDX-License-Identifier: MIT
/*
 * The event sink: drains the ring buffer into the aggregator and writes a
 * batch at least every FLUSH_NS, so rows appear while a long run goes on.
 * Requests for return sites (tp_site_req) go to whoever asked for them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "engine/ringbuf.h"

#include "taskprof.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/agg.h"

#define FLUSH_NS (200ULL * 1000 * 1000)

struct ringbuf {
	struct ring_buffer *rb;
	struct agg *agg;
	void (*on_site)(void *ctx, const struct tp_site_req *r);
	void *site_ctx;
	uint64_t last_flush;
	bool said;
};

static int record_of(void *ctx, void *data, size_t len)
{
	struct ringbuf *s = ctx;
	const struct tp_site_req *r = data;

	if (len == sizeof(*r) && r->magic == TP_SITE_REQ_MAGIC) {
		if (s->on_site)
			s->on_site(s->site_ctx, r);
		return 0;
	}
	return agg__handle(s->agg, data, len);
}

void ringbuf__on_site(struct ringbuf *s, void (*fn)(void *ctx, const struct tp_site_req *r), void *ctx)
{
	s->on_site = fn;
	s->site_ctx = ctx;
}

struct ringbuf *ringbuf__new(int ringbuf_fd, struct agg *agg)
{
	struct ringbuf *s = calloc(1, sizeof(*s));

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->agg = agg;
	s->rb = ring_buffer__new(ringbuf_fd, record_of, s, NULL);
	if (!s->rb) {
		int err = errno;

		free(s);
		errno = err;
		return NULL;
	}
	s->last_flush = tp_now_ns(CLOCK_MONOTONIC);
	return s;
}

/* Waits up to timeout_ms for records, takes what is there, flushes if due. */
void ringbuf__poll(struct ringbuf *s, int timeout_ms)
{
	uint64_t now;
	int err = ring_buffer__poll(s->rb, timeout_ms);

	/* a signal ends the wait early; anything else is said once */
	if (err < 0 && err != -EINTR && !s->said) {
		tp_err("sink: cannot read the ring buffer: %s", strerror(-err));
		s->said = true;
	}
	ring_buffer__consume(s->rb);
	now = tp_now_ns(CLOCK_MONOTONIC);
	if (now - s->last_flush > FLUSH_NS) {
		agg__flush(s->agg);
		s->last_flush = now;
	}
}

/* Takes every record submitted so far and writes them. */
void ringbuf__drain(struct ringbuf *s)
{
	while (ring_buffer__consume(s->rb) > 0)
		;
	agg__flush(s->agg);
}

void ringbuf__free(struct ringbuf *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	free(s);
}
