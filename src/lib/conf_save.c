/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf_save: the atomic write of a config file.  The temp file lives in
 * the target's directory because rename() is atomic only within one file
 * system; the directory is fsynced after the rename because the rename
 * itself is a change of the directory, and without it a power cut may
 * bring back the old name.
 */
#include "conf_save.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fsync the directory holding `path`, so that the rename is durable. */
static int sync_dir(const char *path)
{
	char *copy, *dir;
	int fd, rc = 0;

	copy = strdup(path);
	if (copy == NULL)
		return -ENOMEM;
	dir = dirname(copy);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		rc = -errno;
	else {
		/* some file systems cannot sync a directory: not an error */
		if (fsync(fd) == -1 && errno != EINVAL)
			rc = -errno;
		close(fd);
	}
	free(copy);
	return rc;
}

int conf_save(const char *path, const struct tflow_config *cfg)
{
	struct stat st;
	mode_t mode, mask;
	char *tmp;
	FILE *f;
	int fd, rc;

	if (asprintf(&tmp, "%s.XXXXXX", path) == -1)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd == -1) {
		rc = -errno;
		goto free_tmp;
	}
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	else {
		/* umask() is the only way to read it; set it straight back */
		mask = umask(0);
		umask(mask);
		mode = 0644 & ~mask;
	}
	if (fchmod(fd, mode) == -1) {
		rc = -errno;
		close(fd);
		goto unlink_tmp;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		goto unlink_tmp;
	}
	conf_export(cfg, f);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) == -1) {
		rc = errno != 0 ? -errno : -EIO;
		fclose(f);
		goto unlink_tmp;
	}
	if (fclose(f) != 0) {
		rc = -errno;
		goto unlink_tmp;
	}
	if (rename(tmp, path) == -1) {
		rc = -errno;
		goto unlink_tmp;
	}
	free(tmp);
	return sync_dir(path);

unlink_tmp:
	unlink(tmp);
free_tmp:
	free(tmp);
	return rc != 0 ? rc : -EIO;
}
