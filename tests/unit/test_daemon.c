/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daemon.c: pidfile create / stale / refused / remove, detaching with the
 * start-up verdict, and the privilege drop to `nobody` (root only).
 *
 * Everything that changes the process (detach, privdrop) runs in forked
 * children that report back through files or a pipe, so the test process
 * itself keeps its credentials, session and working directory.  The
 * privilege drop runs in a private UTS namespace so that the sethostname
 * probe could never rename the machine, even if the drop failed.
 *
 * Not root: the pidfile and detach tests run, the privdrop ones are
 * skipped, and the program exits 77 (SKIP) saying so.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

static char tmpdir[] = "/tmp/tflow-test-daemon-XXXXXX";

static void path_of(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", tmpdir, name);

	assert_true(n > 0 && (size_t)n < len);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* The pid in a file, -1 when unreadable or not a number. */
static long read_pid(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL)
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}

/* Backdates a file's mtime, so it no longer looks like a fresh create. */
static void make_old(const char *path)
{
	struct timespec ts[2] = { { .tv_sec = time(NULL) - 3600 },
				  { .tv_sec = time(NULL) - 3600 } };

	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* A pid that is certainly not running now: a child that exited. */
static pid_t dead_pid(void)
{
	pid_t p = fork();

	assert_true(p != -1);
	if (p == 0)
		_exit(0);
	assert_int_equal(waitpid(p, NULL, 0), p);
	return p;
}

/* ---- pidfile ----------------------------------------------------------- */

static void test_pidfile_create_remove(void **state)
{
	char path[256], err[256];
	struct stat st;
	int fd;

	(void)state;
	path_of(path, sizeof(path), "create.pid");
	fd = pidfile_create(path, err, sizeof(err));
	assert_true(fd >= 0);
	assert_string_equal(err, "");
	assert_int_equal(read_pid(path), (long)getpid());
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* The descriptor holds the lock: a second opener cannot take it. */
	{
		int probe = open(path, O_RDONLY);

		assert_true(probe >= 0);
		assert_int_equal(flock(probe, LOCK_SH | LOCK_NB), -1);
		assert_int_equal(errno, EWOULDBLOCK);
		close(probe);
	}
	assert_int_equal(pidfile_remove(path, fd), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(pidfile_remove(path, -1), 0);
}

/* Existing files that must be replaced by our pid. */
static void test_pidfile_stale(void **state)
{
	char path[256], err[256], text[64];
	struct {
		const char *what;
		long pid;	/* > 0: written as text; 0: text below */
		const char *text;
		int old;	/* backdate the file */
	} rows[] = {
		{ "dead pid", -2, NULL, 0 },
		{ "dead pid without newline", -3, NULL, 0 },
		{ "our own pid (recycled after a reboot)", -1, NULL, 0 },
		{ "garbage, old", 0, "not a pid\n", 1 },
		{ "empty, old (crash before the write)", 0, "", 1 },
		{ "zero", 0, "0\n", 1 },
		{ "negative", 0, "-5\n", 1 },
	};
	size_t i;
	int fd;

	(void)state;
	path_of(path, sizeof(path), "stale.pid");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].pid == -1)
			snprintf(text, sizeof(text), "%ld\n", (long)getpid());
		else if (rows[i].pid == -2)
			snprintf(text, sizeof(text), "%ld\n", (long)dead_pid());
		else if (rows[i].pid == -3)
			snprintf(text, sizeof(text), "%ld", (long)dead_pid());
		else
			snprintf(text, sizeof(text), "%s", rows[i].text);
		write_file(path, text);
		if (rows[i].old)
			make_old(path);
		fd = pidfile_create(path, err, sizeof(err));
		if (fd < 0)
			fail_msg("%s: refused (%d): %s", rows[i].what, fd, err);
		assert_int_equal(read_pid(path), (long)getpid());
		assert_int_equal(pidfile_remove(path, fd), 0);
	}
}

