/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_bad_input: malformed models and API misuse give their status code and
 * a clear message, never a crash.
 *
 *   test_bad_input [DEVICE [VALID_MODEL.onnx [N_CORRUPTIONS]]]
 *
 * DEVICE defaults to "auto".  Checks that need a real model are skipped when
 * VALID_MODEL is not given.  Each group of checks runs in a child process so
 * that a crash (or a sanitizer report) in one group is reported as a failure
 * of that group and the others still run; the parent never touches OpenCL,
 * which keeps fork() safe.  The last line is "N passed, M failed". */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "yolov7/yolov7.h"

#define DEFAULT_CORRUPTIONS 200
#define MAX_TRUNCATIONS 12
/* Inputs bigger than this are not run after a corrupted model loads. */
#define MAX_RUN_ELEMENTS (16 * 1024 * 1024)
/* protobuf-c recurses once per nested message, with no limit of its own;
 * this many levels overflow an 8 MiB stack (30000 already did in a trial). */
#define DEEP_NESTING_LEVELS 100000

static const char *device = "auto";
static const char *valid_model;
static int n_corruptions = DEFAULT_CORRUPTIONS;
static char tmp_dir[256];

/* Counts of the current process (a child reports them to the parent). */
static int n_pass, n_fail;
static int report_fd = -1;

/* Records sent from a group's child to the parent through a pipe. */
enum { REC_PROGRESS, REC_COUNTS };
typedef struct {
  int kind;
  int a, b, c;
} record;

/* ---- reporting ---- */

static void
vreport (bool ok, const char *what, const char *fmt, va_list ap)
{
  char detail[1024] = "";

  if (fmt != NULL)
    vsnprintf (detail, sizeof detail, fmt, ap);
  /* Keep one line per check whatever the engine's message holds. */
  for (char *p = detail; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  printf ("%s - %s%s%s\n", ok ? "ok  " : "FAIL", what, detail[0] ? ": " : "",
      detail);
  fflush (stdout);
  if (ok)
    n_pass++;
  else
    n_fail++;
}

static bool
check (bool ok, const char *what, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vreport (ok, what, fmt, ap);
  va_end (ap);
  return ok;
}

static void
skip (const char *what, const char *why)
{
  printf ("skip - %s: %s\n", what, why);
  fflush (stdout);
}

static void
send_record (int kind, int a, int b, int c)
{
  record r = { kind, a, b, c };

  if (report_fd >= 0 && write (report_fd, &r, sizeof r) != sizeof r)
    fprintf (stderr, "test_bad_input: cannot report to parent: %s\n",
        strerror (errno));
}

/* Does a failed call carry the expected status and a message? */
static bool
expect_error (const char *what, yv7_status got, const yv7_error *err,
    yv7_status want)
{
  bool ok = got == want && err->code == want && err->message[0] != '\0';

  if (ok)
    return check (true, what, "%s", err->message);
  return check (false, what, "got %s (message '%s'), want %s with a message",
      yv7_status_name (got), err->message, yv7_status_name (want));
}

/* Any failure will do, as long as it is reported with a message. */
static bool
expect_failure (const char *what, yv7_status got, const yv7_error *err)
{
  return check (got != YV7_OK && err->code == got && err->message[0] != '\0',
      what, "%s: %s", yv7_status_name (got), err->message);
}

static bool
expect_load_error (const char *what, yv7_engine *engine, const yv7_error *err,
    yv7_status want, const char *must_name, const char *must_name2)
{
  bool ok = engine == NULL && err->code == want && err->message[0] != '\0'
      && (must_name == NULL || strstr (err->message, must_name) != NULL)
      && (must_name2 == NULL || strstr (err->message, must_name2) != NULL);

  if (ok)
    check (true, what, "%s", err->message);
  else if (engine != NULL)
    check (false, what, "the model loaded; want %s", yv7_status_name (want));
  else
    check (false, what, "got %s (message '%s'), want %s with a message%s%s%s%s%s",
        yv7_status_name (err->code), err->message, yv7_status_name (want),
        must_name ? " naming '" : "", must_name ? must_name : "",
        must_name2 ? "' and '" : "", must_name2 ? must_name2 : "",
        must_name ? "'" : "");
  yv7_engine_free (engine);
  return ok;
}

static yv7_options
options (void)
{
  yv7_options opt;

  yv7_options_init (&opt);
  opt.device = device;
  return opt;
}

/* ---- files ---- */

static char *
tmp_path (const char *name)
{
  static char path[512];

  snprintf (path, sizeof path, "%s/%s", tmp_dir, name);
  return path;
}

static bool
write_file (const char *path, const void *data, size_t size)
{
  FILE *f = fopen (path, "wb");

  if (f == NULL)
    return false;
  if (size && fwrite (data, 1, size, f) != size) {
    fclose (f);
    return false;
  }
  return fclose (f) == 0;
}

static uint8_t *
read_file (const char *path, size_t *size)
{
  FILE *f = fopen (path, "rb");
  uint8_t *buf = NULL;
  long len;

  if (f == NULL)
    return NULL;
  if (fseek (f, 0, SEEK_END) != 0 || (len = ftell (f)) < 0
      || fseek (f, 0, SEEK_SET) != 0)
    goto out;
  buf = malloc ((size_t) len + 1);
  if (buf != NULL && fread (buf, 1, (size_t) len, f) != (size_t) len) {
    free (buf);
    buf = NULL;
  }
  *size = (size_t) len;
out:
  fclose (f);
  return buf;
}

/* ---- a small protobuf writer, for hand-built ONNX bytes ---- */

typedef struct {
  uint8_t *data;
  size_t len, cap;
} pbuf;

/* Field numbers from onnx.proto (checked against libonnx-dev 1.12). */
enum {
  MODEL_IR_VERSION = 1, MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8,
  OPSET_DOMAIN = 1, OPSET_VERSION = 2,
  GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11,
  GRAPH_OUTPUT = 12, GRAPH_VALUE_INFO = 13,
  NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4,
  NODE_ATTRIBUTE = 5,
  ATTR_NAME = 1, ATTR_T = 5, ATTR_G = 6, ATTR_TYPE = 20,
  VALUE_INFO_NAME = 1, VALUE_INFO_TYPE = 2,
  TYPE_TENSOR_TYPE = 1, TYPE_SEQUENCE_TYPE = 4,
  SEQUENCE_ELEM_TYPE = 1,
  TENSOR_TYPE_ELEM_TYPE = 1, TENSOR_TYPE_SHAPE = 2,
  SHAPE_DIM = 1,
  DIM_VALUE = 1, DIM_PARAM = 2,
};

enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };

