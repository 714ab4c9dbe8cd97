/* SPDX-License-Identifier: ISC */
/*
 * sandbox-create: the per-user data directories under SANDGATE_DATA_ROOT,
 * made and opened without following a symlink.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "create.h"
#include "create-int.h"

/*
 * Open (making it first if missing) the directory name below dirfd
 * without following a symlink.  A directory we make gets mode and
 * owner; one that exists must not be world-writable.
 */
static int
subdir(int dirfd, const char *name, mode_t mode, gid_t gid,
    struct sg_err *err)
{
	struct stat	 st;
	int		 fd, made = 0;

	if (mkdirat(dirfd, name, 0700) == 0)
		made = 1;
	else if (errno != EEXIST) {
		sg_err_set(err, SG_EINTERNAL, "data_dir",
		    "cannot make %.40s: %s", name, strerror(errno));
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		sg_err_set(err, SG_EINTERNAL, "data_dir",
		    "cannot open %.40s: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		sg_err_set(err, SG_EINTERNAL, "data_dir", "cannot stat %.40s",
		    name);
		goto fail;
	}
	if (made) {
		/* Only root can hand the group to the sandbox's gid. */
		if (geteuid() == 0 && fchown(fd, 0, gid) == -1) {
			sg_err_set(err, SG_EINTERNAL, "data_dir",
			    "cannot chown %.40s: %s", name, strerror(errno));
			goto fail;
		}
		if (fchmod(fd, mode) == -1) {
			sg_err_set(err, SG_EINTERNAL, "data_dir",
			    "cannot chmod %.40s: %s", name, strerror(errno));
			goto fail;
		}
	} else if ((st.st_mode & S_IWOTH) != 0) {
		sg_err_set(err, SG_EINTERNAL, "unsafe_data_dir",
		    "%.40s is world-writable", name);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

enum sg_rc
create_dirs(const char *root, const char *user, struct sg_err *err)
{
	int		 rootfd = -1, users = -1, ufd = -1, fd = -1;
	enum sg_rc	 rc = SG_EINTERNAL;

	if (!sg_id_valid(user))
		return sg_err_set(err, SG_EINVAL, "bad_field", "bad user_id");
	if (mkdir(root, 0755) == -1 && errno != EEXIST) {
		sg_err_set(err, SG_EINTERNAL, "data_dir",
		    "cannot make SANDGATE_DATA_ROOT: %s", strerror(errno));
		goto out;
	}
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		sg_err_set(err, SG_EINTERNAL, "data_dir",
		    "cannot open SANDGATE_DATA_ROOT: %s", strerror(errno));
		goto out;
	}
	if ((fd = subdir(rootfd, "skills", 0750, CREATE_SANDBOX_GID,
	    err)) == -1)
		goto out;
	close(fd);
	if ((users = subdir(rootfd, "users", 0755, 0, err)) == -1 ||
	    (ufd = subdir(users, user, 0755, 0, err)) == -1)
		goto out;
	if ((fd = subdir(ufd, "uploads", 0750, CREATE_SANDBOX_GID,
	    err)) == -1)
		goto out;
	close(fd);
	if ((fd = subdir(ufd, "outputs", 0770, CREATE_SANDBOX_GID,
	    err)) == -1)
		goto out;
	close(fd);
	fd = -1;
	rc = SG_OK;
out:
	if (ufd != -1)
		close(ufd);
	if (users != -1)
		close(users);
	if (rootfd != -1)
		close(rootfd);
	return rc;
}