/* Existing files that belong to a live instance: refused, untouched. */
static void test_pidfile_live_refused(void **state)
{
	char path[256], err[256], want[128], text[64];
	int pfd[2], fd, lockfd;
	pid_t child;
	char c;

	(void)state;
	path_of(path, sizeof(path), "live.pid");

	/* A live process of ours. */
	assert_int_equal(pipe(pfd), 0);
	child = fork();
	assert_true(child != -1);
	if (child == 0) {
		close(pfd[1]);
		(void)read(pfd[0], &c, 1);	/* until the test closes it */
		_exit(0);
	}
	close(pfd[0]);
	snprintf(text, sizeof(text), "%ld\n", (long)child);
	write_file(path, text);
	make_old(path);
	fd = pidfile_create(path, err, sizeof(err));
	assert_int_equal(fd, -EEXIST);
	snprintf(want, sizeof(want), "already running as pid %ld",
		 (long)child);
	assert_non_null(strstr(err, want));
	assert_int_equal(read_pid(path), (long)child);
	close(pfd[1]);
	assert_int_equal(waitpid(child, NULL, 0), child);
	/* Now it is gone: the same file is stale. */
	fd = pidfile_create(path, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(pidfile_remove(path, fd), 0);

	/* Alive but not ours to signal (EPERM when not root): pid 1. */
	write_file(path, "1\n");
	assert_int_equal(pidfile_create(path, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "already running as pid 1"));

	/* Empty and locked: another instance between create and write. */
	write_file(path, "");
	make_old(path);
	lockfd = open(path, O_RDONLY);
	assert_true(lockfd >= 0);
	assert_int_equal(flock(lockfd, LOCK_EX), 0);
	assert_int_equal(pidfile_create(path, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "another instance is starting"));
	close(lockfd);

	/* Empty, unlocked, but created a moment ago: the same, by age. */
	write_file(path, "");
	assert_int_equal(pidfile_create(path, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "another instance is starting"));
	make_old(path);
	fd = pidfile_create(path, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(pidfile_remove(path, fd), 0);
}

/* pidfile_remove never removes a successor's file. */
static void test_pidfile_remove_successor(void **state)
{
	char path[256], err[256];
	int fd;

	(void)state;
	path_of(path, sizeof(path), "succ.pid");
	fd = pidfile_create(path, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(unlink(path), 0);
	write_file(path, "12345\n");
	assert_int_equal(pidfile_remove(path, fd), 0);
	assert_int_equal(read_pid(path), 12345);
	assert_int_equal(unlink(path), 0);
}

static void test_pidfile_errors(void **state)
{
	char path[256], err[256];

	(void)state;
	path_of(path, sizeof(path), "no-such-dir/x.pid");
	assert_int_equal(pidfile_create(path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no-such-dir/x.pid"));
	/* A symlink is not followed (a planted link to a system file). */
	path_of(path, sizeof(path), "link.pid");
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_true(pidfile_create(path, err, sizeof(err)) < 0);
	assert_int_equal(unlink(path), 0);
}

/* ---- detach ------------------------------------------------------------ */

/* How the detached child ends its start-up. */
enum ending { SAYS_OK, SAYS_FAIL, DIES_SILENT, BIG_STATUS };

/*
 * The detached grandchild: its report goes into NAME.out (written to a
 * temporary name and renamed, so the poll below never reads half of it).
 * It must never return into cmocka.
 */
static _Noreturn void detached_child(const char *name, int fd,
    enum ending how)
{
	char out[256], tmp[300], cwd[256] = "";
	struct stat n1, nn;
	FILE *f;
	int isnull;

	switch (how) {
	case SAYS_FAIL:
		fprintf(stderr, "startup error reaches the terminal\n");
		daemon_detach_done(fd, 3);
		_exit(3);
	case DIES_SILENT:
		_exit(5);
	case BIG_STATUS:
		daemon_detach_done(fd, 1000);
		_exit(1);
	case SAYS_OK:
		break;
	}
	if (daemon_detach_done(fd, 0) != 0)
		_exit(20);
	fprintf(stderr, "after done: must not reach the terminal\n");
	fflush(stderr);
	isnull = fstat(1, &n1) == 0 && stat("/dev/null", &nn) == 0 &&
		 S_ISCHR(n1.st_mode) && n1.st_rdev == nn.st_rdev;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0';
	snprintf(out, sizeof(out), "%s/%s.out", tmpdir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	f = fopen(tmp, "w");
	if (f == NULL)
		_exit(21);
	fprintf(f, "%ld %ld %s %d\n", (long)getpid(), (long)getsid(0), cwd,
		isnull);
	if (fclose(f) != 0 || rename(tmp, out) != 0)
		_exit(22);
	_exit(0);
}

static void test_detach(void **state)
{
	struct {
		const char *name;
		enum ending how;
		int parent_status;
	} rows[] = {
		{ "ok", SAYS_OK, 0 },
		{ "fail", SAYS_FAIL, 3 },
		{ "silent", DIES_SILENT, 5 },
		{ "big", BIG_STATUS, 1 },
	};
	char errpath[256], outpath[256], buf[512], cwd[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		pid_t c;
		int st, fd, j;
		FILE *f;

		path_of(errpath, sizeof(errpath), rows[i].name);
		strncat(errpath, ".err", sizeof(errpath) - strlen(errpath) - 1);
		c = fork();
		assert_true(c != -1);
		if (c == 0) {
			int efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC,
				       0644);

			if (efd == -1 || dup2(efd, 2) == -1)
				_exit(40);
			if (daemon_detach_begin(&fd) != 0)
				_exit(41);
			/* Only the grandchild gets here. */
			detached_child(rows[i].name, fd, rows[i].how);
		}
		assert_int_equal(waitpid(c, &st, 0), c);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) != rows[i].parent_status)
			fail_msg("%s: parent exited %d, want %d", rows[i].name,
				 WEXITSTATUS(st), rows[i].parent_status);
		f = fopen(errpath, "r");
		assert_non_null(f);
		buf[0] = '\0';
		(void)!fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		if (rows[i].how == SAYS_FAIL)
			assert_non_null(strstr(buf, "startup error reaches"));
		if (rows[i].how != SAYS_OK)
			continue;

		/* The child's own report, written after the parent left. */
		path_of(outpath, sizeof(outpath), "ok.out");
		for (j = 0; j < 1000 && access(outpath, F_OK) != 0; j++)
			usleep(10000);
		f = fopen(outpath, "r");
		assert_non_null(f);
		{
			long pid, sid;
			int isnull;

			assert_int_equal(fscanf(f, "%ld %ld %255s %d", &pid,
						&sid, cwd, &isnull), 4);
			assert_int_equal(pid, sid);	/* session leader */
			assert_string_equal(cwd, "/");
			assert_int_equal(isnull, 1);	/* stdio on /dev/null */
			assert_true(pid != (long)c);
		}
		fclose(f);
		/* Its stderr went to /dev/null, not to the parent's file. */
		f = fopen(errpath, "r");
		assert_non_null(f);
		buf[0] = '\0';
		(void)!fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		assert_null(strstr(buf, "must not reach"));
	}
}

/* ---- privilege drop ---------------------------------------------------- */

static int is_root(void)
{
	return geteuid() == 0;
}

/* What the child found after privdrop, sent back through a pipe. */
struct drop_report {
	int rc;
	char err[256];
	long uid, euid, gid;
	int packet_errno;	/* socket(AF_PACKET): 0 = worked */
	int rcvbufforce_errno;	/* SO_RCVBUFFORCE needs CAP_NET_ADMIN */
	int sethostname_errno;	/* CAP_SYS_ADMIN */
	int setuid0_errno;
	int secret_errno;	/* open a root-only 0600 file: DAC override */
	int bset_sys_admin, bset_net_raw, bset_net_admin;
	int chown_errno;	/* CAP_CHOWN */
};

static void *idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

/*
 * Runs privdrop(user) in a child (in a private UTS namespace), probes
 * what it can still do and returns the report.  with_thread: start a
 * second thread first, which privdrop must refuse.
 */
static void drop_in_child(const char *user, int with_thread,
    struct drop_report *r)
{
	char secret[256], host[64];
	int pfd[2], st;
	pid_t c;
	ssize_t n;

	path_of(secret, sizeof(secret), "secret");
	write_file(secret, "root only\n");
	assert_int_equal(chmod(secret, 0600), 0);
	assert_int_equal(pipe(pfd), 0);
	c = fork();
	assert_true(c != -1);
	if (c == 0) {
		struct drop_report w;
		int s, v = 1 << 20;
		pthread_t t;

		close(pfd[0]);
		memset(&w, 0, sizeof(w));
		if (unshare(CLONE_NEWUTS) == -1)
			_exit(50);
		if (with_thread && pthread_create(&t, NULL, idle_thread,
						  NULL) != 0)
			_exit(51);
		w.rc = privdrop(user, w.err, sizeof(w.err));
		w.uid = (long)getuid();
		w.euid = (long)geteuid();
		w.gid = (long)getgid();
		s = socket(AF_PACKET, SOCK_RAW, 0);
		w.packet_errno = s == -1 ? errno : 0;
		if (s != -1)
			close(s);
		s = socket(AF_INET, SOCK_DGRAM, 0);
		w.rcvbufforce_errno = s == -1 ? -1 :
		    setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &v,
			       sizeof(v)) == -1 ? errno : 0;
		if (s != -1)
			close(s);
		if (gethostname(host, sizeof(host)) == -1)
			snprintf(host, sizeof(host), "tflow-test");
		w.sethostname_errno = sethostname(host, strlen(host)) == -1 ?
				      errno : 0;
		s = open(secret, O_RDONLY);
		w.secret_errno = s == -1 ? errno : 0;
		if (s != -1)
			close(s);
		w.chown_errno = chown(secret, 0, 0) == -1 ? errno : 0;
		w.bset_sys_admin = prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0,
					 0);
		w.bset_net_raw = prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0);
		w.bset_net_admin = prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0,
					 0);
		/* Last: if it succeeds the process is root again. */
		w.setuid0_errno = setuid(0) == -1 ? errno : 0;
		if (write(pfd[1], &w, sizeof(w)) != (ssize_t)sizeof(w))
			_exit(52);
		_exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], r, sizeof(*r));
	close(pfd[0]);
	assert_int_equal(waitpid(c, &st, 0), c);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("privdrop child exited with status %#x", st);
	assert_int_equal(n, (ssize_t)sizeof(*r));
}

