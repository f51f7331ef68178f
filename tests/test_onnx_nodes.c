/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_onnx_nodes.c: ONNX node conformance for every op the engine runs.
 *
 * Usage: test-onnx-nodes [DEVICE [NODE-DATA-DIR]]
 *
 * Every directory test_<op>* of the ONNX backend node tests (Debian's
 * libonnx-testdata) for an op in ops[] is loaded through the public API on
 * DEVICE ("reference", "auto", ...), fed each test_data_set_N/input_K.pb and
 * its outputs compared with output_K.pb: types and shapes exactly, integers
 * exactly, floats within a per-op bound.  Cases in out_of_scope[] must fail
 * the load with YV7_E_UNSUPPORTED (a clean refusal, not a skip).  Prints one
 * line per case and ends with "N passed, M failed"; exit 1 on any failure,
 * 77 (skipped) when the data or the device is missing. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "yolov7/yolov7.h"
#include "onnx_loader.h"
#include "tensor.h"

#define DEFAULT_DATA_DIR "/usr/share/libonnx-testdata/data/node"
#define MAX_IO 16

/* Directory prefixes (after "test_") of the ops the engine runs, with the
 * float bound |got - want| <= atol + rtol * |want| for each. */
static const struct {
  const char *prefix;
  double atol, rtol;
} ops[] = {
  { "add", 1e-5, 1e-5 },
  { "argmax", 0, 0 },
  { "batchnorm", 1e-4, 1e-4 },
  { "cast", 0, 0 },
  { "concat", 0, 0 },
  { "conv", 1e-4, 1e-4 },
  { "div", 1e-5, 1e-5 },
  { "flatten", 0, 0 },
  { "gather", 0, 0 },
  { "identity", 0, 0 },
  { "leakyrelu", 1e-6, 1e-5 },
  { "matmul", 1e-4, 1e-4 },
  { "maxpool", 0, 0 },
  { "mul", 1e-5, 1e-5 },
  { "nonmaxsuppression", 0, 0 },
  { "pow", 1e-5, 1e-5 },
  { "reduce_max", 0, 0 },
  { "relu", 0, 0 },
  { "reshape", 0, 0 },
  { "resize", 0, 0 },
  { "shape", 0, 0 },
  { "sigmoid", 1e-6, 1e-5 },
  { "slice", 0, 0 },
  { "split", 0, 0 },
  { "squeeze", 0, 0 },
  { "sub", 1e-5, 1e-5 },
  { "transpose", 0, 0 },
  { "unsqueeze", 0, 0 },
};

/* Cases under those prefixes that the engine refuses at load, and why. */
typedef struct {
  const char *name;
  const char *why;
} scope_case;

