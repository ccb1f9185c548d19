// SPDX-License-Identifier: MIT
/*
 * bench_floor: runs a command with empty BPF programs on a function's entry
 * and return, to measure what the probes alone cost.
 *
 * usage: bench_floor naive|placed|rets|sites BINARY SYMBOL -- COMMAND [ARG ...]
 *   naive:  uprobe + uretprobe at the symbol, as a stock tracer places them
 *   placed: both where taskprof places them (first kernel-emulated
 *           instruction that leaves SP untouched), the cheapest the kernel
 *           offers for that function
 *   rets:   the entry uprobe where taskprof places it, and a uprobe on
 *           every ret instruction
 *   sites:  the entry uprobe where taskprof places it, and a uprobe where
 *           each caller resumes (user/callsites.c): what taskprof uses where
 *           a program may look at its stack and every caller is known
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor.skel.h"
#include "elf/elf_file.h"
#include "elf/elf_find.h"
#include "plan/callsites.h"
#include "plan/probeplan.h"

#define MAX_LINKS 64

/* The return probes of the mode: ret instructions or return sites. */
static size_t return_vaddrs(const char *mode, struct elf_file *ef, const struct elf_sym *s,
			    const struct probe_plan *pp, uint64_t *out)
{
	struct callers c;
	size_t n = 0;

	if (!strcmp(mode, "rets")) {
		for (size_t i = 0; i < pp->nrets && n < MAX_LINKS; i++)
			out[n++] = pp->rets[i];
	} else if (!callers__find(ef, s, &c)) {
		for (size_t i = 0; i < c.n && n < MAX_LINKS; i++)
			out[n++] = c.v[i].probe;
		callers__free(&c);
	}
	return n;
}

static int run(char **argv)
{
	int status = 1;
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS + 2] = { 0 };
	struct floor_bpf *skel = NULL;
	struct elf_file *ef = NULL;
	struct elf_sym **m = NULL;
	struct probe_plan pp = { 0 };
	uint64_t vaddr, off, rv[MAX_LINKS];
	size_t nl = 0, nr = 0;
	bool uret;
	int rc = 1;

	if (argc < 6 || strcmp(argv[4], "--")) {
		fprintf(stderr, "usage: bench_floor naive|placed|rets|sites BINARY SYMBOL -- "
				"COMMAND...\n");
		return 2;
	}
	ef = elf_file__open(argv[2]);
	if (!ef || elf_file__find(ef, argv[3], &m) < 1) {
		fprintf(stderr, "bench_floor: no %s in %s\n", argv[3], argv[2]);
		goto cleanup;
	}
	uret = !strcmp(argv[1], "naive") || !strcmp(argv[1], "placed");
	if (probe_plan__build(ef, m[0], uret ? TP_RET_URETPROBE : TP_RET_INSN, &pp))
		goto cleanup;
	vaddr = strcmp(argv[1], "naive") ? pp.entry_vaddr : m[0]->addr;
	if (!uret)
		nr = return_vaddrs(argv[1], ef, m[0], &pp, rv);
	skel = floor_bpf__open_and_load();
	if (!skel || elf_file__offset(ef, vaddr, &off))
		goto cleanup;
	links[nl++] = bpf_program__attach_uprobe(skel->progs.empty_entry, false, -1, argv[2], off);
	if (uret)
		links[nl++] = bpf_program__attach_uprobe(skel->progs.empty_return, true, -1, argv[2],
							 off);
	for (size_t i = 0; i < nr; i++)
		if (!elf_file__offset(ef, rv[i], &off))
			links[nl++] = bpf_program__attach_uprobe(skel->progs.empty_entry, false, -1,
								 argv[2], off);
	for (size_t i = 0; i < nl; i++)
		if (!links[i]) {
			fprintf(stderr, "bench_floor: attach: %s\n", strerror(errno));
			goto cleanup;
		}
	if (nl < 2) {
		fprintf(stderr, "bench_floor: %s has no return to probe in %s mode\n", argv[3],
			argv[1]);
		goto cleanup;
	}
	rc = run(&argv[5]);
cleanup:
	for (size_t i = 0; i < nl; i++)
		bpf_link__destroy(links[i]);
	probe_plan__free(&pp);
	floor_bpf__destroy(skel);
	free(m);
	elf_file__close(ef);
	return rc;
}