static void test_privdrop_nobody(void **state)
{
	struct passwd *pw;
	struct drop_report r;

	(void)state;
	if (!is_root())
		skip();
	pw = getpwnam("nobody");
	if (pw == NULL) {
		print_message("no user 'nobody': privdrop not tested\n");
		skip();
	}
	drop_in_child("nobody", 0, &r);
	if (r.rc != 0)
		fail_msg("privdrop(nobody) = %d: %s", r.rc, r.err);
	assert_string_equal(r.err, "");
	assert_int_equal(r.uid, (long)pw->pw_uid);
	assert_int_equal(r.euid, (long)pw->pw_uid);
	assert_int_equal(r.gid, (long)pw->pw_gid);
	/* Kept: capture and netlink/conntrack administration. */
	assert_int_equal(r.packet_errno, 0);
	assert_int_equal(r.rcvbufforce_errno, 0);
	assert_int_equal(r.bset_net_raw, 1);
	assert_int_equal(r.bset_net_admin, 1);
	/* Gone: everything else. */
	assert_int_equal(r.sethostname_errno, EPERM);
	assert_int_equal(r.setuid0_errno, EPERM);
	assert_int_equal(r.secret_errno, EACCES);
	assert_int_equal(r.chown_errno, EPERM);
	assert_int_equal(r.bset_sys_admin, 0);
}

