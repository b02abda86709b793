/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daemon: detach, pidfile and privilege drop for tflowd (see daemon.h for
 * the call order).  Nothing here logs: every helper returns 0 or a
 * negative errno, with a message in the caller's buffer where the errno
 * alone would not tell the operator what to fix.
 *
 * Capabilities are set with the raw capget/capset system calls, so the
 * probe needs no libcap (OpenWrt images rarely carry it).  Those calls,
 * like PR_SET_KEEPCAPS, act on the calling thread only, hence the
 * single-thread rule.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

/* The capabilities capture needs, as bits of the first 32-bit word. */
#define KEEP_CAPS	((1u << CAP_NET_RAW) | (1u << CAP_NET_ADMIN))

/*
 * An empty pidfile younger than this is taken to be one another instance
 * has just created and is about to write (the few syscalls between its
 * O_EXCL create and its flock), not the leftover of a crash.
 */
#define PIDFILE_FRESH_S	2

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- detach ------------------------------------------------------------ */

/*
 * The parent's side: wait for the child's one-byte verdict and exit with
 * it.  EOF without a byte means the child died (or closed the socket)
 * before saying: its exit status if it is already reapable, else 1.  The
 * short wait for it is only for a better exit status, never for
 * correctness.
 */
static _Noreturn void detach_wait(int fd, pid_t child)
{
	unsigned char b;
	ssize_t n;
	int st, i;

	do {
		n = read(fd, &b, 1);
	} while (n == -1 && errno == EINTR);
	if (n == 1)
		_exit(b);
	for (i = 0; i < 100; i++) {
		pid_t w = waitpid(child, &st, WNOHANG);

		if (w == child) {
			if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
				_exit(WEXITSTATUS(st));
			if (WIFSIGNALED(st))
				_exit(128 + WTERMSIG(st));
			break;
		}
		if (w == -1)
			break;
		usleep(10000);
	}
	_exit(1);
}

int daemon_detach_begin(int *notify_fd)
{
	int sv[2], rc;
	pid_t pid;

	*notify_fd = -1;
	/*
	 * A socket pair rather than a pipe: the child writes its verdict
	 * with MSG_NOSIGNAL, so a parent killed meanwhile cannot take the
	 * daemon down with SIGPIPE.
	 */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -errno;
	/* Whatever stdio holds would otherwise be printed by both. */
	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		rc = -errno;
		close(sv[0]);
		close(sv[1]);
		return rc;
	}
	if (pid > 0) {
		close(sv[1]);
		detach_wait(sv[0], pid);
	}
	close(sv[0]);
	*notify_fd = sv[1];
	/* A new session: no controlling terminal, no job-control signals. */
	if (setsid() == -1)
		return -errno;
	/* Do not keep a mount point busy; paths must be absolute now. */
	if (chdir("/") == -1)
		return -errno;
	return 0;
}

static int stdio_to_null(void)
{
	int fd, i, rc = 0;

	fflush(NULL);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	for (i = 0; i <= 2; i++) {
		if (dup2(fd, i) == -1 && rc == 0)
			rc = -errno;
	}
	if (fd > 2)
		close(fd);
	return rc;
}

