/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_program_cache.c: the OpenCL program binary cache.  A first load
 * writes one cache file; a later load uses it (the file is not replaced)
 * and gives bit-identical outputs; a corrupt,
 * truncated or foreign file is ignored (the program is rebuilt from source
 * and the file repaired); YV7_CACHE_DIR=off writes nothing; a cache
 * directory that cannot be created does not stop a load.
 *
 *   test-program-cache MODEL.onnx */
#include <yolov7/yolov7.h>

#include "check.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Load the model, run it on a fixed input, return a copy of output 0 (or
 * NULL, with the reason in msg). */
static float *
run_once (const char *model, size_t *n, char *msg, size_t msize)
{
  yv7_options opt;
  yv7_error err;
  yv7_engine *e;
  yv7_tensor in, out;
  float *copy = NULL;
  size_t numel = 1;

  yv7_options_init (&opt);
  e = yv7_engine_load (model, &opt, &err);
  if (!e) {
    snprintf (msg, msize, "load: %.400s", err.message);
    return NULL;
  }
  yv7_engine_input_info (e, 0, &in);
  for (int d = 0; d < in.rank; d++)
    numel *= (size_t) in.dims[d];
  in.capacity = 0;
  in.data = malloc (numel * sizeof (float));
  for (size_t i = 0; i < numel; i++)
    ((float *) in.data)[i] = (float) ((i * 2654435761u) % 1000) / 1000.0f;
  if (yv7_engine_run (e, &in, 1, &err) != YV7_OK) {
    snprintf (msg, msize, "run: %.400s", err.message);
  } else if (yv7_engine_get_output (e, 0, &out) == YV7_OK) {
    *n = 1;
    for (int d = 0; d < out.rank; d++)
      *n *= (size_t) out.dims[d];
    copy = malloc (*n * sizeof (float));
    memcpy (copy, out.data, *n * sizeof (float));
  }
  free (in.data);
  yv7_engine_free (e);
  return copy;
}

/* The one *.bin file in dir (path into buf), or the number found if not 1. */
static int
cache_file (const char *dir, char *buf, size_t size)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  int count = 0;
  if (!d)
    return 0;
  while ((de = readdir (d))) {
    size_t l = strlen (de->d_name);
    if (l > 4 && strcmp (de->d_name + l - 4, ".bin") == 0) {
      snprintf (buf, size, "%s/%s", dir, de->d_name);
      count++;
    }
  }
  closedir (d);
  return count;
}

static long
file_size (const char *path)
{
  FILE *f = fopen (path, "rb");
  long s;
  if (!f)
    return -1;
  fseek (f, 0, SEEK_END);
  s = ftell (f);
  fclose (f);
  return s;
}

static int
valid_header (const char *path)
{
  FILE *f = fopen (path, "rb");
  char magic[8] = "";
  int ok;
  if (!f)
    return 0;
  ok = fread (magic, 1, 8, f) == 8 && memcmp (magic, "YV7CLBN1", 8) == 0;
  fclose (f);
  return ok && file_size (path) > 16;
}

/* The file's inode: a build from source replaces the cache file (a new
 * inode, by rename), a load from it leaves it alone. */
static ino_t
inode_of (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 ? st.st_ino : 0;
}

static int
same (const float *a, const float *b, size_t n)
{
  return a && b && memcmp (a, b, n * sizeof (float)) == 0;
}

int
main (int argc, char **argv)
{
  char dir[] = "/tmp/yv7-cache-test-XXXXXX", path[4096], msg[512] = "";
  size_t n0 = 0, n = 0;
  float *base, *o;
  FILE *f;

  if (argc < 2) {
    fprintf (stderr, "usage: test-program-cache MODEL.onnx\n");
    return 2;
  }
  if (!mkdtemp (dir)) {
    perror ("mkdtemp");
    return 1;
  }

  setenv ("YV7_CACHE_DIR", "off", 1);
  base = run_once (argv[1], &n0, msg, sizeof msg);
  check (base != NULL, "runs with the cache off", base ? NULL : msg);
  if (!base)
    goto out;
  check (cache_file (dir, path, sizeof path) == 0, "cache off writes nothing", NULL);

  setenv ("YV7_CACHE_DIR", dir, 1);
  o = run_once (argv[1], &n, msg, sizeof msg);
  check (same (base, o, n0) && n == n0, "first load with the cache: same outputs", o ? NULL : msg);
  free (o);
  check (cache_file (dir, path, sizeof path) == 1 && valid_header (path),
      "the first load wrote one cache file", path);

  {
    ino_t before = inode_of (path);
    o = run_once (argv[1], &n, msg, sizeof msg);
    check (same (base, o, n0), "a load from the cache gives bit-identical outputs", o ? NULL : msg);
    free (o);
    check (before != 0 && inode_of (path) == before,
        "the second load used the cache (no rebuild replaced the file)", NULL);
  }

  /* a corrupt binary after a valid header */
  {
    long sz = file_size (path);
    char junk[4096];
    memset (junk, 0x5a, sizeof junk);
    f = fopen (path, "r+b");
    if (f) {
      fseek (f, 16, SEEK_SET);
      fwrite (junk, 1, sz - 16 < (long) sizeof junk ? (size_t) (sz - 16) : sizeof junk, f);
      fclose (f);
    }
    ino_t before = inode_of (path);
    o = run_once (argv[1], &n, msg, sizeof msg);
    check (same (base, o, n0), "a corrupt cache file is ignored", o ? NULL : msg);
    free (o);
    check (inode_of (path) != before && valid_header (path),
        "and replaced by a rebuilt one", NULL);
  }
  /* truncated */
  if (truncate (path, 20) == 0) {
    o = run_once (argv[1], &n, msg, sizeof msg);
    check (same (base, o, n0), "a truncated cache file is ignored", o ? NULL : msg);
    free (o);
    check (valid_header (path) && file_size (path) > 20, "and rewritten whole", NULL);
  }
  /* a header claiming a huge size */
  f = fopen (path, "wb");
  if (f) {
    unsigned long long huge = 1ull << 62;
    fwrite ("YV7CLBN1", 1, 8, f);
    fwrite (&huge, sizeof huge, 1, f);
    fclose (f);
    o = run_once (argv[1], &n, msg, sizeof msg);
    check (same (base, o, n0), "a cache file claiming a huge size is ignored", o ? NULL : msg);
    free (o);
  }
  remove (path);

  /* a cache directory below a regular file cannot be created */
  {
    char blocked[4200];
    snprintf (blocked, sizeof blocked, "%s/file", dir);
    f = fopen (blocked, "w");
    if (f)
      fclose (f);
    snprintf (blocked, sizeof blocked, "%s/file/cache", dir);
    setenv ("YV7_CACHE_DIR", blocked, 1);
    o = run_once (argv[1], &n, msg, sizeof msg);
    check (same (base, o, n0), "an unusable cache directory does not stop a load", o ? NULL : msg);
    free (o);
    snprintf (blocked, sizeof blocked, "%s/file", dir);
    remove (blocked);
  }
  rmdir (dir);

out:
  free (base);
  return check_summary ();
}
