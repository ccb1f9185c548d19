/* SPDX-License-Identifier: MIT */
/*
 * A file as stat(2) names it: device and inode. The one file identity of
 * the collector's userspace (BPF has its own wire form, struct tp_file_id).
 */
#ifndef TP_BASE_FILE_ID_H
#define TP_BASE_FILE_ID_H

#include <stdbool.h>
#include <sys/types.h>

/* A file, as stat(2) names it. */
struct file_id {
	dev_t dev;
	ino_t ino;
};

static inline bool file_id__eq(const struct file_id *a, dev_t dev, ino_t ino)
{
	return a->dev == dev && a->ino == ino;
}

#endif /* TP_BASE_FILE_ID_H */
