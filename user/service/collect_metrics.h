/* SPDX-License-Identifier: MIT */
/*
 * The collector's Prometheus metrics (collect_metrics.c): the /metrics
 * child started before anything else is opened, a metrics sink beside the
 * local repository, a snapshot published every tick.
 */
#ifndef TP_SERVICE_COLLECT_METRICS_H
#define TP_SERVICE_COLLECT_METRICS_H

struct collector;
struct losses;

/* With prometheus configured: the child listening, as nobody. */
int collector__start_metrics(struct collector *c);
/* ...and, once the session's sink is open, the metrics sink beside it. */
int collector__add_metrics_sink(struct collector *c);
/* l: the losses to report (as put_status got them), or NULL to read them now. */
void collector__publish_metrics(struct collector *c, const struct losses *l);
void collector__stop_metrics(struct collector *c);

#endif /* TP_SERVICE_COLLECT_METRICS_H */
