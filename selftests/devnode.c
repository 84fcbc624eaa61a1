// SPDX-License-Identifier: GPL-2.0
/*
 * The device node: a misc character device, root only (0600); root can
 * open and close it, an unprivileged user cannot open it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/ktap.h"
#include "lib/util.h"

KTAP_DEFINE_STATE;

int main(void)
{
	struct stat st;
	pid_t pid;
	int fd, status;

	ktap_header(5);
	if (geteuid() != 0)
		ktap_exit_skip("needs root");
	if (vsc_ensure_module())
		ktap_exit_skip("cannot load the module");

	if (stat(VSC_DEV_PATH, &st)) {
		ktap_diag("stat %s: %s", VSC_DEV_PATH, strerror(errno));
		memset(&st, 0, sizeof(st));
	}
	KTAP_EXPECT(S_ISCHR(st.st_mode) && major(st.st_rdev) == 10,
		    "%s is a misc character device", VSC_DEV_PATH);
	ktap_diag("mode %04o uid %u gid %u", st.st_mode & 07777,
		  st.st_uid, st.st_gid);
	KTAP_EXPECT((st.st_mode & 07777) == 0600 && st.st_uid == 0,
		    "mode 0600, owned by root");

	fd = open(VSC_DEV_PATH, O_RDWR | O_CLOEXEC);
	KTAP_EXPECT(fd >= 0, "root can open it");
	KTAP_EXPECT(fd >= 0 && close(fd) == 0, "root can close it");

	pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		fd = open(VSC_DEV_PATH, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			_exit(1);
		_exit(errno == EACCES ? 0 : 3);
	}
	waitpid(pid, &status, 0);
	ktap_diag("unprivileged child exit status %d", WEXITSTATUS(status));
	KTAP_EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "uid 65534 is refused with EACCES");
	return ktap_finish();
}
