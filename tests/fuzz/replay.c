/* Feed each file named on the command line (or every file of each
   directory named) to LLVMFuzzerTestOneInput, without libFuzzer: `make
   check` replays the committed corpus this way, so that a fixed bug stays
   fixed.  A crash or a broken property aborts.  */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int
replay_file (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat st;
  uint8_t *buf;
  ssize_t n;

  if (fd < 0 || fstat (fd, &st) < 0 || ! S_ISREG (st.st_mode))
    {
      fprintf (stderr, "replay: `%s`: %s\n", path, fd < 0 ? strerror (errno) : "not a file");
      if (fd >= 0)
        close (fd);
      return -1;
    }
  buf = malloc ((size_t) st.st_size + 1);
  n = read (fd, buf, (size_t) st.st_size);
  close (fd);
  if (n != st.st_size)
    {
      fprintf (stderr, "replay: `%s`: short read\n", path);
      free (buf);
      return -1;
    }
  LLVMFuzzerTestOneInput (buf, (size_t) n);
  free (buf);
  return 0;
}

int
main (int argc, char **argv)
{
  int failed = 0, count = 0;

  for (int i = 1; i < argc; i++)
    {
      struct stat st;
      DIR *dir;
      struct dirent *de;

      if (stat (argv[i], &st) == 0 && ! S_ISDIR (st.st_mode))
        {
          failed |= replay_file (argv[i]) < 0;
          count++;
          continue;
        }
      dir = opendir (argv[i]);
      if (dir == NULL)
        {
          fprintf (stderr, "replay: `%s`: %s\n", argv[i], strerror (errno));
          return 1;
        }
      while ((de = readdir (dir)))
        {
          char *path;
          if (de->d_name[0] == '.')
            continue;
          if (asprintf (&path, "%s/%s", argv[i], de->d_name) < 0)
            abort ();
          failed |= replay_file (path) < 0;
          free (path);
          count++;
        }
      closedir (dir);
    }
  printf ("replayed %d inputs\n", count);
  return failed;
}