static const scope_case out_of_scope[] = {
  { "test_batchnorm_epsilon_training_mode", "training-mode BatchNormalization" },
  { "test_batchnorm_example_training_mode", "training-mode BatchNormalization" },
  { "test_cast_BFLOAT16_to_FLOAT", "bfloat16 is not a supported data type" },
  { "test_cast_DOUBLE_to_FLOAT16", "float16 is not a supported data type" },
  { "test_cast_FLOAT16_to_DOUBLE", "float16 is not a supported data type" },
  { "test_cast_FLOAT16_to_FLOAT", "float16 is not a supported data type" },
  { "test_cast_FLOAT_to_BFLOAT16", "bfloat16 is not a supported data type" },
  { "test_cast_FLOAT_to_FLOAT16", "float16 is not a supported data type" },
  { "test_cast_FLOAT_to_STRING", "string is not a supported data type" },
  { "test_cast_STRING_to_FLOAT", "string is not a supported data type" },
  { "test_castlike_BFLOAT16_to_FLOAT", "CastLike is not an engine op" },
  { "test_castlike_BFLOAT16_to_FLOAT_expanded", "bfloat16 is not a supported data type" },
  { "test_castlike_DOUBLE_to_FLOAT", "CastLike is not an engine op" },
  { "test_castlike_DOUBLE_to_FLOAT16", "CastLike is not an engine op" },
  { "test_castlike_DOUBLE_to_FLOAT16_expanded", "float16 is not a supported data type" },
  { "test_castlike_FLOAT16_to_DOUBLE", "CastLike is not an engine op" },
  { "test_castlike_FLOAT16_to_DOUBLE_expanded", "float16 is not a supported data type" },
  { "test_castlike_FLOAT16_to_FLOAT", "CastLike is not an engine op" },
  { "test_castlike_FLOAT16_to_FLOAT_expanded", "float16 is not a supported data type" },
  { "test_castlike_FLOAT_to_BFLOAT16", "CastLike is not an engine op" },
  { "test_castlike_FLOAT_to_BFLOAT16_expanded", "bfloat16 is not a supported data type" },
  { "test_castlike_FLOAT_to_DOUBLE", "CastLike is not an engine op" },
  { "test_castlike_FLOAT_to_FLOAT16", "CastLike is not an engine op" },
  { "test_castlike_FLOAT_to_FLOAT16_expanded", "float16 is not a supported data type" },
  { "test_castlike_FLOAT_to_STRING", "CastLike is not an engine op" },
  { "test_castlike_FLOAT_to_STRING_expanded", "string is not a supported data type" },
  { "test_castlike_STRING_to_FLOAT", "CastLike is not an engine op" },
  { "test_castlike_STRING_to_FLOAT_expanded", "string is not a supported data type" },
  { "test_convinteger_with_padding", "ConvInteger is not an engine op" },
  { "test_convinteger_without_padding", "ConvInteger is not an engine op" },
  { "test_convtranspose", "ConvTranspose is not an engine op" },
  { "test_convtranspose_1d", "ConvTranspose is not an engine op" },
  { "test_convtranspose_3d", "ConvTranspose is not an engine op" },
  { "test_convtranspose_autopad_same", "ConvTranspose is not an engine op" },
  { "test_convtranspose_dilations", "ConvTranspose is not an engine op" },
  { "test_convtranspose_kernel_shape", "ConvTranspose is not an engine op" },
  { "test_convtranspose_output_shape", "ConvTranspose is not an engine op" },
  { "test_convtranspose_pad", "ConvTranspose is not an engine op" },
  { "test_convtranspose_pads", "ConvTranspose is not an engine op" },
  { "test_gather_elements_0", "GatherElements is not an engine op" },
  { "test_gather_elements_1", "GatherElements is not an engine op" },
  { "test_gather_elements_negative_indices", "GatherElements is not an engine op" },
  { "test_gathernd_example_float32", "GatherND is not an engine op" },
  { "test_gathernd_example_int32", "GatherND is not an engine op" },
  { "test_gathernd_example_int32_batch_dim1", "GatherND is not an engine op" },
  { "test_identity_opt", "optional-typed inputs are not supported" },
  { "test_identity_sequence", "sequence-typed inputs are not supported" },
  { "test_matmulinteger", "MatMulInteger is not an engine op" },
  { "test_maxpool_with_argmax_2d_precomputed_pads", "MaxPool's Indices output" },
  { "test_maxpool_with_argmax_2d_precomputed_strides", "MaxPool's Indices output" },
  { "test_resize_downsample_scales_cubic", "Resize mode cubic" },
  { "test_resize_downsample_scales_cubic_A_n0p5_exclude_outside", "Resize mode cubic" },
  { "test_resize_downsample_scales_cubic_align_corners", "Resize mode cubic" },
  { "test_resize_downsample_scales_linear", "Resize mode linear" },
  { "test_resize_downsample_scales_linear_align_corners", "Resize mode linear" },
  { "test_resize_downsample_sizes_cubic", "Resize mode cubic" },
  { "test_resize_downsample_sizes_linear_pytorch_half_pixel", "Resize mode linear" },
  { "test_resize_tf_crop_and_resize", "Resize mode linear" },
  { "test_resize_upsample_scales_cubic", "Resize mode cubic" },
  { "test_resize_upsample_scales_cubic_A_n0p5_exclude_outside", "Resize mode cubic" },
  { "test_resize_upsample_scales_cubic_align_corners", "Resize mode cubic" },
  { "test_resize_upsample_scales_cubic_asymmetric", "Resize mode cubic" },
  { "test_resize_upsample_scales_linear", "Resize mode linear" },
  { "test_resize_upsample_scales_linear_align_corners", "Resize mode linear" },
  { "test_resize_upsample_sizes_cubic", "Resize mode cubic" },
};

/* The same for cases that only some versions of libonnx-testdata have:
 * 1.12 (Debian 12) or 1.17 (Debian 13, float8 and int4 casts, antialiased
 * and axes-limited Resize, expanded functions written with CastLike). */
