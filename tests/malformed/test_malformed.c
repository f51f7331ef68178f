/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_malformed: each regression file in tests/malformed (one per class of
 * loader bug, written by make_malformed.py) is refused with its status and a
 * message naming the cause.
 *
 *   test_malformed DIR
 *
 * Files are loaded by path on the "reference" device, so external data is
 * resolved against DIR.  Every *.onnx in DIR must have a row in the table
 * below and every row a file, so the two cannot drift apart.  The last line
 * is "N passed, M failed". */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "yolov7/yolov7.h"

typedef struct {
  const char *file;
  yv7_status status;
  const char *message;   /* must occur in the error message */
} expectation;

static const expectation expected[] = {
  /* tensor references */
  { "input-unknown-tensor.onnx", YV7_E_PARSE, "input 'nope' is not produced by any node" },
  { "input-empty-required.onnx", YV7_E_PARSE, "Sigmoid node 'sig': input 0 is required" },
  { "output-unknown-tensor.onnx", YV7_E_PARSE, "graph output 'z' is not produced" },
  { "gather-index-out-of-range.onnx", YV7_E_INVALID_ARG, "index 7 is out of range for axis 0 of size 4" },
  /* dims */
  { "dim-negative-initializer.onnx", YV7_E_PARSE, "tensor 'w' has a negative dim (-2)" },
  { "dim-negative-input.onnx", YV7_E_PARSE, "graph input 'x' has a negative dim (-5)" },
  { "dim-huge-initializer.onnx", YV7_E_PARSE, "raw_data holds 16 bytes but its shape needs 4398046511104" },
  { "dim-product-overflow-initializer.onnx", YV7_E_PARSE, "tensor 'w' has more elements than 64 bits can count" },
  { "dim-product-overflow-input.onnx", YV7_E_PARSE, "graph input 'x' has more elements than 64 bits can count" },
  /* data */
  { "raw-data-short.onnx", YV7_E_PARSE, "raw_data holds 12 bytes but its shape needs 16" },
  { "raw-data-long.onnx", YV7_E_PARSE, "raw_data holds 20 bytes but its shape needs 16" },
  { "external-data-dotdot.onnx", YV7_E_PARSE, "location '../weights.bin' must be a plain relative path" },
  { "external-data-absolute.onnx", YV7_E_PARSE, "location '/etc/passwd' must be a plain relative path" },
  /* protobuf wire format */
  { "varint-11-bytes.onnx", YV7_E_PARSE, "varint longer than 10 bytes at offset 1" },
  { "length-past-end.onnx", YV7_E_PARSE, "field 7 at offset 27 whose 155 bytes run past the end of the file" },
  { "nesting-too-deep.onnx", YV7_E_PARSE, "nests messages more than 32 deep" },
  /* graph structure */
  { "graph-cycle.onnx", YV7_E_PARSE, "input 'b' comes from node 'relu_b', which itself needs this node's output: the graph has a cycle" },
  { "graph-cycle-self.onnx", YV7_E_PARSE, "Relu node 'relu_self': input 'a' is its own output: the graph has a cycle" },
  { "input-before-produced.onnx", YV7_E_PARSE, "input 't' is produced by a later node 'sig_second'" },
  { "op-wrong-input-count.onnx", YV7_E_PARSE, "Conv node 'conv_one_input' has 1 inputs" },
};

#define N_EXPECTED (sizeof expected / sizeof expected[0])

static int n_pass, n_fail;

static void
report (bool ok, const char *file, const char *fmt, const char *a, const char *b)
{
  printf ("%s - %s: ", ok ? "ok  " : "FAIL", file);
  printf (fmt, a, b);
  printf ("\n");
  if (ok)
    n_pass++;
  else
    n_fail++;
}

static void
check_file (const char *dir, const expectation *x)
{
  char path[4096];
  yv7_options opt;
  yv7_error err = { 0 };
  yv7_engine *e;

  snprintf (path, sizeof path, "%s/%s", dir, x->file);
  yv7_options_init (&opt);
  opt.device = "reference";
  e = yv7_engine_load (path, &opt, &err);
  if (e) {
    report (false, x->file, "loaded; want %s%s", yv7_status_name (x->status), "");
    yv7_engine_free (e);
  } else if (err.code != x->status) {
    report (false, x->file, "status %s, want %s", yv7_status_name (err.code),
        yv7_status_name (x->status));
    printf ("       message: %s\n", err.message);
  } else if (!strstr (err.message, x->message)) {
    report (false, x->file, "message '%s' lacks '%s'", err.message, x->message);
  } else {
    report (true, x->file, "%s%s", err.message, "");
  }
}

/* Every *.onnx in dir has a row. */
static void
check_table_covers (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *ent;

  if (!d) {
    report (false, dir, "cannot open the folder%s%s", "", "");
    return;
  }
  while ((ent = readdir (d))) {
    size_t len = strlen (ent->d_name);
    bool listed = false;
    if (len < 5 || strcmp (ent->d_name + len - 5, ".onnx") != 0)
      continue;
    for (size_t i = 0; i < N_EXPECTED; i++)
      listed |= strcmp (expected[i].file, ent->d_name) == 0;
    if (!listed)
      report (false, ent->d_name, "has no row in the expectations table%s%s", "", "");
  }
  closedir (d);
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  for (size_t i = 0; i < N_EXPECTED; i++)
    check_file (argv[1], &expected[i]);
  check_table_covers (argv[1]);
  printf ("%d passed, %d failed\n", n_pass, n_fail);
  return n_fail ? 1 : 0;
}
