/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* check.h: the plain tests' check lines ("ok   - what" / "FAIL - what:
 * detail") and their "N passed, M failed" summary.  Include once per test
 * program. */
#ifndef YV7_TESTS_CHECK_H
#define YV7_TESTS_CHECK_H

#include <stdio.h>

static int passed, failed;

static void
check (int ok, const char *what, const char *detail)
{
  printf ("%s - %s%s%s\n", ok ? "ok  " : "FAIL", what, detail ? ": " : "",
      detail ? detail : "");
  if (ok)
    passed++;
  else
    failed++;
}

/* Print the summary; the exit status for main. */
static int
check_summary (void)
{
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

#endif