static const scope_case out_of_scope_some_versions[] = {
  { "test_cast_FLOAT16_to_FLOAT8E4M3FN", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT16_to_FLOAT8E4M3FNUZ", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT16_to_FLOAT8E5M2", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT16_to_FLOAT8E5M2FNUZ", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT16_to_INT4", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT16_to_UINT4", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT8E4M3FNUZ_to_FLOAT", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT8E4M3FNUZ_to_FLOAT16", "float16 is not a supported data type" },
  { "test_cast_FLOAT8E4M3FN_to_FLOAT", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT8E4M3FN_to_FLOAT16", "float16 is not a supported data type" },
  { "test_cast_FLOAT8E5M2FNUZ_to_FLOAT", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT8E5M2FNUZ_to_FLOAT16", "float16 is not a supported data type" },
  { "test_cast_FLOAT8E5M2_to_FLOAT", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT8E5M2_to_FLOAT16", "float16 is not a supported data type" },
  { "test_cast_FLOAT_to_FLOAT8E4M3FN", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT_to_FLOAT8E4M3FNUZ", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT_to_FLOAT8E5M2", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT_to_FLOAT8E5M2FNUZ", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT_to_INT4", "float8 and int4 are not supported data types" },
  { "test_cast_FLOAT_to_UINT4", "float8 and int4 are not supported data types" },
  { "test_cast_INT4_to_FLOAT", "float8 and int4 are not supported data types" },
  { "test_cast_INT4_to_FLOAT16", "float16 is not a supported data type" },
  { "test_cast_INT4_to_INT8", "float8 and int4 are not supported data types" },
  { "test_cast_UINT4_to_FLOAT", "float8 and int4 are not supported data types" },
  { "test_cast_UINT4_to_FLOAT16", "float16 is not a supported data type" },
  { "test_cast_UINT4_to_UINT8", "float8 and int4 are not supported data types" },
  { "test_cast_no_saturate_FLOAT16_to_FLOAT8E4M3FN", "float8 casts (attribute saturate)" },
  { "test_cast_no_saturate_FLOAT16_to_FLOAT8E4M3FNUZ", "float8 casts (attribute saturate)" },
  { "test_cast_no_saturate_FLOAT16_to_FLOAT8E5M2", "float8 casts (attribute saturate)" },
  { "test_cast_no_saturate_FLOAT16_to_FLOAT8E5M2FNUZ", "float8 casts (attribute saturate)" },
  { "test_cast_no_saturate_FLOAT_to_FLOAT8E4M3FN", "float8 casts (attribute saturate)" },
  { "test_cast_no_saturate_FLOAT_to_FLOAT8E4M3FNUZ", "float8 casts (attribute saturate)" },
  { "test_cast_no_saturate_FLOAT_to_FLOAT8E5M2", "float8 casts (attribute saturate)" },
  { "test_cast_no_saturate_FLOAT_to_FLOAT8E5M2FNUZ", "float8 casts (attribute saturate)" },
  { "test_castlike_DOUBLE_to_FLOAT_expanded", "float8 casts (attribute saturate)" },
  { "test_castlike_FLOAT8E4M3FNUZ_to_FLOAT", "CastLike is not an engine op" },
  { "test_castlike_FLOAT8E4M3FNUZ_to_FLOAT_expanded", "float8 casts (attribute saturate)" },
  { "test_castlike_FLOAT8E4M3FN_to_FLOAT", "CastLike is not an engine op" },
  { "test_castlike_FLOAT8E4M3FN_to_FLOAT_expanded", "float8 casts (attribute saturate)" },
  { "test_castlike_FLOAT8E5M2FNUZ_to_FLOAT", "CastLike is not an engine op" },
  { "test_castlike_FLOAT8E5M2FNUZ_to_FLOAT_expanded", "float8 casts (attribute saturate)" },
  { "test_castlike_FLOAT8E5M2_to_FLOAT", "CastLike is not an engine op" },
  { "test_castlike_FLOAT8E5M2_to_FLOAT_expanded", "float8 casts (attribute saturate)" },
  { "test_castlike_FLOAT_to_DOUBLE_expanded", "float8 casts (attribute saturate)" },
  { "test_castlike_FLOAT_to_FLOAT8E4M3FN", "CastLike is not an engine op" },
  { "test_castlike_FLOAT_to_FLOAT8E4M3FNUZ", "CastLike is not an engine op" },
  { "test_castlike_FLOAT_to_FLOAT8E4M3FNUZ_expanded", "float8 casts (attribute saturate)" },
  { "test_castlike_FLOAT_to_FLOAT8E4M3FN_expanded", "float8 casts (attribute saturate)" },
  { "test_castlike_FLOAT_to_FLOAT8E5M2", "CastLike is not an engine op" },
  { "test_castlike_FLOAT_to_FLOAT8E5M2FNUZ", "CastLike is not an engine op" },
  { "test_castlike_FLOAT_to_FLOAT8E5M2FNUZ_expanded", "float8 casts (attribute saturate)" },
  { "test_castlike_FLOAT_to_FLOAT8E5M2_expanded", "float8 casts (attribute saturate)" },
  { "test_convtranspose_group_2", "ConvTranspose is not an engine op" },
  { "test_convtranspose_group_2_image_3", "ConvTranspose is not an engine op" },
  { "test_convtranspose_with_kernel", "ConvTranspose is not an engine op" },
  { "test_leakyrelu_default_expanded", "CastLike is not an engine op" },
  { "test_leakyrelu_example_expanded", "CastLike is not an engine op" },
  { "test_leakyrelu_expanded", "CastLike is not an engine op" },
  { "test_reduce_max_bool_inputs", "boolean ReduceMax" },
  { "test_relu_expanded_ver18", "CastLike is not an engine op" },
  { "test_resize_downsample_scales_cubic_antialias", "Resize mode cubic" },
  { "test_resize_downsample_scales_linear_antialias", "Resize mode linear" },
  { "test_resize_downsample_scales_linear_half_pixel_symmetric", "Resize mode linear" },
  { "test_resize_downsample_sizes_cubic_antialias", "Resize mode cubic" },
  { "test_resize_downsample_sizes_linear_antialias", "Resize mode linear" },
  { "test_resize_tf_crop_and_resize_axes_2_3", "Resize mode linear" },
  { "test_resize_tf_crop_and_resize_axes_3_2", "Resize mode linear" },
  { "test_resize_tf_crop_and_resize_extrapolation_value", "Resize mode linear" },
  { "test_resize_upsample_scales_linear_half_pixel_symmetric", "Resize mode linear" },
  { "test_split_to_sequence_1", "SplitToSequence is not an engine op" },
  { "test_split_to_sequence_2", "SplitToSequence is not an engine op" },
  { "test_split_to_sequence_nokeepdims", "SplitToSequence is not an engine op" },
};

#define N_ELEMS(a) (sizeof (a) / sizeof (a)[0])

/* The reason a table gives for a case, or NULL. */
static const char *
find_case (const scope_case *table, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (table[i].name, name) == 0)
      return table[i].why;
  return NULL;
}

static const char *
scope_reason (const char *name)
{
  const char *why = find_case (out_of_scope, N_ELEMS (out_of_scope), name);

  return why ? why : find_case (out_of_scope_some_versions,
      N_ELEMS (out_of_scope_some_versions), name);
}

static bool
some_versions_only (const char *name)
{
  return find_case (out_of_scope_some_versions,
      N_ELEMS (out_of_scope_some_versions), name) != NULL;
}

/* The ops[] entry whose prefix names this directory, or -1. */
static int
case_op (const char *name)
{
  if (strncmp (name, "test_", 5) != 0)
    return -1;
  for (size_t i = 0; i < N_ELEMS (ops); i++)
    if (strncmp (name + 5, ops[i].prefix, strlen (ops[i].prefix)) == 0)
      return (int) i;
  return -1;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static bool
file_exists (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0;
}

/* Compare one output; on a mismatch write why into msg. */
static bool
compare (const yv7_tensor *got, const yv7_tensor *want, double atol,
    double rtol, char *msg, size_t size)
{
  char b1[160], b2[160];
  int64_t numel;

  if (got->dtype != want->dtype) {
    snprintf (msg, size, "type %s, expected %s", yv7_dtype_name (got->dtype),
        yv7_dtype_name (want->dtype));
    return false;
  }
  if (got->rank != want->rank
      || memcmp (got->dims, want->dims, sizeof (int64_t) * (size_t) want->rank)) {
    snprintf (msg, size, "shape %s, expected %s",
        yv7_shape_str (got->rank, got->dims, b1, sizeof b1),
        yv7_shape_str (want->rank, want->dims, b2, sizeof b2));
    return false;
  }
  numel = yv7_tensor_numel (want);
  if (numel > 0 && !got->data) {
    snprintf (msg, size, "no output data");
    return false;
  }
  for (int64_t i = 0; i < numel; i++) {
    if (want->dtype == YV7_DT_FLOAT || want->dtype == YV7_DT_DOUBLE) {
      double g = yv7_tensor_get_f64 (got, i), w = yv7_tensor_get_f64 (want, i);
      bool ok;
      if (isnan (w))
        ok = isnan (g);
      else if (isinf (w))
        ok = g == w;
      else
        ok = fabs (g - w) <= atol + rtol * fabs (w);
      if (!ok) {
        snprintf (msg, size, "element %lld is %.9g, expected %.9g", (long long) i,
            g, w);
        return false;
      }
    } else {
      size_t es = yv7_dtype_size (want->dtype);
      if (memcmp ((const char *) got->data + (size_t) i * es,
              (const char *) want->data + (size_t) i * es, es)) {
        snprintf (msg, size, "element %lld is %lld, expected %lld",
            (long long) i, (long long) yv7_tensor_get_int (got, i),
            (long long) yv7_tensor_get_int (want, i));
        return false;
      }
    }
  }
  return true;
}

typedef enum { CASE_PASS, CASE_FAIL, CASE_NO_DEVICE } case_result;

static case_result
run_case (const char *dir, const char *name, const char *device, int op,
    char *msg, size_t size)
{
  char path[4096];
  yv7_options opt;
  yv7_error err = { 0 };
  yv7_engine *e;
  const char *why = scope_reason (name);
  case_result res = CASE_PASS;
  int sets = 0;

  yv7_options_init (&opt);
  opt.device = device;
  snprintf (path, sizeof path, "%s/%s/model.onnx", dir, name);
  e = yv7_engine_load (path, &opt, &err);
  if (!e && err.code == YV7_E_NO_DEVICE)
    return CASE_NO_DEVICE;
  /* a case of that name may hold another graph in another version (1.12's
   * castlike_*_expanded have no float8 Cast): when it loads, it is checked
   * like any in-scope case */
  if (why && e && some_versions_only (name))
    why = NULL;
  if (why) {
    if (e) {
      yv7_engine_free (e);
      snprintf (msg, size, "out of scope (%s) but the load succeeded", why);
      return CASE_FAIL;
    }
    if (err.code != YV7_E_UNSUPPORTED) {
      snprintf (msg, size, "out of scope (%s): load failed with %s, expected "
          "unsupported: %s", why, yv7_status_name (err.code), err.message);
      return CASE_FAIL;
    }
    snprintf (msg, size, "out of scope (%s), refused: %s", why, err.message);
    return CASE_PASS;
  }
  if (!e) {
    snprintf (msg, size, "load failed (%s): %s", yv7_status_name (err.code),
        err.message);
    return CASE_FAIL;
  }

  for (int set = 0; res == CASE_PASS; set++) {
    yv7_tensor inputs[MAX_IO], want = { 0 };
    int n_in = 0, n_out = 0;
    yv7_status s;

    snprintf (path, sizeof path, "%s/%s/test_data_set_%d", dir, name, set);
    if (!file_exists (path))
      break;
    sets++;
    memset (inputs, 0, sizeof inputs);
    for (;; n_in++) {
      snprintf (path, sizeof path, "%s/%s/test_data_set_%d/input_%d.pb", dir,
          name, set, n_in);
      if (!file_exists (path))
        break;
      if (n_in == MAX_IO
          || yv7_onnx_read_tensor_file (path, &inputs[n_in], &err) != YV7_OK) {
        snprintf (msg, size, "set %d: cannot read input_%d.pb: %s", set, n_in,
            n_in == MAX_IO ? "too many inputs" : err.message);
        res = CASE_FAIL;
        break;
      }
    }
    if (res == CASE_PASS && n_in != yv7_engine_n_inputs (e)) {
      snprintf (msg, size, "set %d: %d input files, the engine has %d inputs",
          set, n_in, yv7_engine_n_inputs (e));
      res = CASE_FAIL;
    }
    if (res == CASE_PASS
        && (s = yv7_engine_run (e, inputs, n_in, &err)) != YV7_OK) {
      snprintf (msg, size, "set %d: run failed (%s): %s", set,
          yv7_status_name (s), err.message);
      res = CASE_FAIL;
    }
    for (; res == CASE_PASS; n_out++) {
      yv7_tensor got;
      char why_bad[300];

      snprintf (path, sizeof path, "%s/%s/test_data_set_%d/output_%d.pb", dir,
          name, set, n_out);
      if (!file_exists (path))
        break;
      if (yv7_onnx_read_tensor_file (path, &want, &err) != YV7_OK) {
        snprintf (msg, size, "set %d: cannot read output_%d.pb: %s", set, n_out,
            err.message);
        res = CASE_FAIL;
        break;
      }
      if (n_out >= yv7_engine_n_outputs (e)
          || yv7_engine_get_output (e, n_out, &got) != YV7_OK) {
        snprintf (msg, size, "set %d: output %d missing", set, n_out);
        res = CASE_FAIL;
        break;
      }
      if (!compare (&got, &want, ops[op].atol, ops[op].rtol, why_bad,
              sizeof why_bad)) {
        snprintf (msg, size, "set %d: output %d: %s", set, n_out, why_bad);
        res = CASE_FAIL;
      }
    }
    if (res == CASE_PASS && n_out != yv7_engine_n_outputs (e)) {
      snprintf (msg, size, "set %d: %d output files, the engine has %d outputs",
          set, n_out, yv7_engine_n_outputs (e));
      res = CASE_FAIL;
    }
    yv7_tensor_clear (&want);
    for (int i = 0; i < MAX_IO; i++)
      yv7_tensor_clear (&inputs[i]);
  }
  if (res == CASE_PASS && sets == 0) {
    snprintf (msg, size, "no test_data_set_0");
    res = CASE_FAIL;
  }
  if (res == CASE_PASS)
    snprintf (msg, size, "%d data set%s", sets, sets == 1 ? "" : "s");
  yv7_engine_free (e);
  return res;
}

int
main (int argc, char **argv)
{
  const char *device = argc > 1 ? argv[1] : "auto";
  const char *dir = argc > 2 ? argv[2] : DEFAULT_DATA_DIR;
  DIR *d;
  struct dirent *de;
  char **names = NULL;
  size_t n_names = 0, cap = 0;
  int passed = 0, failed = 0, refused = 0;

  setvbuf (stdout, NULL, _IOLBF, 0);
  d = opendir (dir);
  if (!d) {
    printf ("SKIP: no ONNX node test data at %s (Debian package "
        "libonnx-testdata)\n", dir);
    return 77;
  }
  while ((de = readdir (d))) {
    if (case_op (de->d_name) < 0)
      continue;
    if (n_names == cap) {
      char **nn;
      cap = cap ? 2 * cap : 256;
      nn = realloc (names, sizeof *names * cap);
      if (!nn)
        return 1;
      names = nn;
    }
    names[n_names] = strdup (de->d_name);
    if (!names[n_names])
      return 1;
    n_names++;
  }
  closedir (d);
  qsort (names, n_names, sizeof *names, cmp_str);
  printf ("device %s, %zu cases under %s\n", device, n_names, dir);

  /* Every out-of-scope entry of every version must name an existing case:
   * a renamed case must not silently drop its assertion. */
  for (size_t i = 0; i < N_ELEMS (out_of_scope); i++) {
    bool found = false;
    for (size_t j = 0; j < n_names && !found; j++)
      found = strcmp (names[j], out_of_scope[i].name) == 0;
    if (!found) {
      printf ("FAIL %s: listed out of scope but not in the data\n",
          out_of_scope[i].name);
      failed++;
    }
  }

  for (size_t i = 0; i < n_names; i++) {
    char msg[1024];
    case_result r = run_case (dir, names[i], device, case_op (names[i]), msg,
        sizeof msg);
    if (r == CASE_NO_DEVICE) {
      printf ("SKIP: no device matching '%s'\n", device);
      for (size_t j = 0; j < n_names; j++)
        free (names[j]);
      free (names);
      return 77;
    }
    printf ("%s %s: %s\n", r == CASE_PASS ? "ok  " : "FAIL", names[i], msg);
    if (r == CASE_PASS) {
      passed++;
      if (scope_reason (names[i]))
        refused++;
    } else {
      failed++;
    }
  }
  for (size_t j = 0; j < n_names; j++)
    free (names[j]);
  free (names);
  printf ("%d of the passed cases are out of scope and were refused as expected\n",
      refused);
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
