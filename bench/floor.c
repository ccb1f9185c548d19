// SPDX-License-Identifier: MIT
/*
 * bench_floor: runs a command with empty BPF programs on a function's entry
 * and return, to measure what the probes alone cost.
 *
 * usage: bench_floor naive|placed|rets BINARY SYMBOL -- COMMAND [ARG ...]
 *   naive:  uprobe + uretprobe at the symbol, as a stock tracer places them
 *   placed: both where taskprof places them (first kernel-emulated
 *           instruction that leaves SP untouched), the cheapest the kernel
 *           offers for that function
 *   rets:   the entry uprobe where taskprof places it, and a uprobe on
 *           every ret instruction: the cheapest return that leaves the
 *           stack alone, what taskprof uses where a program may look at it
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "tp.h"
#include "floor.skel.h"

int main(int argc, char **argv)
{
	struct floor_bpf *skel = NULL;
	struct bpf_link *l1 = NULL, *l2 = NULL, *rl[16] = { 0 };
	struct elf_file *ef = NULL;
	struct elf_sym **m = NULL;
	struct probe_plan pp = { 0 };
	uint64_t vaddr, off, roff;
	bool rets;
	int status = 1, rc = 1;
	pid_t pid;

	if (argc < 6 || strcmp(argv[4], "--")) {
		fprintf(stderr, "usage: bench_floor naive|placed|rets BINARY SYMBOL -- COMMAND...\n");
		return 2;
	}
	ef = elf_file__open(argv[2]);
	if (!ef || elf_file__find(ef, argv[3], &m) != 1) {
		fprintf(stderr, "bench_floor: no single %s in %s\n", argv[3], argv[2]);
		goto cleanup;
	}
	vaddr = m[0]->addr;
	rets = !strcmp(argv[1], "rets");
	if (probe_plan__build(ef, m[0], rets ? TP_RET_INSN : TP_RET_URETPROBE, &pp))
		goto cleanup;
	if (strcmp(argv[1], "naive"))
		vaddr = pp.entry_vaddr;
	skel = floor_bpf__open_and_load();
	if (!skel || elf_file__offset(ef, vaddr, &off))
		goto cleanup;
	l1 = bpf_program__attach_uprobe(skel->progs.empty_entry, false, -1, argv[2], off);
	if (rets) {
		for (size_t i = 0; i < pp.nrets && i < 16; i++)
			if (!elf_file__offset(ef, pp.rets[i], &roff))
				rl[i] = bpf_program__attach_uprobe(skel->progs.empty_entry, false,
								   -1, argv[2], roff);
		l2 = rl[0];
	} else {
		l2 = bpf_program__attach_uprobe(skel->progs.empty_return, true, -1, argv[2], off);
	}
	if (!l1 || !l2) {
		fprintf(stderr, "bench_floor: attach: %s\n", strerror(errno));
		goto cleanup;
	}
	pid = fork();
	if (pid == 0) {
		execvp(argv[5], &argv[5]);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
cleanup:
	bpf_link__destroy(l1);
	for (size_t i = 0; i < 16; i++)
		bpf_link__destroy(rl[i]);
	if (!rl[0])
		bpf_link__destroy(l2);
	probe_plan__free(&pp);
	floor_bpf__destroy(skel);
	free(m);
	elf_file__close(ef);
	return rc;
}