int daemon_detach_done(int notify_fd, int status)
{
	unsigned char b;
	ssize_t n;
	int rc = 0;

	if (notify_fd < 0)
		return 0;
	/* Before the parent exits: the shell must not get our output after
	 * its prompt. */
	if (status == 0)
		rc = stdio_to_null();
	b = status >= 0 && status <= 255 ? (unsigned char)status : 1;
	do {
		n = send(notify_fd, &b, 1, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	/* A parent that is gone has nobody to tell: not an error. */
	close(notify_fd);
	return rc;
}

int daemon_detach(void)
{
	int fd, rc;

	rc = daemon_detach_begin(&fd);
	if (rc < 0) {
		(void)daemon_detach_done(fd, 1);
		return rc;
	}
	return daemon_detach_done(fd, 0);
}

/* ---- pidfile ----------------------------------------------------------- */

/* The pid in a pidfile's text, or 0 when it holds none. */
static pid_t pid_parse(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || v <= 0 || v > INT32_MAX)
		return 0;
	while (*end == '\n' || *end == ' ' || *end == '\t' || *end == '\r')
		end++;
	return *end == '\0' ? (pid_t)v : 0;
}

/*
 * path exists.  Decide whether it belongs to a live instance (-EEXIST,
 * err set) or is stale; a stale file is unlinked, if it is still the file
 * we read, and 0 is returned so the caller tries to create again.  The
 * shared lock is taken before reading so that a creator holding (or
 * about to take) its exclusive lock is never mistaken for a crash.
 */
static int pidfile_stale(const char *path, char *err, size_t errlen)
{
	char buf[32];
	struct stat fst, pst;
	ssize_t n;
	pid_t pid;
	int fd, rc = 0;
	bool locked;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		if (errno == ENOENT)	/* removed meanwhile: try again */
			return 0;
		rc = -errno;
		errf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	locked = flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	do {
		n = read(fd, buf, sizeof(buf) - 1);
	} while (n == -1 && errno == EINTR);
	if (n == -1 || fstat(fd, &fst) == -1) {
		rc = -errno;
		errf(err, errlen, "%s: %s", path, strerror(-rc));
		goto close_fd;
	}
	buf[n] = '\0';
	pid = pid_parse(buf);
	if (pid > 0 && pid != getpid() &&
	    (kill(pid, 0) == 0 || errno == EPERM)) {
		errf(err, errlen, "%s: already running as pid %ld", path,
		     (long)pid);
		rc = -EEXIST;
		goto close_fd;
	}
	if (pid == 0 && (locked ||
	    time(NULL) - fst.st_mtime < PIDFILE_FRESH_S)) {
		errf(err, errlen, "%s: another instance is starting", path);
		rc = -EEXIST;
		goto close_fd;
	}
	/* Stale.  Never unlink a file someone else replaced it with. */
	if (stat(path, &pst) == 0 && pst.st_dev == fst.st_dev &&
	    pst.st_ino == fst.st_ino && unlink(path) == -1 &&
	    errno != ENOENT) {
		rc = -errno;
		errf(err, errlen, "%s: cannot remove stale pidfile: %s", path,
		     strerror(-rc));
	}
close_fd:
	close(fd);
	return rc;
}

int pidfile_create(const char *path, char *err, size_t errlen)
{
	char buf[32];
	int fd, len, rc, attempt;
	ssize_t n;

	errf(err, errlen, "%s", "");
	/* Three rounds: each stale removal can race one other starter. */
	for (attempt = 0; attempt < 3; attempt++) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
			  O_NOFOLLOW, 0644);
		if (fd != -1)
			goto created;
		if (errno != EEXIST) {
			rc = -errno;
			errf(err, errlen, "%s: %s", path, strerror(-rc));
			return rc;
		}
		rc = pidfile_stale(path, err, errlen);
		if (rc < 0)
			return rc;
	}
	errf(err, errlen, "%s: keeps reappearing; another instance is "
	     "starting", path);
	return -EEXIST;

created:
	/* Blocking: a checker holds its shared lock for a read only. */
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			rc = -errno;
			errf(err, errlen, "%s: lock: %s", path, strerror(-rc));
			goto unlink_file;
		}
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	do {
		n = write(fd, buf, (size_t)len);
	} while (n == -1 && errno == EINTR);
	if (n != len) {
		rc = n == -1 ? -errno : -EIO;
		errf(err, errlen, "%s: write: %s", path, strerror(-rc));
		goto unlink_file;
	}
	return fd;

unlink_file:
	(void)unlink(path);
	close(fd);
	return rc;
}

int pidfile_remove(const char *path, int fd)
{
	struct stat fst, pst;
	int rc = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &fst) == 0 && stat(path, &pst) == 0 &&
	    fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino &&
	    unlink(path) == -1)
		rc = -errno;
	close(fd);
	return rc;
}

/* ---- privilege drop ---------------------------------------------------- */

static int cap_get(struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};

	memset(d, 0, sizeof(*d) * _LINUX_CAPABILITY_U32S_3);
	return syscall(SYS_capget, &h, d) == -1 ? -errno : 0;
}

/* Sets permitted and effective to word 0 = caps (nothing above bit 31,
 * nothing inheritable). */
static int cap_set(uint32_t caps)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	d[0].permitted = caps;
	d[0].effective = caps;
	return syscall(SYS_capset, &h, d) == -1 ? -errno : 0;
}

/* Threads of this process, from /proc/self/task; 1 without /proc. */
static int thread_count(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir("/proc/self/task");
	if (d == NULL)
		return 1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return n > 0 ? n : 1;
}

/* Look user up; 1 found, 0 no such user, -errno. */
static int user_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	int rc;

	rc = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (res != NULL) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
		return 1;
	}
	/* getpwnam_r(3): these all mean "not found" on some libc. */
	if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF ||
	    rc == EPERM)
		return 0;
	return -rc;
}

/* After a failed step: remove every capability we can, so the caller
 * exits from a process that can no longer do harm. */
static void fail_closed(void)
{
	(void)cap_set(0);
}

