// SPDX-License-Identifier: MIT
/* The plan's declared marker names, into BPF (marker_names.h). */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "engine/marker_names.h"

#include "taskprof.h"
#include "taskprof.skel.h"
#include "base/log.h"
#include "plan/plan.h"

/* A declared name's key: zero-padded, as BPF reads the name it is given. */
static void name_key(struct tp_marker_name *k, const char *name)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->s, sizeof(k->s), "%s", name);
}

int marker_names__set(struct taskprof_bpf *skel, const struct plan *p)
{
	int names = bpf_map__fd(skel->maps.marker_names), ids = bpf_map__fd(skel->maps.marker_ids);
	struct tp_marker_name k, next;
	uint64_t id, nid;
	bool more;

	/* the old names go: a reload may have dropped some */
	for (more = !bpf_map_get_next_key(names, NULL, &k); more; k = next) {
		more = !bpf_map_get_next_key(names, &k, &next);
		bpf_map_delete_elem(names, &k);
	}
	for (size_t i = 0; i < p->nmarkers; i++) {
		if (!strcmp(p->markers[i].name, "*"))
			continue;
		name_key(&k, p->markers[i].name);
		if (bpf_map_update_elem(names, &k, &p->markers[i].task, BPF_ANY)) {
			tp_err("engine: cannot declare marker %s: %s", p->markers[i].name,
			       strerror(errno));
			return -errno;
		}
	}
	skel->data->marker_any = p->marker_any;
	for (more = !bpf_map_get_next_key(ids, NULL, &id); more; id = nid) {
		more = !bpf_map_get_next_key(ids, &id, &nid);
		bpf_map_delete_elem(ids, &id);
	}
	return 0;
}

