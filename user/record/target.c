// SPDX-License-Identifier: MIT
/*
 * The target's image: its executable, the libraries it maps (-p) or will
 * load (a command, with LD_PRELOAD), whether a debugger already traces it,
 * and how its session describes it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/target.h"

#include "base/log.h"
#include "base/proc.h"
#include "base/util.h"
#include "elf/libs.h"
#include "plan/plan.h"

static char *join_argv(char **argv)
{
	char *s = NULL, *prev;

	for (char **a = argv; *a; a++) {
		prev = s;
		s = tp_strdup_printf("%s%s%s", prev ? prev : "", prev ? " " : "", *a);
		free(prev);
		if (!s)
			return NULL;
	}
	return s;
}

/* LD_PRELOAD's libraries load into everything the command runs. */
static int split_preload(struct plan_target *pt)
{
	const char *env = getenv("LD_PRELOAD");
	char *copy, *save = NULL, *tok;
	int err = 0;

	if (!env || !*env)
		return 0;
	copy = strdup(env);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ": ", &save); tok && !err; tok = strtok_r(NULL, ": ", &save))
		err = tp_strv_add(&pt->preload, &pt->npreload, tok);
	free(copy);
	return err;
}

/* A process already traced (by a debugger), or 0. */
static pid_t tracer_of(pid_t pid)
{
	char path[64], line[128];
	pid_t tracer = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	if (f)
		fclose(f);
	return tracer;
}

static int find_running(struct target_image *t, pid_t pid)
{
	char link[64];

	if (!tp_pid_alive(pid)) {
		tp_err("record: no process with PID %d: check the PID with `ps -e`", pid);
		return -ESRCH;
	}
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	t->exe = realpath(link, NULL);
	if (!t->exe) {
		tp_err("record: cannot read the executable of PID %d: %s", pid, strerror(errno));
		return -errno;
	}
	t->tracer = tracer_of(pid);
	t->desc = tp_strdup_printf("pid %d (%s)", pid, t->exe);
	return tp_libs_of_pid(pid, &t->plan.libs, &t->plan.nlibs);
}

static int find_command(struct target_image *t, char **argv)
{
	struct plan_target *pt = &t->plan;
	int err;

	t->exe = tp_which(argv[0]);
	if (!t->exe) {
		tp_err("record: command not found: %s: give a path or check PATH", argv[0]);
		return -ENOENT;
	}
	err = tp_libs_of_exe(t->exe, &pt->libs, &pt->nlibs);
	if (!err)
		err = split_preload(pt);
	for (size_t i = 0; i < pt->npreload && !err; i++)
		err = tp_strv_add(&pt->libs, &pt->nlibs, pt->preload[i]);
	t->desc = join_argv(argv);
	return err;
}

/* A bad PID or command fails here, before anything is written. */
int target_image__find(struct target_image *t, pid_t pid, char **argv)
{
	int err;

	memset(t, 0, sizeof(*t));
	err = pid ? find_running(t, pid) : find_command(t, argv);
	if (err == -ESRCH || (err == -ENOENT && !t->exe))
		return err; /* said already */
	t->plan.exe = t->exe;
	if (!err && !t->desc)
		err = -ENOMEM;
	if (err)
		tp_err("record: cannot list the libraries of %s: %s", t->exe, strerror(-err));
	return err;
}

void target_image__fini(struct target_image *t)
{
	tp_strv_free(t->plan.libs, t->plan.nlibs);
	tp_strv_free(t->plan.preload, t->plan.npreload);
	free(t->exe);
	free(t->desc);
	memset(t, 0, sizeof(*t));
}
