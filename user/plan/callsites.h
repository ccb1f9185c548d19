/* SPDX-License-Identifier: MIT */
/*
 * Who calls a function, within its own file, and where each caller goes on
 * once the call has returned: the return sites. A probe there sees every
 * way the function can return, a tail call into a library or through a
 * pointer included, because whatever runs last returns to the same place.
 *
 * Found by reading the file's code and data, never by running it: every
 * direct call and jump to the function, every place its address is taken
 * or stored, whether another file can call it (it is exported). The list
 * is complete only when every way in is a direct call found here, or a
 * direct tail call from a function whose own list is complete.
 */
#ifndef TP_CALLSITES_H
#define TP_CALLSITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file;
struct elf_sym;

/* Where a caller resumes, and where its probe goes. */
struct ret_site {
	uint64_t ra;       /* the return address: the instruction after the call;
			    * for a landing pad, the pad */
	uint64_t caller;   /* the start of the function it is in */
	uint64_t probe;    /* the probed instruction: the first one on the straight
			    * line from ra that the kernel emulates, else ra */
	int32_t ra_sp;     /* SP at ra minus SP at the probe */
	bool emulated;     /* the probe is emulated, not single-stepped */
};

struct callers {
	struct ret_site *v;
	size_t n;
	/*
	 * The landing pads of the functions the sites are in: where an
	 * exception thrown through the call resumes in the caller, with the
	 * caller's stack pointer (so ra_sp means the same). The call's frame
	 * is gone there, though the caller may go on to its return site.
	 */
	struct ret_site *pads;
	size_t npads;
	bool complete;     /* every way into the function is among them */
	char why[192];     /* when not: the first way in that is not */
};

/* The return sites of fn in ef; 0, or a negative errno (a read error). An
 * incomplete list is not an error: out->complete says, and out->why why. */
int callers__find(const struct elf_file *ef, const struct elf_sym *fn, struct callers *out);
/* The site of the call that returns to ra in ef (any call: through a
 * pointer too), with its function's landing pads; -ENOENT if no decoded
 * call ends at ra. */
int callers__site_at(const struct elf_file *ef, uint64_t ra, struct callers *out);
void callers__free(struct callers *c);

#endif /* TP_CALLSITES_H */
