// SPDX-License-Identifier: MIT
/*
 * Which processes map a task's files now, from /proc/PID/maps: the ones
 * the collector's probes are in. It tells `status` who is covered, lets
 * the collector track processes that were running before it, and keeps
 * the probes of a replaced binary while a process still runs the old one.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "service/procscan.h"

#include "base/file_id.h"

/* The index of the file a maps line names, or -1. */
static int line_file(const char *line, const struct file_id *ids, size_t n)
{
	unsigned int maj, min;
	unsigned long long ino;

	/* start-end perms offset maj:min inode path */
	if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min, &ino) != 3 || !ino)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (ids[i].ino == ino && major(ids[i].dev) == maj && minor(ids[i].dev) == min)
			return (int)i;
	return -1;
}

/* Adds (pid, file) for each file of ids the process maps. */
static int scan_pid(pid_t pid, const struct file_id *ids, size_t n, struct proc_map **out,
		    size_t *nout)
{
	char path[64], line[4096];
	bool *seen = calloc(n, sizeof(*seen));
	int err = seen ? 0 : -ENOMEM;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = err ? NULL : fopen(path, "re");
	while (f && !err && fgets(line, sizeof(line), f)) {
		int i = line_file(line, ids, n);
		struct proc_map *nv;

		if (i < 0 || seen[i])
			continue;
		seen[i] = true;
		nv = realloc(*out, (*nout + 1) * sizeof(*nv));
		if (!nv) {
			err = -ENOMEM;
			break;
		}
		*out = nv;
		nv[(*nout)++] = (struct proc_map){ .pid = pid, .file = i };
	}
	if (f)
		fclose(f); /* gone meanwhile, or a kernel thread: maps nothing */
	free(seen);
	return err;
}

int procscan__mapping(const struct file_id *ids, size_t n, struct proc_map **out, size_t *nout)
{
	DIR *d;
	struct dirent *de;
	int err = 0;

	*out = NULL;
	*nout = 0;
	if (!n)
		return 0;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		/* not ourselves: reading a file's ELF maps it here too */
		if (!isdigit((unsigned char)de->d_name[0]) || atoi(de->d_name) == getpid())
			continue;
		err = scan_pid(atoi(de->d_name), ids, n, out, nout);
	}
	closedir(d);
	if (err) {
		free(*out);
		*out = NULL;
		*nout = 0;
	}
	return err;
}

bool procscan__any_maps(dev_t dev, ino_t ino)
{
	struct file_id id = { .dev = dev, .ino = ino };
	struct proc_map *m = NULL;
	size_t n = 0;
	bool any;

	/* unsure counts as mapped: a probe kept a while longer harms no one */
	if (procscan__mapping(&id, 1, &m, &n))
		return true;
	any = n > 0;
	free(m);
	return any;
}

/*
 * Resident memory, and the part of it that is ours alone: most of the rest
 * is the ring buffer, mapped twice over, and the ELF files read.
 */
void procscan__self(double *cpu_s, uint64_t *rss_bytes, uint64_t *private_bytes)
{
	unsigned long long kb;
	struct rusage ru;
	char line[256];
	FILE *f;

	getrusage(RUSAGE_SELF, &ru);
	*cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		 ru.ru_stime.tv_usec / 1e6;
	*rss_bytes = *private_bytes = 0;
	f = fopen("/proc/self/smaps_rollup", "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Rss: %llu kB", &kb) == 1)
			*rss_bytes = kb << 10;
		else if (sscanf(line, "Private_Clean: %llu kB", &kb) == 1 ||
			 sscanf(line, "Private_Dirty: %llu kB", &kb) == 1)
			*private_bytes += kb << 10;
	}
	if (f)
		fclose(f);
}
