/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* yolov7-infer: run an ONNX model on a tensor stored as .npy and save each raw
 * graph output as .npy, or time the model on random input.
 *
 *   yolov7-infer --model M.onnx --input X.npy --outdir DIR [--device SPEC]
 *   yolov7-infer --model M.onnx --bench N [--device SPEC] [--size HxW] [--batch B]
 *                [--fp16-weights]
 *
 * Exit status: 0 on success, 1 on any failure, 2 on a usage error; every
 * failure is one line "yolov7-infer: <message>" on stderr. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "yolov7/yolov7.h"

#ifndef YV7_VERSION
#define YV7_VERSION "unknown"
#endif

#define PROG "yolov7-infer"
#define EXIT_USAGE 2

/* Bench runs are kept in memory for the median; this bounds that array. */
#define MAX_BENCH_RUNS 1000000
/* Two untimed runs absorb lazy kernel builds and first-touch allocations. */
#define N_WARMUP 2

typedef struct {
  const char *model;
  const char *input;
  const char *outdir;
  const char *device;
  long bench;              /* 0 when not benchmarking */
  int height, width;       /* --size; 0 = model default */
  int batch;               /* --batch; 0 = model default */
  bool fp16_weights;       /* --fp16-weights */
} cli_args;

/* A .npy file read into memory, its data converted to one of our types. */
typedef struct {
  char descr[16];
  int rank;
  int64_t dims[YV7_MAX_RANK];
  size_t numel;
  const uint8_t *raw;      /* little-endian elements inside file_buf */
  size_t item_size;
  uint8_t *file_buf;
} npy_array;

/* ---- messages ---- */

/* Print "yolov7-infer: <message>" as a single line, whatever the message holds
 * (engine messages or file names might carry newlines). */
static void
error_msg (const char *fmt, ...)
{
  char buf[2048];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  for (char *p = buf; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  fprintf (stderr, PROG ": %s\n", buf);
}

static const char *
engine_message (const yv7_error *err)
{
  return err->message[0] ? err->message : yv7_status_name (err->code);
}

static const char *
shape_str (int rank, const int64_t *dims, char *buf, size_t size)
{
  size_t len = 0;

  buf[0] = '\0';
  len += snprintf (buf + len, size - len, "[");
  for (int i = 0; i < rank && len < size; i++)
    len += snprintf (buf + len, size - len, i ? ",%lld" : "%lld",
        (long long) dims[i]);
  if (len < size)
    snprintf (buf + len, size - len, "]");
  return buf;
}

static const char *
dtype_str (yv7_dtype dt)
{
  const char *name = yv7_dtype_name (dt);
  return name ? name : "unknown";
}

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- little-endian access (the .npy byte order, whatever the host's) ---- */

static uint64_t
load_le (const uint8_t *p, size_t n)
{
  uint64_t v = 0;

  for (size_t i = 0; i < n; i++)
    v |= (uint64_t) p[i] << (8 * i);
  return v;
}

static void
store_le (uint8_t *p, uint64_t v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t) (v >> (8 * i));
}

static float
f32_from_bits (uint32_t u)
{
  float f;
  memcpy (&f, &u, sizeof f);
  return f;
}

static uint32_t
f32_bits (float f)
{
  uint32_t u;
  memcpy (&u, &f, sizeof u);
  return u;
}

static double
f64_from_bits (uint64_t u)
{
  double d;
  memcpy (&d, &u, sizeof d);
  return d;
}

static float
half_to_float (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;

  if (exp == 0x1f)
    return f32_from_bits (sign | 0x7f800000 | (mant << 13));
  if (exp == 0) {
    /* Subnormal halves are exact in float: mant * 2^-24. */
    float f = (float) mant * (1.0f / 16777216.0f);
    return sign ? -f : f;
  }
  return f32_from_bits (sign | ((exp + 112) << 23) | (mant << 13));
}

/* ---- files ---- */

static bool
read_whole_file (const char *path, uint8_t **out, size_t *out_size)
{
  FILE *f;
  struct stat st;
  uint8_t *buf = NULL;
  size_t size;

  f = fopen (path, "rb");
  if (f == NULL)
    goto open_failed;
  if (fstat (fileno (f), &st) != 0)
    goto read_failed;
  if (!S_ISREG (st.st_mode))
    goto not_regular;
  if ((uint64_t) st.st_size > SIZE_MAX - 1)
    goto too_big;
  size = (size_t) st.st_size;
  buf = malloc (size + 1);
  if (buf == NULL)
    goto no_memory;
  if (fread (buf, 1, size, f) != size)
    goto read_failed;
  fclose (f);
  *out = buf;
  *out_size = size;
  return true;

  /* ERRORS */
open_failed:
  error_msg ("cannot open '%s': %s", path, strerror (errno));
  return false;
not_regular:
  error_msg ("'%s' is not a regular file", path);
  fclose (f);
  return false;
too_big:
  error_msg ("'%s' is too big", path);
  fclose (f);
  return false;
no_memory:
  error_msg ("out of memory reading '%s'", path);
  fclose (f);
  return false;
read_failed:
  error_msg ("cannot read '%s': %s", path,
      ferror (f) ? strerror (errno) : "file changed while reading");
  free (buf);
  fclose (f);
  return false;
}

/* mkdir -p: create DIR and any missing parents. */
static bool
make_dirs (const char *dir)
{
  char *path = strdup (dir);
  struct stat st;

  if (path == NULL)
    goto no_memory;
  for (char *p = path + 1; ; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char saved = *p;
    *p = '\0';
    if (mkdir (path, 0777) != 0 && errno != EEXIST)
      goto mkdir_failed;
    *p = saved;
    if (saved == '\0')
      break;
  }
  if (stat (dir, &st) != 0 || !S_ISDIR (st.st_mode))
    goto not_dir;
  free (path);
  return true;

  /* ERRORS */
no_memory:
  error_msg ("out of memory");
  return false;
mkdir_failed:
  error_msg ("cannot create directory '%s': %s", path, strerror (errno));
  free (path);
  return false;
not_dir:
  error_msg ("'%s' is not a directory", dir);
  free (path);
  return false;
}

/* ---- .npy reading ---- */

typedef struct {
  const char *p, *end;
} cursor;

static void
skip_space (cursor *c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n'
          || *c->p == '\r'))
    c->p++;
}

