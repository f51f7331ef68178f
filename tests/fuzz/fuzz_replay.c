/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_replay.c: runs the model-loader fuzz target over corpus files without
 * libFuzzer, so the corpus is a normal test (also under ASan+UBSan).
 *
 *   fuzz-replay PATH...
 *
 * Each PATH is a file or a folder whose files are replayed in name order.
 * A crash, a sanitizer report or a failure without a message fails the test
 * inside the target; in addition every file named "valid-*" (an intact
 * model) must load and run, so the run path is known to be exercised.  The
 * last line is "N inputs: L loaded, R ran, F failed". */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_load.h"

static int n_inputs, n_loaded, n_ran, n_failed;

static uint8_t *
read_all (const char *path, size_t *size)
{
  FILE *f = fopen (path, "rb");
  uint8_t *buf = NULL;
  long len;

  if (!f)
    return NULL;
  if (fseek (f, 0, SEEK_END) == 0 && (len = ftell (f)) >= 0
      && fseek (f, 0, SEEK_SET) == 0 && (buf = malloc ((size_t) len + 1))) {
    if (fread (buf, 1, (size_t) len, f) == (size_t) len)
      *size = (size_t) len;
    else {
      free (buf);
      buf = NULL;
    }
  }
  fclose (f);
  return buf;
}

static void
replay_file (const char *path)
{
  const char *base = strrchr (path, '/') ? strrchr (path, '/') + 1 : path;
  size_t size = 0;
  uint8_t *data = read_all (path, &size);

  if (!data) {
    printf ("FAIL - %s: cannot read: %s\n", path, strerror (errno));
    n_failed++;
    return;
  }
  printf ("%s\n", path);
  fflush (stdout);
  LLVMFuzzerTestOneInput (data, size);
  free (data);
  n_inputs++;
  n_loaded += yv7_fuzz_last_outcome >= YV7_FUZZ_LOADED;
  n_ran += yv7_fuzz_last_outcome == YV7_FUZZ_RAN;
  if (strncmp (base, "valid-", 6) == 0 && yv7_fuzz_last_outcome != YV7_FUZZ_RAN) {
    printf ("FAIL - %s: an intact model must load and run (it %s)\n", path,
        yv7_fuzz_last_outcome == YV7_FUZZ_LOADED ? "loaded but did not run"
        : "was rejected");
    n_failed++;
  }
}

static int
by_name (const struct dirent **a, const struct dirent **b)
{
  return strcmp ((*a)->d_name, (*b)->d_name);
}

static void
replay_path (const char *path)
{
  struct stat st;
  struct dirent **names;
  int n;

  if (stat (path, &st) != 0 || !S_ISDIR (st.st_mode)) {
    replay_file (path);
    return;
  }
  n = scandir (path, &names, NULL, by_name);
  if (n < 0) {
    printf ("FAIL - %s: cannot list: %s\n", path, strerror (errno));
    n_failed++;
    return;
  }
  for (int i = 0; i < n; i++) {
    char full[4096];
    if (names[i]->d_name[0] != '.'
        && (size_t) snprintf (full, sizeof full, "%s/%s", path, names[i]->d_name) < sizeof full)
      replay_file (full);
    free (names[i]);
  }
  free (names);
}

int
main (int argc, char **argv)
{
  if (argc < 2) {
    fprintf (stderr, "usage: %s PATH...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++)
    replay_path (argv[i]);
  printf ("%d inputs: %d loaded, %d ran, %d failed\n", n_inputs, n_loaded, n_ran,
      n_failed);
  return n_failed || n_inputs == 0 ? 1 : 0;
}
