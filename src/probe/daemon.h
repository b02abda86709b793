/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daemon: the life of tflowd as a background process, in three helpers
 * that know nothing of flows: detach from the terminal (with a socket
 * pair back to the parent, so that the shell that started us sees
 * start-up errors and a non-zero exit status), an exclusive pidfile with stale-pid detection, and the
 * privilege drop to an unprivileged user that keeps only CAP_NET_RAW and
 * CAP_NET_ADMIN.  Errors are returned (negative errno, plus a message in
 * the caller's buffer where one helps), never printed.
 *
 * Intended call order in tflowd (live mode, without -f):
 *
 *	make -c and -p absolute (realpath): detaching chdirs to /
 *	log_init(..., foreground=true, ...)   errors still reach the terminal
 *	daemon_detach_begin(&notify)          the parent waits from here on
 *	fd = pidfile_create(pidfile)          holds our (the child's) pid
 *	open the capture (AF_PACKET rings / pcap / NFLOG), the control
 *	    socket and its directory, netlink and conntrack sockets, the
 *	    export target sockets                       all as root
 *	privdrop("tflow")                     before any thread is started
 *	start the capture worker threads
 *	log_init(..., foreground=false, ...)  syslog from now on
 *	daemon_detach_done(notify, 0)         stdio -> /dev/null, parent exits 0
 *	... run ...
 *	pidfile_remove(pidfile, fd)
 *
 * On a start-up error after daemon_detach_begin(): log it (it still goes
 * to the terminal), call daemon_detach_done(notify, status) and exit with
 * that status; the parent exits with the same status.  With -f none of
 * the detach calls are made, but pidfile and privdrop are.
 *
 * Everything here must run while the process has a single thread:
 * fork() copies only the calling thread, and capset(2) and
 * PR_SET_KEEPCAPS act on the calling thread alone (privdrop refuses a
 * multi-threaded process with -EBUSY).  Threads created after privdrop
 * inherit its reduced credentials.
 */
#ifndef TFLOW_DAEMON_H
#define TFLOW_DAEMON_H

#include <stddef.h>

/*
 * Fork into the background.  In the parent it does not return: the parent
 * waits until the child calls daemon_detach_done() and then exits with
 * the status the child passed (or 1 if the child died without saying, or
 * the child's exit status if that was non-zero).  In the child it returns
 * 0 with *notify_fd set; the child is a new session leader (setsid) with
 * / as its working directory, and its stdio is still the parent's, so
 * start-up errors reach the terminal until daemon_detach_done().
 * stdio buffers are flushed before the fork so nothing is printed twice.
 * Returns -errno when the socket pair or the fork fails (still in the
 * foreground, *notify_fd = -1), or in the child when setsid or chdir
 * fails (*notify_fd set): either way the caller logs, calls
 * daemon_detach_done(*notify_fd, 1) (a no-op on -1) and exits 1.
 */
int daemon_detach_begin(int *notify_fd);

/*
 * The child's start-up verdict.  status 0: stdin, stdout and stderr are
 * pointed at /dev/null first, then the parent is told to exit 0.
 * Otherwise the parent exits with status (1..255; other values become
 * 1) and stdio is left alone, since the child is about to exit too.
 * Closes notify_fd in every case.  Returns 0, or -errno if /dev/null could
 * not be opened or dup'ed (the parent has still been told).
 */
int daemon_detach_done(int notify_fd, int status);

/*
 * Both at once, for a caller with nothing to report from start-up:
 * returns 0 in the detached child, -errno on failure; the parent exits 0.
 */
int daemon_detach(void);

/*
 * Create the pidfile at path, exclusively (O_CREAT|O_EXCL), write
 * getpid() into it and return its descriptor (O_CLOEXEC, holding an
 * flock for the process's life: keep it open until pidfile_remove()).
 *
 * An existing file is stale, removed and replaced, when the pid in it is
 * no longer running (kill(pid, 0) fails with ESRCH) or is our own pid,
 * or when it holds no pid and nobody holds its lock (a crash between
 * create and write).  It is refused with -EEXIST when that pid is alive
 * ("already running as pid N" in err), or when it is empty but locked
 * (another instance is writing it).  A pid recycled by an unrelated
 * process is indistinguishable from a running daemon and is refused: the
 * operator removes the file.  Other errors: -errno of open, write,
 * unlink (err says which).
 */
int pidfile_create(const char *path, char *err, size_t errlen);

/*
 * Unlink path if it is still the file fd refers to (same device and
 * inode: never remove a successor's pidfile), then close fd.  fd < 0 is a
 * no-op.  Returns 0 or -errno of unlink (e.g. -EACCES when the
 * directory is not writable after the privilege drop; the stale file is
 * harmless, the next start replaces it).
 */
int pidfile_remove(const char *path, int fd);

/*
 * Drop root to user (its uid, its primary gid as the only group), keeping
 * only CAP_NET_RAW and CAP_NET_ADMIN in the permitted and effective sets
 * (capture on rings and pcap, promiscuous mode, netlink and conntrack
 * subscriptions, and sockets for interfaces that appear later), with
 * nothing inheritable or ambient, and every other capability removed
 * from the bounding set so no exec can regain it.  Afterwards it checks
 * the result: real, effective and saved ids are user's, setuid(0) fails,
 * capget shows exactly the two capabilities.
 *
 * Returns 0 when done (err set to ""), and 0 with a note in err when
 * nothing was changed on purpose: user does not exist (the daemon keeps
 * running as root) or the process is not root.  Returns -errno with a
 * message on failure; -EBUSY when the process has more than one thread.
 * A failure after the first credential change first removes every
 * capability it can (fail closed), so the process is never left half
 * dropped with its privileges; the caller must exit.
 */
int privdrop(const char *user, char *err, size_t errlen);

#endif
