/* SPDX-License-Identifier: MIT */
/*
 * Who maps a task's files, by /proc; the collector's own use.
 */
#ifndef TP_SERVICE_PROCSCAN_H
#define TP_SERVICE_PROCSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct file_id;

struct proc_map {
	pid_t pid;
	size_t file;            /* index into the file ids asked about */
};

/* Every process mapping one of the files now, in /proc order (by pid). */
int procscan__mapping(const struct file_id *ids, size_t n, struct proc_map **out, size_t *nout);
/* Whether some process maps the file; true when it cannot tell. */
bool procscan__any_maps(dev_t dev, ino_t ino);
/* This process's CPU seconds, resident memory, and the private part of it. */
void procscan__self(double *cpu_s, uint64_t *rss_bytes, uint64_t *private_bytes);

#endif /* TP_SERVICE_PROCSCAN_H */