static void
pb_raw (pbuf *b, const void *data, size_t n)
{
  if (b->len + n > b->cap) {
    size_t cap = (b->cap ? b->cap * 2 : 256) + n;
    uint8_t *d = realloc (b->data, cap);
    if (d == NULL) {
      fprintf (stderr, "test_bad_input: out of memory\n");
      exit (2);
    }
    b->data = d;
    b->cap = cap;
  }
  memcpy (b->data + b->len, data, n);
  b->len += n;
}

static void
pb_varint (pbuf *b, uint64_t v)
{
  uint8_t tmp[10];
  int n = 0;

  do {
    tmp[n++] = (uint8_t) ((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  pb_raw (b, tmp, n);
}

static void
pb_tag (pbuf *b, int field, int wire)
{
  pb_varint (b, (uint64_t) field << 3 | wire);
}

static void
pb_int (pbuf *b, int field, int64_t v)
{
  pb_tag (b, field, WIRE_VARINT);
  pb_varint (b, (uint64_t) v);
}

static void
pb_str (pbuf *b, int field, const char *s)
{
  pb_tag (b, field, WIRE_LEN);
  pb_varint (b, strlen (s));
  pb_raw (b, s, strlen (s));
}

/* Append sub as a length-delimited field and empty sub. */
static void
pb_msg (pbuf *b, int field, pbuf *sub)
{
  pb_tag (b, field, WIRE_LEN);
  pb_varint (b, sub->len);
  pb_raw (b, sub->data, sub->len);
  sub->len = 0;
}

static void
pb_free (pbuf *b)
{
  free (b->data);
  memset (b, 0, sizeof *b);
}

/* A float tensor ValueInfoProto; dims[i] < 0 gets a dim_param ("N", "H"...). */
static void
pb_value_info (pbuf *b, int field, const char *name, int rank,
    const int64_t *dims)
{
  static const char *params[] = { "N", "C", "H", "W" };
  pbuf vi = { 0 }, type = { 0 }, tt = { 0 }, shape = { 0 }, dim = { 0 };

  for (int i = 0; i < rank; i++) {
    if (dims[i] >= 0)
      pb_int (&dim, DIM_VALUE, dims[i]);
    else
      pb_str (&dim, DIM_PARAM, params[i % 4]);
    pb_msg (&shape, SHAPE_DIM, &dim);
  }
  pb_int (&tt, TENSOR_TYPE_ELEM_TYPE, YV7_DT_FLOAT);
  pb_msg (&tt, TENSOR_TYPE_SHAPE, &shape);
  pb_msg (&type, TYPE_TENSOR_TYPE, &tt);
  pb_str (&vi, VALUE_INFO_NAME, name);
  pb_msg (&vi, VALUE_INFO_TYPE, &type);
  pb_msg (b, field, &vi);
  pb_free (&vi);
  pb_free (&type);
  pb_free (&tt);
  pb_free (&shape);
  pb_free (&dim);
}

/* ModelProto{ir_version 8, opset_import {"" 13}, graph} */
static void
pb_model (pbuf *model, pbuf *graph)
{
  pbuf opset = { 0 };

  pb_int (model, MODEL_IR_VERSION, 8);
  pb_str (&opset, OPSET_DOMAIN, "");
  pb_int (&opset, OPSET_VERSION, 13);
  pb_msg (model, MODEL_OPSET_IMPORT, &opset);
  pb_msg (model, MODEL_GRAPH, graph);
  pb_free (&opset);
}

/* One-node model x -> op_type -> y, with x and y of shape dims. */
static void
build_one_node_model (pbuf *model, const char *op_type, const char *node_name,
    int rank, const int64_t *dims)
{
  pbuf graph = { 0 }, node = { 0 };

  pb_str (&node, NODE_INPUT, "x");
  pb_str (&node, NODE_OUTPUT, "y");
  pb_str (&node, NODE_NAME, node_name);
  pb_str (&node, NODE_OP_TYPE, op_type);
  pb_msg (&graph, GRAPH_NODE, &node);
  pb_str (&graph, GRAPH_NAME, "hand_built");
  pb_value_info (&graph, GRAPH_INPUT, "x", rank, dims);
  pb_value_info (&graph, GRAPH_OUTPUT, "y", rank, dims);
  pb_model (model, &graph);
  pb_free (&graph);
  pb_free (&node);
}

/* ---- a protobuf reader: where the structure bytes of a model lie ---- */

/* Message kinds of the ONNX schema we walk into. */
enum {
  K_NONE, K_MODEL, K_GRAPH, K_NODE, K_ATTR, K_TENSOR, K_VALUE_INFO, K_TYPE,
  K_TENSOR_TYPE, K_SHAPE, K_DIM, K_OPSET
};

static int
child_kind (int kind, int field)
{
  switch (kind) {
    case K_MODEL:
      return field == MODEL_GRAPH ? K_GRAPH
          : field == MODEL_OPSET_IMPORT ? K_OPSET : K_NONE;
    case K_GRAPH:
      return field == GRAPH_NODE ? K_NODE
          : field == GRAPH_INITIALIZER ? K_TENSOR
          : (field == GRAPH_INPUT || field == GRAPH_OUTPUT
              || field == GRAPH_VALUE_INFO) ? K_VALUE_INFO : K_NONE;
    case K_NODE:
      return field == NODE_ATTRIBUTE ? K_ATTR : K_NONE;
    case K_ATTR:
      return field == ATTR_T ? K_TENSOR : field == ATTR_G ? K_GRAPH : K_NONE;
    case K_VALUE_INFO:
      return field == VALUE_INFO_TYPE ? K_TYPE : K_NONE;
    case K_TYPE:
      return field == TYPE_TENSOR_TYPE ? K_TENSOR_TYPE : K_NONE;
    case K_TENSOR_TYPE:
      return field == TENSOR_TYPE_SHAPE ? K_SHAPE : K_NONE;
    case K_SHAPE:
      return field == SHAPE_DIM ? K_DIM : K_NONE;
    default:
      return K_NONE;
  }
}

typedef struct {
  size_t *off;
  size_t n, cap;
} offsets;

static void
add_offsets (offsets *o, size_t from, size_t to)
{
  for (size_t i = from; i < to; i++) {
    if (o->n == o->cap) {
      size_t cap = o->cap ? o->cap * 2 : 1024;
      size_t *p = realloc (o->off, cap * sizeof *p);
      if (p == NULL)
        return;
      o->off = p;
      o->cap = cap;
    }
    o->off[o->n++] = i;
  }
}

static bool
read_varint (const uint8_t *d, size_t end, size_t *pos, uint64_t *v)
{
  *v = 0;
  for (int shift = 0; shift < 64 && *pos < end; shift += 7) {
    uint8_t byte = d[(*pos)++];
    *v |= (uint64_t) (byte & 0x7f) << shift;
    if (!(byte & 0x80))
      return true;
  }
  return false;
}

/* Collect the offsets of tags, lengths and varint values, where a changed
 * byte changes the model's structure rather than a weight.  Top-level
 * length-delimited fields are also noted (for truncation points). */
static bool
walk_message (const uint8_t *d, size_t start, size_t end, int kind, int depth,
    offsets *structure, offsets *top_fields)
{
  size_t pos = start;

  if (depth > 32)
    return false;
  while (pos < end) {
    size_t tag_at = pos, value_at;
    uint64_t key, v;
    int field, wire;

    if (!read_varint (d, end, &pos, &key))
      return false;
    field = (int) (key >> 3);
    wire = (int) (key & 7);
    value_at = pos;
    switch (wire) {
      case WIRE_VARINT:
        if (!read_varint (d, end, &pos, &v))
          return false;
        add_offsets (structure, tag_at, pos);
        break;
      case WIRE_I64:
      case WIRE_I32:
        if (end - pos < (wire == WIRE_I64 ? 8u : 4u))
          return false;
        pos += wire == WIRE_I64 ? 8 : 4;
        add_offsets (structure, tag_at, value_at);
        break;
      case WIRE_LEN:
        if (!read_varint (d, end, &pos, &v) || v > end - pos)
          return false;
        add_offsets (structure, tag_at, pos);
        if (child_kind (kind, field) != K_NONE
            && !walk_message (d, pos, pos + v, child_kind (kind, field),
                depth + 1, structure, top_fields))
          return false;
        if (top_fields != NULL && v >= 2) {
          /* Record the middle of the field's payload. */
          add_offsets (top_fields, pos + v / 2, pos + v / 2 + 1);
        }
        pos += v;
        break;
      default:
        return false;
    }
  }
  return true;
}

/* ---- group: files ---- */

static void
check_truncation (const uint8_t *model, size_t size, size_t cut)
{
  yv7_options opt = options ();
  yv7_error err = { 0 };
  yv7_engine *e;
  char what[128];

  write_file (tmp_path ("truncated.onnx"), model, cut);
  e = yv7_engine_load (tmp_path ("truncated.onnx"), &opt, &err);
  snprintf (what, sizeof what,
      "model truncated to %zu of %zu bytes gives YV7_E_PARSE", cut, size);
  expect_load_error (what, e, &err, YV7_E_PARSE, NULL, NULL);
}

static void
group_files (void)
{
  yv7_options opt = options ();
  yv7_error err = { 0 };
  yv7_engine *e;
  const char *missing = "/nonexistent-yv7-dir/no-such-model.onnx";
  uint8_t *model;
  size_t size;
  offsets structure = { 0 }, cuts = { 0 };
  size_t step;
  bool walked;

  e = yv7_engine_load (missing, &opt, &err);
  expect_load_error ("missing file gives YV7_E_IO naming the path", e, &err,
      YV7_E_IO, missing, NULL);

  memset (&err, 0, sizeof err);
  e = yv7_engine_load (tmp_dir, &opt, &err);
  expect_load_error ("a directory as model gives YV7_E_IO", e, &err, YV7_E_IO,
      tmp_dir, NULL);

  write_file (tmp_path ("empty.onnx"), "", 0);
  memset (&err, 0, sizeof err);
  e = yv7_engine_load (tmp_path ("empty.onnx"), &opt, &err);
  expect_load_error ("empty file gives YV7_E_PARSE", e, &err, YV7_E_PARSE,
      NULL, NULL);

  write_file (tmp_path ("text.onnx"), "this is not a model\n", 20);
  memset (&err, 0, sizeof err);
  e = yv7_engine_load (tmp_path ("text.onnx"), &opt, &err);
  expect_load_error ("a text file gives YV7_E_PARSE", e, &err, YV7_E_PARSE,
      NULL, NULL);

  if (valid_model == NULL) {
    skip ("truncated copies of a valid model", "no model given");
    return;
  }
  model = read_file (valid_model, &size);
  if (!check (model != NULL && size > 16, "read the valid model", "%s",
          valid_model))
    return;
  walked = walk_message (model, 0, size, K_MODEL, 0, &structure, &cuts);
  if (!check (walked && cuts.n > 0, "the valid model walks as protobuf",
          "%zu structure bytes, %zu length-delimited fields", structure.n,
          cuts.n))
    goto out;
  /* A cut inside a length-delimited field leaves a field (at least the
   * top-level one holding it) that runs past the end of the file.  A dozen
   * cuts spread over the file are enough. */
  step = cuts.n / MAX_TRUNCATIONS + 1;
  for (size_t i = 0; i < cuts.n; i += step)
    check_truncation (model, size, cuts.off[i]);
  check_truncation (model, size, size - 1);
out:
  free (structure.off);
  free (cuts.off);
  free (model);
}

/* ---- group: malformed protobuf ---- */

static void
group_protobuf (void)
{
  /* any: the bytes parse as protobuf, so the engine may call the result
   * another kind of error, but it must fail with a message. */
  static const struct {
    const char *what;
    const char *bytes;
    size_t len;
    bool any;
  } cases[] = {
    { "varint longer than 10 bytes",
      "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12, false },
    { "varint cut by the end", "\x08\x80\x80", 3, false },
    { "tag without a value", "\x3a", 1, false },
    { "length pointing past the end", "\x3a\x7f\x0a\x00", 4, false },
    { "4 GiB length", "\x3a\xff\xff\xff\xff\x0f\x00", 7, false },
    { "graph sent as a varint (wrong wire type)", "\x38\x05", 2, false },
    { "ir_version sent length-delimited (wrong wire type)", "\x0a\x01\x00", 3, false },
    { "wire type 7", "\x0f\x00", 2, false },
    { "field number 0", "\x02\x00", 2, false },
    { "group wire type", "\x0b\x0c", 2, false },
    { "fixed32 cut by the end", "\x0d\x01\x02", 3, false },
    { "node sent as a varint inside the graph", "\x3a\x02\x08\x01", 4, false },
    { "node length past the end of the graph", "\x3a\x03\x0a\x09\x00", 5, false },
    { "model with no graph", "\x08\x08", 2, true },
    { "empty graph", "\x08\x08\x3a\x00", 4, true },
  };
  yv7_options opt = options ();
  yv7_error err;
  yv7_engine *e;
  pbuf good = { 0 };
  int64_t dims[4] = { 1, 3, 8, 8 };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char what[160];
    memset (&err, 0, sizeof err);
    e = yv7_engine_load_memory (cases[i].bytes, cases[i].len, &opt, &err);
    if (cases[i].any) {
      snprintf (what, sizeof what, "%s fails", cases[i].what);
      check (e == NULL && err.code != YV7_OK && err.message[0], what, "%s: %s",
          yv7_status_name (err.code), err.message);
      yv7_engine_free (e);
      continue;
    }
    snprintf (what, sizeof what, "%s gives YV7_E_PARSE", cases[i].what);
    expect_load_error (what, e, &err, YV7_E_PARSE, NULL, NULL);
  }

  memset (&err, 0, sizeof err);
  e = yv7_engine_load_memory ("", 0, &opt, &err);
  expect_load_error ("zero bytes in memory give YV7_E_PARSE", e, &err,
      YV7_E_PARSE, NULL, NULL);

  /* A good model with one nested length off: the node (the graph's first
   * field) claims one byte more than the rest of the graph holds. */
  build_one_node_model (&good, "Sigmoid", "sig", 4, dims);
  for (size_t i = 0; i + 1 < good.len; i++) {
    size_t p = i + 1;
    uint64_t len;
    if (good.data[i] == (MODEL_GRAPH << 3 | WIRE_LEN)
        && read_varint (good.data, good.len, &p, &len) && p + len == good.len
        && good.data[p] == (GRAPH_NODE << 3 | WIRE_LEN)
        && good.len - (p + 2) + 1 < 0x80) {
      good.data[p + 1] = (uint8_t) (good.len - (p + 2) + 1);
      break;
    }
  }
  memset (&err, 0, sizeof err);
  e = yv7_engine_load_memory (good.data, good.len, &opt, &err);
  expect_load_error ("node length one past its graph gives YV7_E_PARSE", e,
      &err, YV7_E_PARSE, NULL, NULL);
  pb_free (&good);
}

/* ---- group: deep nesting ---- */

static size_t
put_varint_before (uint8_t *buf, size_t pos, uint64_t v)
{
  uint8_t tmp[10];
  int n = 0;

  do {
    tmp[n++] = (uint8_t) ((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v);
  pos -= n;
  memcpy (buf + pos, tmp, n);
  return pos;
}

/* Model bytes whose graph nests messages DEEP_NESTING_LEVELS deep, written
 * back to front so each length is known when it is written; the model ends
 * at buf + cap.  Returns where it starts. */
static size_t
build_deep_model (uint8_t *buf, size_t cap, bool through_types)
{
  size_t end = cap, pos = cap;

  for (int level = 0; level < DEEP_NESTING_LEVELS; level += through_types ? 2 : 3) {
    if (through_types) {
      /* type { sequence_type { elem_type { sequence_type ... } } } */
      pos = put_varint_before (buf, pos, end - pos);
      buf[--pos] = SEQUENCE_ELEM_TYPE << 3 | WIRE_LEN;
      pos = put_varint_before (buf, pos, end - pos);
      buf[--pos] = TYPE_SEQUENCE_TYPE << 3 | WIRE_LEN;
    } else {
      /* graph { node { attribute { g { node { attribute { g ... } } } } } } */
      pos = put_varint_before (buf, pos, end - pos);
      buf[--pos] = ATTR_G << 3 | WIRE_LEN;
      pos = put_varint_before (buf, pos, end - pos);
      buf[--pos] = NODE_ATTRIBUTE << 3 | WIRE_LEN;
      pos = put_varint_before (buf, pos, end - pos);
      buf[--pos] = GRAPH_NODE << 3 | WIRE_LEN;
    }
  }
  if (through_types) {
    /* graph { input { name "x" type <the nest> } } */
    pos = put_varint_before (buf, pos, end - pos);
    buf[--pos] = VALUE_INFO_TYPE << 3 | WIRE_LEN;
    buf[--pos] = 'x';
    buf[--pos] = 1;
    buf[--pos] = VALUE_INFO_NAME << 3 | WIRE_LEN;
    pos = put_varint_before (buf, pos, end - pos);
    buf[--pos] = GRAPH_INPUT << 3 | WIRE_LEN;
  }
  pos = put_varint_before (buf, pos, end - pos);
  buf[--pos] = MODEL_GRAPH << 3 | WIRE_LEN;
  return pos;
}

static void
check_deep_nesting (bool through_types)
{
  /* A tag and at most a 3-byte length per level, and the wrapping. */
  size_t cap = (size_t) DEEP_NESTING_LEVELS * 4 + 64, pos;
  uint8_t *buf = malloc (cap);
  yv7_options opt = options ();
  yv7_error err = { 0 };
  yv7_engine *e;

  if (!check (buf != NULL, "deep nesting: allocate", NULL))
    return;
  pos = build_deep_model (buf, cap, through_types);
  e = yv7_engine_load_memory (buf + pos, cap - pos, &opt, &err);
  expect_load_error (through_types
      ? "sequence types nested 100000 deep give YV7_E_PARSE (no stack overflow)"
      : "subgraphs nested 100000 deep give YV7_E_PARSE (no stack overflow)",
      e, &err, YV7_E_PARSE, NULL, NULL);
  free (buf);
}

static void
group_deep_subgraphs (void)
{
  check_deep_nesting (false);
}

static void
group_deep_types (void)
{
  check_deep_nesting (true);
}

/* ---- group: unsupported op and hand-built models ---- */

static void
group_ops (void)
{
  yv7_options opt = options ();
  yv7_error err = { 0 };
  yv7_engine *e;
  pbuf model = { 0 };
  int64_t fixed[4] = { 1, 3, 8, 8 }, symbolic[4] = { -1, 3, -1, -1 };
  yv7_tensor info = { 0 }, in = { 0 }, out = { 0 };
  float x[1 * 3 * 8 * 8];

  /* Control: the same writer with a supported op must give a model that
   * loads, or the checks below would pass for the wrong reason. */
  build_one_node_model (&model, "Sigmoid", "sig_node", 4, fixed);
  e = yv7_engine_load_memory (model.data, model.len, &opt, &err);
  if (check (e != NULL, "hand-built Sigmoid model loads", "%s",
          e ? "" : err.message)) {
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
      x[i] = (float) i / 16.0f - 6.0f;
    in.dtype = YV7_DT_FLOAT;
    in.rank = 4;
    memcpy (in.dims, fixed, sizeof fixed);
    in.data = x;
    if (check (yv7_engine_run (e, &in, 1, &err) == YV7_OK,
            "hand-built Sigmoid model runs", "%s", err.message)
        && check (yv7_engine_get_output (e, 0, &out) == YV7_OK
            && out.dtype == YV7_DT_FLOAT && out.rank == 4
            && memcmp (out.dims, fixed, sizeof fixed) == 0 && out.data,
            "its output is float [1,3,8,8]", NULL)) {
      double worst = 0;
      for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) {
        double d = fabs (((float *) out.data)[i] - 1.0 / (1.0 + exp (-x[i])));
        worst = d > worst ? d : worst;
      }
      check (worst < 1e-5, "its output is sigmoid(x)", "max error %g", worst);
    }
  }
  yv7_engine_free (e);
  pb_free (&model);

  /* Symbolic dims take the option values. */
  build_one_node_model (&model, "Sigmoid", "sig_node", 4, symbolic);
  opt.batch = 2;
  opt.input_height = 8;
  opt.input_width = 16;
  memset (&err, 0, sizeof err);
  e = yv7_engine_load_memory (model.data, model.len, &opt, &err);
  if (check (e != NULL, "hand-built model with symbolic dims loads", "%s",
          e ? "" : err.message)) {
    const char *name = yv7_engine_input_info (e, 0, &info);
    check (name && strcmp (name, "x") == 0 && info.rank == 4
        && info.dims[0] == 2 && info.dims[1] == 3 && info.dims[2] == 8
        && info.dims[3] == 16, "its input is x [2,3,8,16] from the options",
        "rank %d [%lld,%lld,%lld,%lld]", info.rank, (long long) info.dims[0],
        (long long) info.dims[1], (long long) info.dims[2],
        (long long) info.dims[3]);
  }
  yv7_engine_free (e);

  opt = options ();
  opt.batch = -1;
  memset (&err, 0, sizeof err);
  e = yv7_engine_load_memory (model.data, model.len, &opt, &err);
  expect_load_error ("batch -1 gives YV7_E_INVALID_ARG", e, &err,
      YV7_E_INVALID_ARG, NULL, NULL);
  opt = options ();
  opt.input_height = -5;
  memset (&err, 0, sizeof err);
  e = yv7_engine_load_memory (model.data, model.len, &opt, &err);
  expect_load_error ("input_height -5 gives YV7_E_INVALID_ARG", e, &err,
      YV7_E_INVALID_ARG, NULL, NULL);
  opt = options ();
  opt.device = "no-such-device-yv7";
  memset (&err, 0, sizeof err);
  e = yv7_engine_load_memory (model.data, model.len, &opt, &err);
  expect_load_error ("device \"no-such-device-yv7\" gives YV7_E_NO_DEVICE", e,
      &err, YV7_E_NO_DEVICE, NULL, NULL);
  pb_free (&model);

  /* The unsupported op, through memory and through a file. */
  opt = options ();
  build_one_node_model (&model, "Foo", "foo_node_7", 4, fixed);
  memset (&err, 0, sizeof err);
  e = yv7_engine_load_memory (model.data, model.len, &opt, &err);
  expect_load_error ("op Foo gives YV7_E_UNSUPPORTED naming op and node", e,
      &err, YV7_E_UNSUPPORTED, "Foo", "foo_node_7");
  write_file (tmp_path ("foo.onnx"), model.data, model.len);
  memset (&err, 0, sizeof err);
  e = yv7_engine_load (tmp_path ("foo.onnx"), &opt, &err);
  expect_load_error ("op Foo from a file gives YV7_E_UNSUPPORTED", e, &err,
      YV7_E_UNSUPPORTED, "Foo", "foo_node_7");
  pb_free (&model);
}

/* ---- group: NULL and out-of-range arguments ---- */

static yv7_engine *
load_valid (const char *what)
{
  yv7_options opt = options ();
  yv7_error err = { 0 };
  yv7_engine *e = yv7_engine_load (valid_model, &opt, &err);

  check (e != NULL, what, "%s", e ? valid_model : err.message);
  return e;
}

static void
group_args (void)
{
  yv7_options opt = options ();
  yv7_error err = { 0 };
  yv7_tensor t = { 0 }, info = { 0 };
  yv7_detect_params params;
  yv7_frame frame = { 0 };
  const yv7_detection *dets = NULL;
  yv7_engine *e;
  int n = 0;

  e = yv7_engine_load (NULL, &opt, &err);
  expect_load_error ("load(NULL path) gives YV7_E_INVALID_ARG", e, &err,
      YV7_E_INVALID_ARG, NULL, NULL);
  memset (&err, 0, sizeof err);
  e = yv7_engine_load_memory (NULL, 16, &opt, &err);
  expect_load_error ("load_memory(NULL data) gives YV7_E_INVALID_ARG", e, &err,
      YV7_E_INVALID_ARG, NULL, NULL);
  e = yv7_engine_load ("/nonexistent-yv7-dir/x.onnx", &opt, NULL);
  check (e == NULL, "load with a NULL yv7_error fails quietly", NULL);
  yv7_engine_free (e);
  yv7_engine_free (NULL);
  check (true, "yv7_engine_free(NULL) is a no-op", NULL);

  memset (&err, 0, sizeof err);
  expect_error ("run(NULL engine) gives YV7_E_INVALID_ARG",
      yv7_engine_run (NULL, &t, 1, &err), &err, YV7_E_INVALID_ARG);
  check (yv7_engine_get_output (NULL, 0, &t) == YV7_E_INVALID_ARG,
      "get_output(NULL engine) gives YV7_E_INVALID_ARG", NULL);
  check (yv7_engine_input_info (NULL, 0, &info) == NULL
      && yv7_engine_output_info (NULL, 0, &info) == NULL,
      "input_info/output_info(NULL engine) give NULL", NULL);
  check (yv7_engine_n_inputs (NULL) <= 0 && yv7_engine_n_outputs (NULL) <= 0,
      "n_inputs/n_outputs(NULL) give no count", NULL);
  yv7_detect_params_init (&params);
  memset (&err, 0, sizeof err);
  expect_error ("submit(NULL engine) gives YV7_E_INVALID_ARG",
      yv7_engine_submit (NULL, &frame, 1, &params, &err), &err,
      YV7_E_INVALID_ARG);
  memset (&err, 0, sizeof err);
  expect_error ("collect(NULL engine) gives YV7_E_INVALID_ARG",
      yv7_engine_collect (NULL, &err), &err, YV7_E_INVALID_ARG);
  memset (&err, 0, sizeof err);
  expect_error ("detect(NULL engine) gives YV7_E_INVALID_ARG",
      yv7_engine_detect (NULL, &frame, &params, &dets, &n, &err), &err,
      YV7_E_INVALID_ARG);
  check (yv7_engine_detections (NULL, 0, &n) == NULL,
      "detections(NULL engine) gives NULL", NULL);
  check (yv7_status_name (YV7_E_PARSE) != NULL
      && yv7_status_name ((yv7_status) 9999) != NULL,
      "status_name covers unknown codes", NULL);

  if (valid_model == NULL) {
    skip ("NULL arguments with a loaded engine", "no model given");
    return;
  }
  e = load_valid ("the valid model loads");
  if (e == NULL)
    return;
  check (yv7_engine_get_output (e, 0, NULL) == YV7_E_INVALID_ARG,
      "get_output(NULL tensor) gives YV7_E_INVALID_ARG", NULL);
  check (yv7_engine_get_output (e, -1, &t) == YV7_E_INVALID_ARG
      && yv7_engine_get_output (e, yv7_engine_n_outputs (e), &t)
          == YV7_E_INVALID_ARG,
      "get_output(index out of range) gives YV7_E_INVALID_ARG", NULL);
  check (yv7_engine_get_output (e, 0, &t) == YV7_E_STATE,
      "get_output before any run gives YV7_E_STATE", NULL);
  check (yv7_engine_input_info (e, -1, &info) == NULL
      && yv7_engine_input_info (e, yv7_engine_n_inputs (e), &info) == NULL
      && yv7_engine_output_info (e, yv7_engine_n_outputs (e), &info) == NULL,
      "input_info/output_info(index out of range) give NULL", NULL);
  memset (&err, 0, sizeof err);
  expect_error ("run(NULL inputs) gives YV7_E_INVALID_ARG",
      yv7_engine_run (e, NULL, 1, &err), &err, YV7_E_INVALID_ARG);
  memset (&err, 0, sizeof err);
  expect_error ("submit(NULL frames) gives YV7_E_INVALID_ARG",
      yv7_engine_submit (e, NULL, 1, &params, &err), &err, YV7_E_INVALID_ARG);
  yv7_engine_free (e);
}

/* ---- group: yv7_engine_run with wrong tensors ---- */

static bool
make_input (yv7_engine *e, yv7_tensor *in)
{
  yv7_tensor info = { 0 };
  int64_t numel = 1;
  size_t elem;

  if (yv7_engine_n_inputs (e) != 1 || yv7_engine_input_info (e, 0, &info) == NULL)
    return false;
  elem = yv7_dtype_size (info.dtype);
  if (elem == 0 || info.rank < 0 || info.rank > YV7_MAX_RANK)
    return false;
  for (int i = 0; i < info.rank; i++) {
    if (info.dims[i] < 0 || (info.dims[i] && numel > MAX_RUN_ELEMENTS / info.dims[i]))
      return false;
    numel *= info.dims[i];
  }
  *in = info;
  in->capacity = 0;
  in->data = calloc ((size_t) numel + 1, elem);
  return in->data != NULL;
}

static void
group_run (void)
{
  yv7_engine *e;
  yv7_tensor in = { 0 }, bad, two[2], out = { 0 };
  yv7_error err = { 0 };
  float *first = NULL;
  size_t first_n = 0;

  if (valid_model == NULL) {
    skip ("wrong tensors to yv7_engine_run", "no model given");
    return;
  }
  e = load_valid ("the valid model loads");
  if (e == NULL)
    return;
  if (!check (make_input (e, &in), "the model has one input of known shape",
          NULL))
    goto out;
  if (!check (yv7_engine_run (e, &in, 1, &err) == YV7_OK,
          "a zero input runs", "%s", err.message))
    goto out;
  if (yv7_engine_get_output (e, 0, &out) == YV7_OK
      && out.dtype == YV7_DT_FLOAT && out.data) {
    first_n = 1;
    for (int i = 0; i < out.rank; i++)
      first_n *= (size_t) out.dims[i];
    first = malloc (first_n * sizeof (float) + 1);
    if (first)
      memcpy (first, out.data, first_n * sizeof (float));
  }

  bad = in;
  bad.rank = in.rank - 1;
  memset (&err, 0, sizeof err);
  expect_error ("input of rank one less gives YV7_E_SHAPE",
      yv7_engine_run (e, &bad, 1, &err), &err, YV7_E_SHAPE);
  if (in.rank >= 2) {
    bad = in;
    bad.dims[1] = in.dims[1] + 1;
    memset (&err, 0, sizeof err);
    expect_error ("input with one channel more gives YV7_E_SHAPE",
        yv7_engine_run (e, &bad, 1, &err), &err, YV7_E_SHAPE);
  }
  if (in.rank == 4) {
    bad = in;
    bad.dims[2] = in.dims[2] / 2;
    bad.dims[3] = in.dims[3] / 2;
    memset (&err, 0, sizeof err);
    expect_error ("input of half the size gives YV7_E_SHAPE",
        yv7_engine_run (e, &bad, 1, &err), &err, YV7_E_SHAPE);
  }
  bad = in;
  bad.dims[0] = -1;
  memset (&err, 0, sizeof err);
  expect_failure ("input with a negative dim fails",
      yv7_engine_run (e, &bad, 1, &err), &err);
  bad = in;
  bad.rank = YV7_MAX_RANK + 1;
  memset (&err, 0, sizeof err);
  expect_failure ("input of rank YV7_MAX_RANK + 1 fails",
      yv7_engine_run (e, &bad, 1, &err), &err);
  bad = in;
  bad.data = NULL;
  memset (&err, 0, sizeof err);
  expect_error ("input with NULL data gives YV7_E_INVALID_ARG",
      yv7_engine_run (e, &bad, 1, &err), &err, YV7_E_INVALID_ARG);
  bad = in;
  bad.dtype = in.dtype == YV7_DT_INT64 ? YV7_DT_FLOAT : YV7_DT_INT64;
  memset (&err, 0, sizeof err);
  expect_failure ("input of the wrong type fails",
      yv7_engine_run (e, &bad, 1, &err), &err);
  memset (&err, 0, sizeof err);
  expect_error ("zero inputs give YV7_E_INVALID_ARG",
      yv7_engine_run (e, &in, 0, &err), &err, YV7_E_INVALID_ARG);
  two[0] = two[1] = in;
  memset (&err, 0, sizeof err);
  expect_error ("two inputs to a one-input model give YV7_E_INVALID_ARG",
      yv7_engine_run (e, two, 2, &err), &err, YV7_E_INVALID_ARG);

  /* The failures must leave the engine usable and its results unchanged. */
  memset (&err, 0, sizeof err);
  if (check (yv7_engine_run (e, &in, 1, &err) == YV7_OK,
          "a good run after the failures succeeds", "%s", err.message)
      && first != NULL) {
    double worst = 0;
    if (yv7_engine_get_output (e, 0, &out) == YV7_OK && out.data) {
      for (size_t i = 0; i < first_n; i++) {
        double d = fabs (((float *) out.data)[i] - first[i])
            / (1.0 + fabs (first[i]));
        worst = d > worst || isnan (d) ? d : worst;
      }
    } else {
      worst = INFINITY;
    }
    check (worst <= 1e-4, "and gives the same output 0 as the first run",
        "max relative difference %g", worst);
  }
out:
  free (first);
  free (in.data);
  yv7_engine_free (e);
}

/* ---- group: submit / collect ---- */

static void
group_detect (void)
{
  yv7_engine *e;
  yv7_error err = { 0 };
  yv7_detect_params params;
  yv7_frame frames[2], bad;
  uint8_t *pixels = NULL;
  int h = 0, w = 0, batch;

  if (valid_model == NULL) {
    skip ("submit and collect", "no model given");
    return;
  }
  e = load_valid ("the valid model loads");
  if (e == NULL)
    return;
  yv7_detect_params_init (&params);
  yv7_engine_input_size (e, &h, &w);
  batch = yv7_engine_batch (e);
  if (!check (h > 0 && w > 0 && batch > 0, "input size and batch are known",
          "%dx%d batch %d", h, w, batch))
    goto out;
  pixels = calloc ((size_t) h * w, 3);
  if (pixels == NULL)
    goto out;
  memset (frames, 0, sizeof frames);
  frames[0].format = YV7_PIX_RGB;
  frames[0].width = w;
  frames[0].height = h;
  frames[0].planes[0] = pixels;
  frames[0].strides[0] = w * 3;
  frames[1] = frames[0];

  memset (&err, 0, sizeof err);
  expect_error ("collect with nothing submitted gives YV7_E_STATE",
      yv7_engine_collect (e, &err), &err, YV7_E_STATE);

  if (yv7_engine_form (e) == YV7_FORM_OTHER) {
    memset (&err, 0, sizeof err);
    expect_failure ("submit on a model of no detector form fails",
        yv7_engine_submit (e, frames, 1, &params, &err), &err);
    skip ("submit twice without collect", "the model is not a detector form");
    goto out;
  }

  bad = frames[0];
  bad.planes[0] = NULL;
  memset (&err, 0, sizeof err);
  expect_error ("a frame with a NULL plane gives YV7_E_INVALID_ARG",
      yv7_engine_submit (e, &bad, 1, &params, &err), &err, YV7_E_INVALID_ARG);
  bad = frames[0];
  bad.width = 0;
  memset (&err, 0, sizeof err);
  expect_error ("a frame of width 0 gives YV7_E_INVALID_ARG",
      yv7_engine_submit (e, &bad, 1, &params, &err), &err, YV7_E_INVALID_ARG);
  bad = frames[0];
  bad.strides[0] = w;   /* shorter than a row of RGB */
  memset (&err, 0, sizeof err);
  expect_error ("a stride shorter than a row gives YV7_E_INVALID_ARG",
      yv7_engine_submit (e, &bad, 1, &params, &err), &err, YV7_E_INVALID_ARG);
  memset (&err, 0, sizeof err);
  expect_error ("zero frames give YV7_E_INVALID_ARG",
      yv7_engine_submit (e, frames, 0, &params, &err), &err,
      YV7_E_INVALID_ARG);
  if (batch == 1) {
    memset (&err, 0, sizeof err);
    expect_error ("more frames than the batch give YV7_E_INVALID_ARG",
        yv7_engine_submit (e, frames, 2, &params, &err), &err,
        YV7_E_INVALID_ARG);
  }

  memset (&err, 0, sizeof err);
  if (!check (yv7_engine_submit (e, frames, 1, &params, &err) == YV7_OK,
          "submit succeeds", "%s", err.message))
    goto out;
  memset (&err, 0, sizeof err);
  expect_error ("a second submit without collect gives YV7_E_BUSY",
      yv7_engine_submit (e, frames, 1, &params, &err), &err, YV7_E_BUSY);
  memset (&err, 0, sizeof err);
  check (yv7_engine_collect (e, &err) == YV7_OK, "collect succeeds", "%s",
      err.message);
  memset (&err, 0, sizeof err);
  check (yv7_engine_submit (e, frames, 1, &params, &err) == YV7_OK
      && yv7_engine_collect (e, &err) == YV7_OK,
      "submit and collect work again after BUSY", "%s", err.message);
out:
  free (pixels);
  yv7_engine_free (e);
}

/* ---- group: corrupted copies of the valid model ---- */

static uint64_t
rng (uint64_t *s)
{
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Run a model that loaded from corrupted bytes on a zero input and read all
 * its outputs; any status is fine, only a crash or a silent failure is not. */
static bool
exercise (yv7_engine *e, int *ran)
{
  yv7_tensor in = { 0 }, out;
  yv7_error err = { 0 };
  yv7_status s;
  volatile uint8_t sink = 0;

  if (!make_input (e, &in))
    return true;
  s = yv7_engine_run (e, &in, 1, &err);
  free (in.data);
  if (s != YV7_OK)
    return err.code == s && err.message[0] != '\0';
  (*ran)++;
  for (int i = 0; i < yv7_engine_n_outputs (e); i++) {
    size_t n;
    if (yv7_engine_get_output (e, i, &out) != YV7_OK)
      return false;
    n = yv7_dtype_size (out.dtype);
    for (int d = 0; d < out.rank; d++) {
      if (out.dims[d] < 0)
        return false;
      n *= (size_t) out.dims[d];
    }
    if (n && out.data == NULL)
      return false;
    /* Touch every byte so a sanitizer sees a buffer smaller than its dims. */
    for (size_t b = 0; b < n; b++)
      sink ^= ((const uint8_t *) out.data)[b];
  }
  (void) sink;
  return true;
}

static void
group_corruption (void)
{
  static const uint8_t special[] = { 0x00, 0xff, 0x80, 0x7f, 0x01 };
  yv7_options opt = options ();
  uint8_t *model, *copy;
  size_t size;
  offsets structure = { 0 };
  uint64_t seed = 20240601;
  int loaded = 0, ran = 0, bad = 0, first_bad = -1;
  char first_bad_msg[256] = "";

  if (valid_model == NULL) {
    skip ("corrupted copies of a valid model", "no model given");
    return;
  }
  model = read_file (valid_model, &size);
  if (!check (model != NULL && size > 0, "read the valid model", "%s",
          valid_model))
    return;
  copy = malloc (size);
  walk_message (model, 0, size, K_MODEL, 0, &structure, NULL);
  if (copy == NULL || structure.n == 0) {
    check (false, "the valid model walks as protobuf", NULL);
    goto out;
  }
  for (int i = 0; i < n_corruptions; i++) {
    yv7_error err = { 0 };
    yv7_engine *e;
    size_t off;
    uint8_t value;

    /* Three in four hit a tag, length or varint byte; the rest any byte. */
    if (i % 4 != 3)
      off = structure.off[rng (&seed) % structure.n];
    else
      off = rng (&seed) % size;
    if (i % 2)
      value = special[rng (&seed) % sizeof special];
    else
      value = (uint8_t) rng (&seed);
    if (value == model[off])
      value ^= 0x01;
    memcpy (copy, model, size);
    copy[off] = value;
    /* Tell the parent what we try, so a crash names the variant. */
    send_record (REC_PROGRESS, i, (int) off, value);

    e = yv7_engine_load_memory (copy, size, &opt, &err);
    if (e == NULL) {
      if (err.code == YV7_OK || err.message[0] == '\0') {
        if (bad++ == 0) {
          first_bad = i;
          snprintf (first_bad_msg, sizeof first_bad_msg,
              "offset %zu := 0x%02x failed with %s and message '%.80s'", off,
              value, yv7_status_name (err.code), err.message);
        }
      }
      continue;
    }
    loaded++;
    if (!exercise (e, &ran) && bad++ == 0) {
      first_bad = i;
      snprintf (first_bad_msg, sizeof first_bad_msg,
          "offset %zu := 0x%02x loaded but run/get_output misbehaved", off,
          value);
    }
    yv7_engine_free (e);
  }
  check (bad == 0, "corrupted copies fail cleanly or run",
      "%d variants (%zu structure bytes), %d loaded, %d ran, %d bad%s%s",
      n_corruptions, structure.n, loaded, ran, bad, first_bad >= 0 ? "; first: " : "",
      first_bad_msg);
out:
  free (structure.off);
  free (copy);
  free (model);
}

/* ---- driver ---- */

static void
run_group (const char *name, void (*fn) (void))
{
  int fds[2], status;
  pid_t pid;
  record r, last = { -1, -1, -1, -1 };
  bool got_counts = false;

  printf ("# %s\n", name);
  fflush (stdout);
  fflush (stderr);
  if (pipe (fds) != 0 || (pid = fork ()) < 0) {
    check (false, name, "cannot start the group: %s", strerror (errno));
    return;
  }
  if (pid == 0) {
    close (fds[0]);
    report_fd = fds[1];
    n_pass = n_fail = 0;
    fn ();
    send_record (REC_COUNTS, n_pass, n_fail, 0);
    close (report_fd);
    /* exit(), not _exit(): LeakSanitizer checks at exit. */
    exit (0);
  }
  close (fds[1]);
  while (read (fds[0], &r, sizeof r) == sizeof r) {
    if (r.kind == REC_COUNTS) {
      n_pass += r.a;
      n_fail += r.b;
      got_counts = true;
    } else {
      last = r;
    }
  }
  close (fds[0]);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!got_counts) {
    char where[96] = "";
    if (last.kind == REC_PROGRESS)
      snprintf (where, sizeof where, " during variant %d (offset %d := 0x%02x)",
          last.a, last.b, last.c);
    check (false, name, "the group crashed (%s %d)%s",
        WIFSIGNALED (status) ? "signal" : "exit status",
        WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status), where);
  } else if (WIFSIGNALED (status) || WEXITSTATUS (status) != 0) {
    /* The checks ran; a sanitizer (LeakSanitizer at exit) failed the child. */
    check (false, name, "the checks ran but the process then failed (%s %d; "
        "see the sanitizer report above)",
        WIFSIGNALED (status) ? "signal" : "exit status",
        WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status));
  }
}

static void
remove_tmp (void)
{
  static const char *names[] = { "empty.onnx", "text.onnx", "truncated.onnx",
    "foo.onnx" };

  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    unlink (tmp_path (names[i]));
  rmdir (tmp_dir);
}

int
main (int argc, char **argv)
{
  const char *tmp = getenv ("TMPDIR");

  if (argc > 1 && argv[1][0])
    device = argv[1];
  if (argc > 2 && argv[2][0])
    valid_model = argv[2];
  if (argc > 3)
    n_corruptions = atoi (argv[3]);
  if (argc > 4 || n_corruptions < 0) {
    fprintf (stderr, "usage: %s [DEVICE [VALID_MODEL.onnx [N_CORRUPTIONS]]]\n",
        argv[0]);
    return 2;
  }
  snprintf (tmp_dir, sizeof tmp_dir, "%s/yv7-bad-input-XXXXXX",
      tmp && tmp[0] ? tmp : "/tmp");
  if (mkdtemp (tmp_dir) == NULL) {
    fprintf (stderr, "test_bad_input: mkdtemp %s: %s\n", tmp_dir,
        strerror (errno));
    return 1;
  }
  printf ("# device %s, model %s\n", device, valid_model ? valid_model : "(none)");

  run_group ("files", group_files);
  run_group ("malformed protobuf", group_protobuf);
  run_group ("deeply nested subgraphs", group_deep_subgraphs);
  run_group ("deeply nested types", group_deep_types);
  run_group ("ops and options", group_ops);
  run_group ("NULL arguments", group_args);
  run_group ("wrong tensors", group_run);
  run_group ("submit and collect", group_detect);
  run_group ("corruption", group_corruption);

  remove_tmp ();
  printf ("%d passed, %d failed\n", n_pass, n_fail);
  return n_fail ? 1 : 0;
}