static bool
eat (cursor *c, char ch)
{
  skip_space (c);
  if (c->p >= c->end || *c->p != ch)
    return false;
  c->p++;
  return true;
}

/* A Python string literal without escapes, as numpy writes them. */
static bool
parse_string (cursor *c, char *out, size_t size)
{
  char quote;
  size_t n = 0;

  skip_space (c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return false;
  quote = *c->p++;
  while (c->p < c->end && *c->p != quote) {
    if (*c->p == '\\' || n + 1 >= size)
      return false;
    out[n++] = *c->p++;
  }
  if (c->p >= c->end)
    return false;
  c->p++;
  out[n] = '\0';
  return true;
}

static bool
parse_word (cursor *c, const char *word)
{
  size_t n = strlen (word);

  skip_space (c);
  if ((size_t) (c->end - c->p) < n || memcmp (c->p, word, n) != 0)
    return false;
  c->p += n;
  return true;
}

static bool
parse_dim (cursor *c, int64_t *out)
{
  int64_t v = 0;
  const char *start;

  skip_space (c);
  start = c->p;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    int d = *c->p - '0';
    if (v > (INT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
    c->p++;
  }
  if (c->p == start)
    return false;
  /* Python 2 numpy wrote long dims as "3L". */
  if (c->p < c->end && *c->p == 'L')
    c->p++;
  *out = v;
  return true;
}

/* "()", "(5,)" or "(1, 3, 640, 640)" with an optional trailing comma. */
static bool
parse_shape (cursor *c, int *rank, int64_t *dims, bool *too_many)
{
  int n = 0;

  if (!eat (c, '('))
    return false;
  skip_space (c);
  if (eat (c, ')'))
    goto done;
  for (;;) {
    int64_t v;
    if (!parse_dim (c, &v))
      return false;
    if (n == YV7_MAX_RANK) {
      *too_many = true;
      return false;
    }
    dims[n++] = v;
    if (eat (c, ')'))
      break;
    if (!eat (c, ','))
      return false;
    if (eat (c, ')'))
      break;
  }
done:
  *rank = n;
  return true;
}

static bool
parse_npy_header (const char *path, const char *hdr, size_t len,
    npy_array *a)
{
  cursor c = { hdr, hdr + len };
  bool have_descr = false, have_order = false, have_shape = false;
  bool fortran = false, too_many = false;
  char key[32];

  if (!eat (&c, '{'))
    goto bad_header;
  while (!eat (&c, '}')) {
    if (!parse_string (&c, key, sizeof key) || !eat (&c, ':'))
      goto bad_header;
    if (strcmp (key, "descr") == 0) {
      if (!parse_string (&c, a->descr, sizeof a->descr))
        goto bad_header;
      have_descr = true;
    } else if (strcmp (key, "fortran_order") == 0) {
      if (parse_word (&c, "False"))
        fortran = false;
      else if (parse_word (&c, "True"))
        fortran = true;
      else
        goto bad_header;
      have_order = true;
    } else if (strcmp (key, "shape") == 0) {
      if (!parse_shape (&c, &a->rank, a->dims, &too_many))
        goto bad_shape;
      have_shape = true;
    } else {
      goto bad_key;
    }
    if (!eat (&c, ',')) {
      if (!eat (&c, '}'))
        goto bad_header;
      break;
    }
  }
  if (!have_descr || !have_order || !have_shape)
    goto missing_key;
  if (fortran)
    goto fortran_order;
  return true;

  /* ERRORS */
bad_header:
  error_msg ("%s: malformed .npy header", path);
  return false;
bad_shape:
  if (too_many)
    error_msg ("%s: shape has more than %d dimensions", path, YV7_MAX_RANK);
  else
    error_msg ("%s: malformed shape in .npy header", path);
  return false;
bad_key:
  error_msg ("%s: unexpected key '%s' in .npy header", path, key);
  return false;
missing_key:
  error_msg ("%s: .npy header lacks %s", path,
      !have_descr ? "'descr'" : !have_order ? "'fortran_order'" : "'shape'");
  return false;
fortran_order:
  error_msg ("%s: Fortran-ordered arrays are not supported; save a "
      "C-contiguous array (numpy.ascontiguousarray)", path);
  return false;
}

static bool
read_npy (const char *path, npy_array *a)
{
  static const uint8_t magic[6] = { 0x93, 'N', 'U', 'M', 'P', 'Y' };
  uint8_t *buf = NULL;
  size_t size, hdr_off, hdr_len, data_len;

  memset (a, 0, sizeof *a);
  if (!read_whole_file (path, &buf, &size))
    return false;
  if (size < 10 || memcmp (buf, magic, sizeof magic) != 0)
    goto not_npy;
  if (buf[6] == 1 && buf[7] == 0) {
    hdr_off = 10;
    hdr_len = load_le (buf + 8, 2);
  } else if (buf[6] == 2 && buf[7] == 0) {
    if (size < 12)
      goto truncated;
    hdr_off = 12;
    hdr_len = load_le (buf + 8, 4);
  } else {
    goto bad_version;
  }
  if (hdr_len > size - hdr_off)
    goto truncated;
  if (!parse_npy_header (path, (const char *) buf + hdr_off, hdr_len, a))
    goto fail;

  if (strcmp (a->descr, "<f4") == 0)
    a->item_size = 4;
  else if (strcmp (a->descr, "<f8") == 0 || strcmp (a->descr, "<i8") == 0)
    a->item_size = 8;
  else
    goto bad_descr;

  a->numel = 1;
  for (int i = 0; i < a->rank; i++) {
    if ((uint64_t) a->dims[i] > SIZE_MAX
        || (a->dims[i] && a->numel > SIZE_MAX / a->item_size / (size_t) a->dims[i]))
      goto too_big;
    a->numel *= (size_t) a->dims[i];
  }
  data_len = size - hdr_off - hdr_len;
  if (data_len != a->numel * a->item_size)
    goto bad_length;
  a->raw = buf + hdr_off + hdr_len;
  a->file_buf = buf;
  return true;

  /* ERRORS */
not_npy:
  error_msg ("%s: not a .npy file", path);
  goto fail;
bad_version:
  error_msg ("%s: unsupported .npy format version %u.%u (1.0 and 2.0 are read)",
      path, buf[6], buf[7]);
  goto fail;
truncated:
  error_msg ("%s: truncated .npy header", path);
  goto fail;
bad_descr:
  error_msg ("%s: unsupported dtype '%s' (expected '<f4', '<f8' or '<i8')",
      path, a->descr);
  goto fail;
too_big:
  error_msg ("%s: shape is too large", path);
  goto fail;
bad_length:
  {
    char s[128];
    error_msg ("%s: holds %zu data bytes but shape %s of '%s' needs %zu",
        path, data_len, shape_str (a->rank, a->dims, s, sizeof s), a->descr,
        a->numel * a->item_size);
  }
  goto fail;
fail:
  free (buf);
  memset (a, 0, sizeof *a);
  return false;
}

/* Convert the .npy elements into a tensor of type dt (data malloc'ed). */
static bool
npy_to_tensor (const char *path, const npy_array *a, yv7_dtype dt,
    const char *input_name, yv7_tensor *t)
{
  bool src_float = a->descr[1] == 'f';
  size_t out_size;
  uint8_t *out;

  if (dt == YV7_DT_FLOAT || dt == YV7_DT_DOUBLE)
    out_size = dt == YV7_DT_FLOAT ? 4 : 8;
  else if (dt == YV7_DT_INT64 && !src_float)
    out_size = 8;
  else
    goto bad_type;

  out = malloc (a->numel ? a->numel * out_size : 1);
  if (out == NULL)
    goto no_memory;
  for (size_t i = 0; i < a->numel; i++) {
    const uint8_t *src = a->raw + i * a->item_size;
    uint64_t bits = load_le (src, a->item_size);
    double v;

    if (dt == YV7_DT_INT64) {
      memcpy (out + i * 8, &bits, 8);
      continue;
    }
    if (a->item_size == 4)
      v = f32_from_bits ((uint32_t) bits);
    else if (src_float)
      v = f64_from_bits (bits);
    else
      v = (double) (int64_t) bits;
    if (dt == YV7_DT_FLOAT) {
      float f = (float) v;
      memcpy (out + i * 4, &f, 4);
    } else {
      memcpy (out + i * 8, &v, 8);
    }
  }

  memset (t, 0, sizeof *t);
  t->dtype = dt;
  t->rank = a->rank;
  memcpy (t->dims, a->dims, sizeof t->dims);
  t->data = out;
  return true;

  /* ERRORS */
bad_type:
  error_msg ("model input '%s' is %s; %s holds '%s'", input_name,
      dtype_str (dt), path, a->descr);
  return false;
no_memory:
  error_msg ("out of memory converting %s", path);
  return false;
}

/* ---- .npy writing ---- */

/* Read element i of an integer or bool tensor as int64. */
static int64_t
get_int (yv7_dtype dt, const void *data, size_t i)
{
  switch (dt) {
    case YV7_DT_UINT8: return ((const uint8_t *) data)[i];
    case YV7_DT_INT8: return ((const int8_t *) data)[i];
    case YV7_DT_UINT16: return ((const uint16_t *) data)[i];
    case YV7_DT_INT16: return ((const int16_t *) data)[i];
    case YV7_DT_INT32: return ((const int32_t *) data)[i];
    case YV7_DT_UINT32: return ((const uint32_t *) data)[i];
    case YV7_DT_INT64: return ((const int64_t *) data)[i];
    case YV7_DT_UINT64: return (int64_t) ((const uint64_t *) data)[i];
    case YV7_DT_BOOL: return ((const uint8_t *) data)[i] != 0;
    default: return 0;
  }
}

static bool
write_npy (const char *path, const char *name, const yv7_tensor *t)
{
  const char *descr;
  size_t out_size, numel = 1, hdr_len, pad;
  /* Room for 8 dims of 19 digits, with the padding to 64 bytes. */
  char hdr[512], shape[256];
  size_t slen = 0;
  uint8_t chunk[65536];
  FILE *f;

  switch (t->dtype) {
    case YV7_DT_FLOAT: case YV7_DT_FLOAT16: case YV7_DT_BFLOAT16:
      descr = "<f4";
      out_size = 4;
      break;
    case YV7_DT_DOUBLE:
      descr = "<f8";
      out_size = 8;
      break;
    case YV7_DT_UINT8: case YV7_DT_INT8: case YV7_DT_UINT16: case YV7_DT_INT16:
    case YV7_DT_INT32: case YV7_DT_UINT32: case YV7_DT_INT64:
    case YV7_DT_UINT64: case YV7_DT_BOOL:
      descr = "<i8";
      out_size = 8;
      break;
    default:
      goto bad_type;
  }
  if (t->rank < 0 || t->rank > YV7_MAX_RANK)
    goto bad_shape;
  for (int i = 0; i < t->rank; i++) {
    if (t->dims[i] < 0 || (uint64_t) t->dims[i] > SIZE_MAX
        || (t->dims[i] && numel > SIZE_MAX / out_size / (size_t) t->dims[i]))
      goto bad_shape;
    numel *= (size_t) t->dims[i];
  }
  if (numel && t->data == NULL)
    goto no_data;

  /* Python tuple syntax: "()", "(5,)", "(1, 3, 640, 640)". */
  slen += snprintf (shape + slen, sizeof shape - slen, "(");
  for (int i = 0; i < t->rank; i++)
    slen += snprintf (shape + slen, sizeof shape - slen, "%s%lld",
        i ? ", " : "", (long long) t->dims[i]);
  snprintf (shape + slen, sizeof shape - slen, t->rank == 1 ? ",)" : ")");
  hdr_len = snprintf (hdr, sizeof hdr,
      "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
  /* numpy pads so the data starts on a 64-byte boundary; the header ends
   * with '\n'.  Magic (6) + version (2) + length (2) precede it. */
  pad = 64 - (10 + hdr_len + 1) % 64;
  if (pad == 64)
    pad = 0;
  memset (hdr + hdr_len, ' ', pad);
  hdr_len += pad;
  hdr[hdr_len++] = '\n';

  f = fopen (path, "wb");
  if (f == NULL)
    goto open_failed;
  {
    uint8_t pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0 };
    store_le (pre + 8, hdr_len, 2);
    if (fwrite (pre, 1, sizeof pre, f) != sizeof pre
        || fwrite (hdr, 1, hdr_len, f) != hdr_len)
      goto write_failed;
  }
  for (size_t i = 0; i < numel; ) {
    size_t n = 0;
    for (; i < numel && n + out_size <= sizeof chunk; i++, n += out_size) {
      switch (t->dtype) {
        case YV7_DT_FLOAT:
          store_le (chunk + n, f32_bits (((const float *) t->data)[i]), 4);
          break;
        case YV7_DT_FLOAT16:
          store_le (chunk + n,
              f32_bits (half_to_float (((const uint16_t *) t->data)[i])), 4);
          break;
        case YV7_DT_BFLOAT16:
          store_le (chunk + n,
              (uint32_t) ((const uint16_t *) t->data)[i] << 16, 4);
          break;
        case YV7_DT_DOUBLE:
          {
            uint64_t u;
            memcpy (&u, (const double *) t->data + i, 8);
            store_le (chunk + n, u, 8);
          }
          break;
        default:
          store_le (chunk + n, (uint64_t) get_int (t->dtype, t->data, i), 8);
          break;
      }
    }
    if (fwrite (chunk, 1, n, f) != n)
      goto write_failed;
  }
  if (fclose (f) != 0) {
    f = NULL;
    goto write_failed;
  }
  return true;

  /* ERRORS */
bad_type:
  error_msg ("output '%s' has type %s, which cannot be saved as .npy", name,
      dtype_str (t->dtype));
  return false;
bad_shape:
  error_msg ("output '%s' has an invalid shape", name);
  return false;
no_data:
  error_msg ("output '%s' has no data", name);
  return false;
open_failed:
  error_msg ("cannot create '%s': %s", path, strerror (errno));
  return false;
write_failed:
  error_msg ("cannot write '%s': %s", path, strerror (errno));
  if (f != NULL)
    fclose (f);
  return false;
}

/* The output's file name: '/' and ':' would leave DIR or be odd on some
 * file systems, so they become '_'. */
static char *
output_file_name (const char *name, int index)
{
  char *s;

  if (name == NULL || name[0] == '\0') {
    s = malloc (32);
    if (s != NULL)
      snprintf (s, 32, "output%d", index);
    return s;
  }
  s = strdup (name);
  if (s == NULL)
    return NULL;
  for (char *p = s; *p; p++)
    if (*p == '/' || *p == ':')
      *p = '_';
  return s;
}

/* ---- modes ---- */

static yv7_engine *
load_engine (const char *model, const yv7_options *opt, double *load_ms)
{
  yv7_error err = { 0 };
  yv7_engine *engine;
  double t0 = now_ms ();

  engine = yv7_engine_load (model, opt, &err);
  if (engine == NULL)
    goto load_failed;
  if (load_ms)
    *load_ms = now_ms () - t0;
  if (yv7_engine_n_inputs (engine) != 1)
    goto not_one_input;
  return engine;

  /* ERRORS */
load_failed:
  error_msg ("cannot load model: %s", engine_message (&err));
  return NULL;
not_one_input:
  error_msg ("the model has %d inputs; yolov7-infer feeds exactly one",
      yv7_engine_n_inputs (engine));
  yv7_engine_free (engine);
  return NULL;
}

static int
run_infer (const cli_args *args)
{
  npy_array a;
  yv7_options opt;
  yv7_engine *engine = NULL;
  yv7_tensor info = { 0 }, in = { 0 };
  yv7_error err = { 0 };
  const char *in_name;
  char **names = NULL;
  char *path = NULL;
  char s1[160], s2[160];
  int n_out = 0, idx = 0, clash = 0, ret = 1;

  if (!read_npy (args->input, &a))
    return 1;

  yv7_options_init (&opt);
  opt.device = args->device;
  opt.fp16_weights = args->fp16_weights;
  /* Fill symbolic dims from the array; fixed dims are checked below. */
  if (a.rank == 4 && a.dims[0] > 0 && a.dims[0] <= INT_MAX
      && a.dims[2] > 0 && a.dims[2] <= INT_MAX
      && a.dims[3] > 0 && a.dims[3] <= INT_MAX) {
    opt.batch = (int) a.dims[0];
    opt.input_height = (int) a.dims[2];
    opt.input_width = (int) a.dims[3];
  }
  engine = load_engine (args->model, &opt, NULL);
  if (engine == NULL)
    goto out;

  in_name = yv7_engine_input_info (engine, 0, &info);
  if (in_name == NULL)
    in_name = "?";
  if (info.rank != a.rank)
    goto shape_mismatch;
  for (int i = 0; i < a.rank; i++)
    if (info.dims[i] >= 0 && info.dims[i] != a.dims[i])
      goto shape_mismatch;
  if (!npy_to_tensor (args->input, &a, info.dtype, in_name, &in))
    goto out;

  if (yv7_engine_run (engine, &in, 1, &err) != YV7_OK)
    goto run_failed;

  if (!make_dirs (args->outdir))
    goto out;
  n_out = yv7_engine_n_outputs (engine);
  names = calloc (n_out > 0 ? (size_t) n_out : 1, sizeof *names);
  if (names == NULL)
    goto no_memory;
  for (idx = 0; idx < n_out; idx++) {
    yv7_tensor t;
    const char *name = yv7_engine_output_info (engine, idx, &info);

    names[idx] = output_file_name (name, idx);
    if (names[idx] == NULL)
      goto no_memory;
    for (clash = 0; clash < idx; clash++)
      if (strcmp (names[clash], names[idx]) == 0)
        goto name_clash;
    if (yv7_engine_get_output (engine, idx, &t) != YV7_OK)
      goto no_output;
    free (path);
    path = malloc (strlen (args->outdir) + strlen (names[idx]) + 6);
    if (path == NULL)
      goto no_memory;
    sprintf (path, "%s/%s.npy", args->outdir, names[idx]);
    if (!write_npy (path, name ? name : names[idx], &t))
      goto out;
    printf ("%s %s %s\n", path, dtype_str (t.dtype),
        shape_str (t.rank, t.dims, s1, sizeof s1));
  }
  ret = 0;
  goto out;

  /* ERRORS */
shape_mismatch:
  error_msg ("model input '%s' is %s but %s has shape %s", in_name,
      shape_str (info.rank, info.dims, s1, sizeof s1), args->input,
      shape_str (a.rank, a.dims, s2, sizeof s2));
  goto out;
run_failed:
  error_msg ("inference failed: %s", engine_message (&err));
  goto out;
no_memory:
  error_msg ("out of memory");
  goto out;
name_clash:
  error_msg ("outputs %d and %d would both be saved as '%s.npy'", clash, idx,
      names[idx]);
  goto out;
no_output:
  error_msg ("cannot read output %d ('%s')", idx, names[idx]);
  goto out;
out:
  if (names != NULL) {
    for (int i = 0; i < n_out; i++)
      free (names[i]);   /* calloc'ed: unset ones are NULL */
    free (names);
  }
  free (path);
  free (in.data);
  yv7_engine_free (engine);
  free (a.file_buf);
  return ret;
}

static int
cmp_double (const void *pa, const void *pb)
{
  double a = *(const double *) pa, b = *(const double *) pb;
  return (a > b) - (a < b);
}

static int
run_bench (const cli_args *args)
{
  yv7_options opt;
  yv7_engine *engine;
  yv7_tensor info = { 0 }, in = { 0 };
  yv7_error err = { 0 };
  const char *in_name;
  double *times = NULL, load_ms, first_ms = 0, median;
  size_t numel = 1;
  uint64_t seed = 0x9e3779b97f4a7c15u;
  char s1[160];
  int ret = 1;

  yv7_options_init (&opt);
  opt.device = args->device;
  opt.fp16_weights = args->fp16_weights;
  if (args->batch)
    opt.batch = args->batch;
  if (args->height) {
    opt.input_height = args->height;
    opt.input_width = args->width;
  }
  engine = load_engine (args->model, &opt, &load_ms);
  if (engine == NULL)
    return 1;

  in_name = yv7_engine_input_info (engine, 0, &info);
  if (in_name == NULL)
    in_name = "?";
  shape_str (info.rank, info.dims, s1, sizeof s1);
  if (args->batch && (info.rank < 1 || info.dims[0] != args->batch))
    goto batch_fixed;
  if (args->height && (info.rank != 4 || info.dims[2] != args->height
          || info.dims[3] != args->width))
    goto size_fixed;
  if (info.dtype != YV7_DT_FLOAT)
    goto not_float;
  for (int i = 0; i < info.rank; i++) {
    if (info.dims[i] < 0)
      goto unknown_shape;
    if (info.dims[i] && numel > SIZE_MAX / sizeof (float) / (size_t) info.dims[i])
      goto no_memory;
    numel *= (size_t) info.dims[i];
  }

  in = info;
  in.capacity = 0;
  in.data = malloc (numel ? numel * sizeof (float) : 1);
  times = malloc ((size_t) args->bench * sizeof *times);
  if (in.data == NULL || times == NULL)
    goto no_memory;
  /* splitmix64: a fixed seed keeps the input the same from run to run. */
  for (size_t i = 0; i < numel; i++) {
    uint64_t z = (seed += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    ((float *) in.data)[i] = (float) (z >> 40) * (1.0f / 16777216.0f);
  }

  for (long i = -N_WARMUP; i < args->bench; i++) {
    double t0 = now_ms (), dt;
    if (yv7_engine_run (engine, &in, 1, &err) != YV7_OK)
      goto run_failed;
    dt = now_ms () - t0;
    if (i == -N_WARMUP) {
      first_ms = dt;
      size_t arena, consts, unplanned;
      yv7_engine_memory (engine, &arena, &consts, &unplanned);
      printf ("device: %s | input: %s %s %s | load_ms=%.3f first_ms=%.3f"
          " | device_mib: tensors=%.1f (unplanned %.1f) constants=%.1f\n",
          yv7_engine_device_name (engine), in_name, s1,
          dtype_str (info.dtype), load_ms, first_ms, arena / 1048576.0,
          unplanned / 1048576.0, consts / 1048576.0);
      fflush (stdout);
    }
    if (i >= 0)
      times[i] = dt;
  }
  printf ("times_ms=");
  for (long i = 0; i < args->bench; i++)
    printf ("%s%.3f", i ? "," : "", times[i]);
  printf ("\n");
  qsort (times, (size_t) args->bench, sizeof *times, cmp_double);
  median = args->bench % 2 ? times[args->bench / 2]
      : (times[args->bench / 2 - 1] + times[args->bench / 2]) / 2;
  printf ("median_ms=%.3f min_ms=%.3f\n", median, times[0]);
  ret = 0;
  goto out;

  /* ERRORS */
batch_fixed:
  error_msg ("--batch %d does not fit model input '%s' of shape %s",
      args->batch, in_name, s1);
  goto out;
size_fixed:
  error_msg ("--size %dx%d does not fit model input '%s' of shape %s",
      args->height, args->width, in_name, s1);
  goto out;
not_float:
  error_msg ("--bench needs a float input; model input '%s' is %s", in_name,
      dtype_str (info.dtype));
  goto out;
unknown_shape:
  error_msg ("model input '%s' has unresolved shape %s", in_name, s1);
  goto out;
no_memory:
  error_msg ("out of memory");
  goto out;
run_failed:
  error_msg ("inference failed: %s", engine_message (&err));
  goto out;
out:
  free (times);
  free (in.data);
  yv7_engine_free (engine);
  return ret;
}

/* ---- command line ---- */

enum {
  OPT_MODEL = 256, OPT_INPUT, OPT_OUTDIR, OPT_DEVICE, OPT_BENCH, OPT_SIZE,
  OPT_BATCH, OPT_FP16_WEIGHTS, OPT_VERSION
};

static const struct option long_options[] = {
  { "model", required_argument, NULL, OPT_MODEL },
  { "input", required_argument, NULL, OPT_INPUT },
  { "outdir", required_argument, NULL, OPT_OUTDIR },
  { "device", required_argument, NULL, OPT_DEVICE },
  { "bench", required_argument, NULL, OPT_BENCH },
  { "size", required_argument, NULL, OPT_SIZE },
  { "batch", required_argument, NULL, OPT_BATCH },
  { "fp16-weights", no_argument, NULL, OPT_FP16_WEIGHTS },
  { "help", no_argument, NULL, 'h' },
  { "version", no_argument, NULL, OPT_VERSION },
  { NULL, 0, NULL, 0 }
};

static void
print_help (void)
{
  printf (
      "Usage:\n"
      "  " PROG " --model M.onnx --input X.npy --outdir DIR [--device SPEC]\n"
      "                [--fp16-weights]\n"
      "  " PROG " --model M.onnx --bench N [--device SPEC] [--size HxW] [--batch B]\n"
      "                [--fp16-weights]\n"
      "\n"
      "Run an ONNX model on the OpenCL device and save every graph output as\n"
      "DIR/<output-name>.npy, or time N inferences on random input.\n"
      "\n"
      "  --model M.onnx   the model to load\n"
      "  --input X.npy    tensor for graph input 0 ('<f4', '<f8' or '<i8');\n"
      "                   a symbolic batch/height/width is taken from its shape\n"
      "  --outdir DIR     where the outputs go (created if missing)\n"
      "  --bench N        2 warm-up runs, then N timed runs; prints each run's\n"
      "                   time as 'times_ms=<float>,...', then a last line\n"
      "                   'median_ms=<float> min_ms=<float>'\n"
      "  --size HxW       input size for a model with symbolic spatial dims\n"
      "                   (bench only; default 640x640)\n"
      "  --batch B        batch for a model with a symbolic batch dim\n"
      "                   (bench only; default 1)\n"
      "  --device SPEC    'auto' (default), a platform or device name substring,\n"
      "                   'P:D' indices, or 'reference' (plain C, no OpenCL)\n"
      "  --fp16-weights   keep Conv weights on the device as fp16 (fp32 math)\n"
      "  -h, --help       show this help\n"
      "  --version        show the version\n"
      "\n"
      "Exit status: 0 on success, 1 on an error, 2 on a usage error.\n");
}

static const char *
option_name (int val)
{
  for (const struct option *o = long_options; o->name; o++)
    if (o->val == val)
      return o->name;
  return "?";
}

static bool
parse_int (const char *s, long max, long *out)
{
  char *end;
  long v;

  errno = 0;
  v = strtol (s, &end, 10);
  if (errno || end == s || *end != '\0' || v < 1 || v > max)
    return false;
  *out = v;
  return true;
}

/* Returns -1 to go on, else the exit status. */
static int
parse_args (int argc, char **argv, cli_args *args)
{
  bool help = false, version = false;
  const char *size = NULL, *bench = NULL, *batch = NULL;
  int c;

  memset (args, 0, sizeof *args);
  opterr = 0;   /* our own one-line messages instead of getopt's */
  while ((c = getopt_long (argc, argv, ":h", long_options, NULL)) != -1) {
    switch (c) {
      case OPT_MODEL: args->model = optarg; break;
      case OPT_INPUT: args->input = optarg; break;
      case OPT_OUTDIR: args->outdir = optarg; break;
      case OPT_DEVICE: args->device = optarg; break;
      case OPT_BENCH: bench = optarg; break;
      case OPT_SIZE: size = optarg; break;
      case OPT_BATCH: batch = optarg; break;
      case OPT_FP16_WEIGHTS: args->fp16_weights = true; break;
      case 'h': help = true; break;
      case OPT_VERSION: version = true; break;
      case ':':
        error_msg ("option '--%s' needs a value (see --help)",
            option_name (optopt));
        return EXIT_USAGE;
      default:
        if (strncmp (argv[optind - 1], "--", 2) == 0 && optopt != 0)
          error_msg ("option '--%s' takes no value (see --help)",
              option_name (optopt));
        else if (strncmp (argv[optind - 1], "--", 2) == 0 || optopt == 0)
          error_msg ("unknown option '%s' (see --help)", argv[optind - 1]);
        else
          error_msg ("unknown option '-%c' (see --help)", optopt);
        return EXIT_USAGE;
    }
  }
  if (help) {
    print_help ();
    return 0;
  }
  if (version) {
    printf (PROG " " YV7_VERSION "\n");
    return 0;
  }
  if (optind < argc)
    goto extra_arg;
  if (args->model == NULL)
    goto no_model;
  if (bench != NULL) {
    if (args->input || args->outdir)
      goto bench_and_input;
    if (!parse_int (bench, MAX_BENCH_RUNS, &args->bench))
      goto bad_bench;
  } else {
    if (args->input == NULL || args->outdir == NULL)
      goto no_mode;
    if (size || batch)
      goto bench_only;
  }
  if (size != NULL) {
    long h, w;
    const char *x = strchr (size, 'x');
    char hs[16];

    if (x == NULL || (size_t) (x - size) >= sizeof hs)
      goto bad_size;
    memcpy (hs, size, x - size);
    hs[x - size] = '\0';
    if (!parse_int (hs, INT_MAX, &h) || !parse_int (x + 1, INT_MAX, &w))
      goto bad_size;
    args->height = (int) h;
    args->width = (int) w;
  }
  if (batch != NULL) {
    long b;
    if (!parse_int (batch, INT_MAX, &b))
      goto bad_batch;
    args->batch = (int) b;
  }
  return -1;

  /* ERRORS */
extra_arg:
  error_msg ("unexpected argument '%s' (see --help)", argv[optind]);
  return EXIT_USAGE;
no_model:
  error_msg ("--model is required (see --help)");
  return EXIT_USAGE;
bench_and_input:
  error_msg ("--bench cannot be combined with --input or --outdir");
  return EXIT_USAGE;
bad_bench:
  error_msg ("--bench wants a run count from 1 to %d, got '%s'",
      MAX_BENCH_RUNS, bench);
  return EXIT_USAGE;
no_mode:
  error_msg ("give --input X.npy and --outdir DIR, or --bench N (see --help)");
  return EXIT_USAGE;
bench_only:
  error_msg ("--size and --batch apply to --bench; with --input they come "
      "from the array's shape");
  return EXIT_USAGE;
bad_size:
  error_msg ("--size wants HxW with positive integers, e.g. 640x640, got '%s'",
      size);
  return EXIT_USAGE;
bad_batch:
  error_msg ("--batch wants a positive integer, got '%s'", batch);
  return EXIT_USAGE;
}

int
main (int argc, char **argv)
{
  cli_args args;
  int ret = parse_args (argc, argv, &args);

  if (ret >= 0)
    return ret;
  return args.bench ? run_bench (&args) : run_infer (&args);
}