/* The checks after the drop; 0 or -EPERM with err set. */
static int privdrop_verify(const char *user, uid_t uid, gid_t gid,
    char *err, size_t errlen)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];
	int rc, ng, i;

	if (getresuid(&ru, &eu, &su) == -1 || ru != uid || eu != uid ||
	    su != uid) {
		errf(err, errlen, "uid is not %s's after setresuid", user);
		return -EPERM;
	}
	if (getresgid(&rg, &eg, &sg) == -1 || rg != gid || eg != gid ||
	    sg != gid) {
		errf(err, errlen, "gid is not %s's after setresgid", user);
		return -EPERM;
	}
	ng = getgroups(2, groups);	/* -1 (EINVAL): more than 2 */
	if (ng != 1 || groups[0] != gid) {
		errf(err, errlen, "supplementary groups were not replaced");
		return -EPERM;
	}
	/* The OpenSSH test: if root can be regained, nothing was dropped. */
	if (uid != 0 && setuid(0) != -1) {
		errf(err, errlen, "setuid(0) succeeded after the drop");
		return -EPERM;
	}
	if ((rc = cap_get(d)) < 0) {
		errf(err, errlen, "capget: %s", strerror(-rc));
		return rc;
	}
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		uint32_t want = i == 0 ? KEEP_CAPS : 0;

		if (d[i].permitted != want || d[i].effective != want ||
		    d[i].inheritable != 0) {
			errf(err, errlen, "capabilities after the drop: "
			     "permitted %#x effective %#x inheritable %#x "
			     "(word %d), want %#x", d[i].permitted,
			     d[i].effective, d[i].inheritable, i, want);
			return -EPERM;
		}
	}
	if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0) {
		errf(err, errlen, "CAP_SYS_ADMIN is still in the bounding set");
		return -EPERM;
	}
	return 0;
}

int privdrop(const char *user, char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;
	int rc, c;

	errf(err, errlen, "%s", "");
	if (geteuid() != 0) {
		errf(err, errlen, "not running as root: privileges unchanged");
		return 0;
	}
	rc = user_lookup(user, &uid, &gid);
	if (rc < 0) {
		errf(err, errlen, "looking up user %s: %s", user,
		     strerror(-rc));
		return rc;
	}
	if (rc == 0) {
		errf(err, errlen, "user %s does not exist: still running as "
		     "root", user);
		return 0;
	}
	if (uid == 0) {
		errf(err, errlen, "user %s is uid 0: refusing to keep root "
		     "under another name", user);
		return -EINVAL;
	}
	if (thread_count() > 1) {
		errf(err, errlen, "privdrop must run before any thread is "
		     "started (capset acts on one thread)");
		return -EBUSY;
	}

	/* From here on every failure goes through fail_closed(). */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1) {
		rc = -errno;
		errf(err, errlen, "PR_SET_KEEPCAPS: %s", strerror(-rc));
		goto fail;
	}
	/*
	 * The bounding set first, while CAP_SETPCAP is still effective: no
	 * later execve (a helper, a hook) can gain what we gave up.  The
	 * loop ends at the kernel's last capability (EINVAL).
	 */
	for (c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++) {
		if (c == CAP_NET_RAW || c == CAP_NET_ADMIN)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1) {
			rc = -errno;
			errf(err, errlen, "PR_CAPBSET_DROP %d: %s", c,
			     strerror(-rc));
			goto fail;
		}
	}
#ifdef PR_CAP_AMBIENT
	/* Ambient capabilities survive setuid; EINVAL: before Linux 4.3. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL) {
		rc = -errno;
		errf(err, errlen, "PR_CAP_AMBIENT_CLEAR_ALL: %s",
		     strerror(-rc));
		goto fail;
	}
#endif
	/* Groups before uid: changing them needs CAP_SETGID, which the
	 * uid change takes out of the effective set. */
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1) {
		rc = -errno;
		errf(err, errlen, "setting group %ld of %s: %s", (long)gid,
		     user, strerror(-rc));
		goto fail;
	}
	/* With KEEPCAPS the permitted set survives, the effective does
	 * not; capset then narrows both to the two we keep. */
	if (setresuid(uid, uid, uid) == -1) {
		rc = -errno;
		errf(err, errlen, "setting user %s (uid %ld): %s", user,
		     (long)uid, strerror(-rc));
		goto fail;
	}
	if ((rc = cap_set(KEEP_CAPS)) < 0) {
		errf(err, errlen, "capset: %s", strerror(-rc));
		goto fail;
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1) {
		rc = -errno;
		errf(err, errlen, "PR_SET_KEEPCAPS off: %s", strerror(-rc));
		goto fail;
	}
	if ((rc = privdrop_verify(user, uid, gid, err, errlen)) < 0)
		goto fail;
	return 0;

fail:
	fail_closed();
	return rc;
}
