// SPDX-License-Identifier: MIT
/*
 * The returns the image of a process allows (plan__image_mode in plan.h):
 * read from its executable, the libraries it loads, and what it was seen
 * to map, each file opened once through the plan.
 */
#include <stdbool.h>
#include <stddef.h>

#include "plan/plan.h"

#include "base/util.h"
#include "elf/elf_file.h"
#include "elf/libs.h"
#include "plan/probeplan.h"

/*
 * Whether nothing in the image of a process running exe looks at its
 * stack: exe, the libraries it loads, and those the target was seen to map
 * (extra: /proc/PID/maps for -p, LD_PRELOAD for a launch).
 */
enum tp_ret_mode plan__image_mode(struct plan *p, const char *exe, char *const *extra,
				  size_t nextra)
{
	struct elf_file *ef = plan__elf(p, exe);
	bool unwinds = false, walks = false, signals = false, loads = false;
	char **libs = NULL;
	size_t nlibs = 0;

	/* a library runs in images it cannot know */
	if (!ef || !ef->is_exec || tp_libs_of_exe(exe, &libs, &nlibs))
		return TP_RET_SAFE;
	for (size_t i = 0; i <= nlibs + nextra; i++) {
		const char *path = !i ? exe : i <= nlibs ? libs[i - 1] : extra[i - 1 - nlibs];
		struct elf_file *f = plan__elf(p, path);

		if (!f) {
			walks = true; /* unread: assume the worst */
			break;
		}
		unwinds |= f->walks_stack;
		walks |= f->walker;
		signals |= f->handles_signals;
		loads |= f->loads_code;
	}
	tp_strv_free(libs, nlibs);
	if (!unwinds && !loads)
		return TP_RET_URETPROBE;
	return walks || loads || (signals && unwinds) ? TP_RET_SAFE : TP_RET_AUTO;
}