static void test_privdrop_refusals(void **state)
{
	struct drop_report r;

	(void)state;
	if (!is_root())
		skip();
	/* A missing user: a note, still root, nothing changed. */
	drop_in_child("tflow-test-no-such-user", 0, &r);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.err, "does not exist"));
	assert_int_equal(r.uid, 0);
	assert_int_equal(r.packet_errno, 0);
	assert_int_equal(r.bset_sys_admin, 1);

	/* uid 0 under any name is not a drop. */
	drop_in_child("root", 0, &r);
	assert_int_equal(r.rc, -EINVAL);
	assert_int_equal(r.uid, 0);
	assert_int_equal(r.bset_sys_admin, 1);

	/* Two threads: capset would leave the other one privileged. */
	if (getpwnam("nobody") != NULL) {
		drop_in_child("nobody", 1, &r);
		assert_int_equal(r.rc, -EBUSY);
		assert_non_null(strstr(r.err, "thread"));
		assert_int_equal(r.uid, 0);
		assert_int_equal(r.bset_sys_admin, 1);
	}
}

static void test_privdrop_not_root(void **state)
{
	char err[256];

	(void)state;
	if (is_root())
		skip();
	assert_int_equal(privdrop("nobody", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not running as root"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pidfile_create_remove),
		cmocka_unit_test(test_pidfile_stale),
		cmocka_unit_test(test_pidfile_live_refused),
		cmocka_unit_test(test_pidfile_remove_successor),
		cmocka_unit_test(test_pidfile_errors),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_privdrop_nobody),
		cmocka_unit_test(test_privdrop_refusals),
		cmocka_unit_test(test_privdrop_not_root),
	};
	char cmd[256];
	int failed;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	/* The nobody child must reach the "secret" file's directory. */
	if (chmod(tmpdir, 0755) == -1) {
		perror("chmod");
		return 99;
	}
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	if (failed == 0 && !is_root()) {
		printf("SKIP: privdrop tests need root (the pidfile and detach "
		       "tests passed)\n");
		return 77;
	}
	return failed;
}
