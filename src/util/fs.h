/*
 * Files and directories, one helper per job: mkdir -p, reading a whole
 * small file, writing one atomically. Every function returns 0 or -errno.
 */
#ifndef JAIL6_UTIL_FS_H
#define JAIL6_UTIL_FS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * mkdir -p: the missing parents of path get parent_mode (0755, as mkdir(1)
 * gives them), path itself leaf_mode. An existing path must be a directory
 * (-ENOTDIR); its mode is left alone.
 */
int fs_mkdir_p(const char *path, mode_t parent_mode, mode_t leaf_mode);

/* Flags of fs_read_file(). */
#define FS_READ_REGULAR 0x1   /* anything but a regular file is -EINVAL */

/*
 * Read the whole file at path into a new NUL-terminated buffer (*text, to
 * free; *len bytes without the NUL). The file is opened non-blocking, so a
 * FIFO or a device never hangs the caller; with FS_READ_REGULAR such a file
 * is refused at once (-EINVAL; -EISDIR for a directory). A file of more than
 * max bytes is -EFBIG. When st is not NULL it receives the fstat of what was
 * read (device, inode, owner and mode of the very file opened).
 */
int fs_read_file(const char *path, size_t max, int flags, char **text, size_t *len,
		 struct stat *st);

/*
 * Write len bytes to path through path.tmp and rename(2), so a reader sees
 * the old content or the new, never a part. The file gets mode; a symlink
 * at path.tmp is not followed.
 */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Write len bytes to path (created with mode, or truncated), not following
 * a symlink at path. */
int fs_write_file(const char *path, const void *data, size_t len, mode_t mode);

#endif
