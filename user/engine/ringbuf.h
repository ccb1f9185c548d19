/* SPDX-License-Identifier: MIT */
/*
 * The BPF ring buffer's reader: records to the aggregator, requests for
 * return sites to whoever asked.
 */
#ifndef TP_ENGINE_RINGBUF_H
#define TP_ENGINE_RINGBUF_H

struct agg;
struct ringbuf;
struct tp_site_req;

struct ringbuf;
struct ringbuf *ringbuf__new(int ringbuf_fd, struct agg *agg);
/* Requests for return sites go to fn (dynsites.h). */
void ringbuf__on_site(struct ringbuf *s, void (*fn)(void *ctx, const struct tp_site_req *r), void *ctx);
void ringbuf__poll(struct ringbuf *s, int timeout_ms);
void ringbuf__drain(struct ringbuf *s);
void ringbuf__free(struct ringbuf *s);

#endif /* TP_ENGINE_RINGBUF_H */
