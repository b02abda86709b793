/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf_save: write a configuration back to its file as `export` prints
 * it, atomically, so that a crash or power cut leaves either the old file
 * or the new one and never half of each.  Shared by `tflow --offline` and
 * tflowd's control socket.
 */
#ifndef TFLOW_CONF_SAVE_H
#define TFLOW_CONF_SAVE_H

#include "conf.h"

/*
 * Export cfg into a temp file in path's directory, fsync it, rename it
 * over path, fsync the directory.  An existing file keeps its mode; a new
 * one gets 0644 less the umask.  Returns 0 or -errno; on error path is
 * untouched and no temp file is left behind.
 */
int conf_save(const char *path, const struct tflow_config *cfg);

#endif
