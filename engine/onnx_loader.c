/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* onnx_loader.c: ONNX ModelProto (parsed by protobuf-c from Debian's
 * onnx.proto) -> graph IR.  Every count, dim and length from the file is
 * checked before it is used. */
#include "onnx_loader.h"
#include "op.h"
#include "onnx.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE_SIZE ((size_t) 1 << 34)   /* 16 GiB: far above any YOLOv7 */

yv7_status
yv7_read_file (const char *path, uint8_t **data, size_t *size, yv7_error *err)
{
  FILE *f;
  struct stat st;
  uint8_t *buf = NULL;

  f = fopen (path, "rb");
  if (!f)
    return yv7_set_error (err, YV7_E_IO, "cannot open '%s': %s", path,
        strerror (errno));
  if (fstat (fileno (f), &st) != 0 || !S_ISREG (st.st_mode))
    goto not_regular;
  if ((uint64_t) st.st_size > MAX_FILE_SIZE)
    goto too_big;
  buf = malloc ((size_t) st.st_size + 1);
  if (!buf)
    goto oom;
  if (st.st_size > 0 && fread (buf, 1, (size_t) st.st_size, f) != (size_t) st.st_size)
    goto read_failed;
  fclose (f);
  *data = buf;
  *size = (size_t) st.st_size;
  return YV7_OK;

  /* ERRORS */
not_regular:
  fclose (f);
  return yv7_set_error (err, YV7_E_IO, "'%s' is not a regular file", path);
too_big:
  fclose (f);
  return yv7_set_error (err, YV7_E_IO, "'%s' is too large", path);
oom:
  fclose (f);
  return yv7_set_error (err, YV7_E_NOMEM, "out of memory reading '%s'", path);
read_failed:
  free (buf);
  fclose (f);
  return yv7_set_error (err, YV7_E_IO, "error reading '%s'", path);
}

/* External data: location relative to the model's folder, no absolute path
 * and no "..", optional offset and length.  t is allocated (dt, rank, dims:
 * nbytes) only once the file is known to hold that much. */
static yv7_status
read_external (const Onnx__TensorProto *tp, const char *base_dir, yv7_tensor *t,
    yv7_dtype dt, int rank, const int64_t *dims, size_t nbytes, yv7_error *err)
{
  yv7_status s;
  const char *location = NULL;
  uint64_t offset = 0, length = UINT64_MAX;
  char path[4096];
  FILE *f;
  struct stat st;

  if (!base_dir)
    return yv7_set_error (err, YV7_E_UNSUPPORTED, "tensor '%s' uses external "
        "data, which a model loaded from memory cannot have", tp->name);
  for (size_t i = 0; i < tp->n_external_data; i++) {
    const Onnx__StringStringEntryProto *kv = tp->external_data[i];
    char *end;
    if (!kv->key || !kv->value)
      continue;
    if (strcmp (kv->key, "location") == 0)
      location = kv->value;
    else if (strcmp (kv->key, "offset") == 0) {
      errno = 0;
      offset = strtoull (kv->value, &end, 10);
      if (errno || *end || kv->value[0] == '-')
        goto bad_number;
    } else if (strcmp (kv->key, "length") == 0) {
      errno = 0;
      length = strtoull (kv->value, &end, 10);
      if (errno || *end || kv->value[0] == '-')
        goto bad_number;
    }
  }
  if (!location || !*location)
    return yv7_set_error (err, YV7_E_PARSE, "tensor '%s': external data "
        "without a location", tp->name);
  if (location[0] == '/' || strstr (location, "..") || strchr (location, '\\'))
    return yv7_set_error (err, YV7_E_PARSE, "tensor '%s': external data "
        "location '%s' must be a plain relative path inside the model's folder",
        tp->name, location);
  if (length != UINT64_MAX && length != nbytes)
    return yv7_set_error (err, YV7_E_PARSE, "tensor '%s': external data length "
        "%llu does not match its shape (%zu bytes)", tp->name,
        (unsigned long long) length, nbytes);
  if ((size_t) snprintf (path, sizeof path, "%s/%s", base_dir, location) >= sizeof path)
    return yv7_set_error (err, YV7_E_PARSE, "tensor '%s': external data path "
        "too long", tp->name);
  f = fopen (path, "rb");
  if (!f)
    return yv7_set_error (err, YV7_E_IO, "tensor '%s': cannot open external "
        "data '%s': %s", tp->name, path, strerror (errno));
  if (fstat (fileno (f), &st) != 0 || (uint64_t) st.st_size < offset
      || (uint64_t) st.st_size - offset < nbytes) {
    fclose (f);
    return yv7_set_error (err, YV7_E_PARSE, "tensor '%s': external data file "
        "'%s' is shorter than offset %llu + %zu bytes", tp->name, path,
        (unsigned long long) offset, nbytes);
  }
  if ((s = yv7_tensor_alloc (t, dt, rank, dims, err)) != YV7_OK) {
    fclose (f);
    return s;
  }
  if (fseeko (f, (off_t) offset, SEEK_SET) != 0
      || (nbytes && fread (t->data, 1, nbytes, f) != nbytes)) {
    fclose (f);
    return yv7_set_error (err, YV7_E_IO, "tensor '%s': error reading '%s'",
        tp->name, path);
  }
  fclose (f);
  return YV7_OK;

  /* ERRORS */
bad_number:
  return yv7_set_error (err, YV7_E_PARSE, "tensor '%s': bad external data "
      "offset or length", tp->name);
}

/* Elements a TensorProto holds in the typed field its data type uses. */
static size_t
typed_count (const Onnx__TensorProto *tp, yv7_dtype dt)
{
  switch (dt) {
    case YV7_DT_FLOAT: return tp->n_float_data;
    case YV7_DT_DOUBLE: return tp->n_double_data;
    case YV7_DT_INT64: return tp->n_int64_data;
    case YV7_DT_UINT32: case YV7_DT_UINT64: return tp->n_uint64_data;
    default: return tp->n_int32_data;   /* int32, int16, int8, uint16, uint8, bool, halves */
  }
}

/* TensorProto -> host tensor with data. */
static yv7_status
convert_tensor (const Onnx__TensorProto *tp, const char *base_dir, yv7_tensor *t,
    yv7_error *err)
{
  const char *name = tp->name ? tp->name : "";
  yv7_dtype dt = (yv7_dtype) tp->data_type;
  size_t esize = yv7_dtype_size (dt), nbytes;
  int64_t numel, dims[YV7_MAX_RANK];
  yv7_status s;

  if (tp->n_dims > YV7_MAX_RANK)
    return yv7_set_error (err, YV7_E_UNSUPPORTED, "tensor '%s' has rank %zu "
        "(at most %d supported)", name, tp->n_dims, YV7_MAX_RANK);
  for (size_t i = 0; i < tp->n_dims; i++) {
    dims[i] = tp->dims[i];
    if (dims[i] < 0)
      return yv7_set_error (err, YV7_E_PARSE, "tensor '%s' has a negative dim "
          "(%lld)", name, (long long) dims[i]);
  }
  if (!yv7_shape_numel ((int) tp->n_dims, dims, &numel))
    return yv7_set_error (err, YV7_E_PARSE, "tensor '%s' has more elements than "
        "64 bits can count", name);
  if (esize == 0 || dt == YV7_DT_STRING)
    return yv7_set_error (err, YV7_E_UNSUPPORTED, "tensor '%s' has data type %s "
        "(%d), which is not supported", name, yv7_dtype_name (dt), (int) dt);
  if ((uint64_t) numel > SIZE_MAX / 16)
    return yv7_set_error (err, YV7_E_PARSE, "tensor '%s' is too large", name);
  nbytes = (size_t) numel * esize;
  /* the data must match the shape before the shape is allocated: a few
   * bytes of file must not make the loader ask for terabytes */
  if (tp->has_data_location
      && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return read_external (tp, base_dir, t, dt, (int) tp->n_dims, dims, nbytes, err);
  if (tp->has_raw_data ? tp->raw_data.len != nbytes
      : typed_count (tp, dt) != (size_t) numel)
    goto bad_data;
  if ((s = yv7_tensor_alloc (t, dt, (int) tp->n_dims, dims, err)) != YV7_OK)
    return s;
  if (tp->has_raw_data) {
    if (nbytes)
      memcpy (t->data, tp->raw_data.data, nbytes);
    return YV7_OK;
  }
  switch (dt) {
    case YV7_DT_FLOAT:
      if (nbytes)
        memcpy (t->data, tp->float_data, nbytes);
      break;
    case YV7_DT_DOUBLE:
      if (nbytes)
        memcpy (t->data, tp->double_data, nbytes);
      break;
    case YV7_DT_INT64:
      if (nbytes)
        memcpy (t->data, tp->int64_data, nbytes);
      break;
    case YV7_DT_UINT32:
    case YV7_DT_UINT64:
      for (int64_t i = 0; i < numel; i++) {
        if (dt == YV7_DT_UINT32)
          ((uint32_t *) t->data)[i] = (uint32_t) tp->uint64_data[i];
        else
          ((uint64_t *) t->data)[i] = tp->uint64_data[i];
      }
      break;
    default:   /* int32, int16, int8, uint16, uint8, bool, float16, bfloat16 */
      for (int64_t i = 0; i < numel; i++) {
        int32_t v = tp->int32_data[i];
        switch (esize) {
          case 1: ((uint8_t *) t->data)[i] = (uint8_t) v; break;
          case 2: ((uint16_t *) t->data)[i] = (uint16_t) v; break;
          default: ((int32_t *) t->data)[i] = v; break;
        }
      }
      break;
  }
  return YV7_OK;

  /* ERRORS */
bad_data:
  if (tp->has_raw_data)
    return yv7_set_error (err, YV7_E_PARSE, "tensor '%s': raw_data holds %zu "
        "bytes but its shape needs %zu", name, tp->raw_data.len, nbytes);
  return yv7_set_error (err, YV7_E_PARSE, "tensor '%s': holds %zu elements but "
      "its shape needs %lld", name, typed_count (tp, dt), (long long) numel);
}

static char *
dup_or_empty (const char *s)
{
  return strdup (s ? s : "");
}

/* A Constant node's value as a tensor. */
static yv7_status
constant_value (const Onnx__NodeProto *np, const char *base_dir, const char *nname,
    yv7_tensor *t, yv7_error *err)
{
  const Onnx__AttributeProto *a;
  int64_t one = 1;

  if (np->n_attribute != 1 || !np->attribute[0] || !np->attribute[0]->name)
    return yv7_set_error (err, YV7_E_PARSE, "Constant node '%s' must have exactly "
        "one attribute", nname);
  a = np->attribute[0];
  if (strcmp (a->name, "value") == 0 && a->t)
    return convert_tensor (a->t, base_dir, t, err);
  if (strcmp (a->name, "value_float") == 0) {
    yv7_status s = yv7_tensor_alloc (t, YV7_DT_FLOAT, 0, NULL, err);
    if (s == YV7_OK)
      *(float *) t->data = a->f;
    return s;
  }
  if (strcmp (a->name, "value_int") == 0) {
    yv7_status s = yv7_tensor_alloc (t, YV7_DT_INT64, 0, NULL, err);
    if (s == YV7_OK)
      *(int64_t *) t->data = a->i;
    return s;
  }
  if (strcmp (a->name, "value_floats") == 0 || strcmp (a->name, "value_ints") == 0) {
    bool is_f = a->name[6] == 'f';
    size_t n = is_f ? a->n_floats : a->n_ints;
    yv7_status s;
    if (n > (size_t) INT32_MAX)
      return yv7_set_error (err, YV7_E_PARSE, "Constant node '%s' too large", nname);
    one = (int64_t) n;
    s = yv7_tensor_alloc (t, is_f ? YV7_DT_FLOAT : YV7_DT_INT64, 1, &one, err);
    if (s == YV7_OK && n)
      memcpy (t->data, is_f ? (void *) a->floats : (void *) a->ints,
          n * (is_f ? sizeof (float) : sizeof (int64_t)));
    return s;
  }
  return yv7_set_error (err, YV7_E_UNSUPPORTED, "Constant node '%s': attribute "
      "'%s' is not supported", nname, a->name);
}

static yv7_status
convert_attr (const Onnx__AttributeProto *ap, const char *op, const char *nname,
    const char *base_dir, yv7_attr *a, yv7_error *err)
{
  a->name = dup_or_empty (ap->name);
  if (!a->name)
    goto oom;
  a->type = ap->has_type ? (yv7_attr_type) ap->type : YV7_ATTR_UNDEFINED;
  switch (a->type) {
    case YV7_ATTR_FLOAT: a->f = ap->f; break;
    case YV7_ATTR_INT: a->i = ap->i; break;
    case YV7_ATTR_STRING:
      a->s = malloc (ap->s.len + 1);
      if (!a->s)
        goto oom;
      if (ap->s.len)
        memcpy (a->s, ap->s.data, ap->s.len);
      a->s[ap->s.len] = '\0';
      break;
    case YV7_ATTR_FLOATS:
      a->n = ap->n_floats;
      if (a->n) {
        a->floats = malloc (sizeof (float) * a->n);
        if (!a->floats)
          goto oom;
        memcpy (a->floats, ap->floats, sizeof (float) * a->n);
      }
      break;
    case YV7_ATTR_INTS:
      a->n = ap->n_ints;
      if (a->n) {
        a->ints = malloc (sizeof (int64_t) * a->n);
        if (!a->ints)
          goto oom;
        memcpy (a->ints, ap->ints, sizeof (int64_t) * a->n);
      }
      break;
    case YV7_ATTR_TENSOR:
      if (!ap->t)
        goto bad;
      return convert_tensor (ap->t, base_dir, &a->t, err);
    default:
      return yv7_set_error (err, YV7_E_UNSUPPORTED, "%s node '%s': attribute '%s' "
          "has type %d, which is not supported", op, nname, a->name, (int) a->type);
  }
  return YV7_OK;

  /* ERRORS */
oom:
  return yv7_set_error (err, YV7_E_NOMEM, "out of memory reading attributes");
bad:
  return yv7_set_error (err, YV7_E_PARSE, "%s node '%s': attribute '%s' has no "
      "value", op, nname, a->name);
}

/* a * b for dims >= 0, or -1 once the product has overflowed. */
static int64_t
sat_mul_dim (int64_t a, int64_t b)
{
  if (a < 0 || (b != 0 && a > INT64_MAX / b))
    return -1;
  return a * b;
}

static yv7_status
set_shape_from_type (yv7_value *v, const Onnx__TypeProto *tp, yv7_error *err)
{
  const Onnx__TypeProto__Tensor *tt;
  int64_t fixed = 1;   /* product of the fixed dims */
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
    return yv7_set_error (err, YV7_E_UNSUPPORTED, "graph input '%s' is not a "
        "tensor", v->name);
  tt = tp->tensor_type;
  v->t.dtype = tt->has_elem_type ? (yv7_dtype) tt->elem_type : YV7_DT_UNDEFINED;
  if (!tt->shape) {
    v->t.rank = -1;   /* unknown rank: taken from the first run's tensor */
    return YV7_OK;
  }
  if (tt->shape->n_dim > YV7_MAX_RANK)
    return yv7_set_error (err, YV7_E_UNSUPPORTED, "graph input '%s' has rank "
        "%zu (at most %d)", v->name, tt->shape->n_dim, YV7_MAX_RANK);
  v->t.rank = (int) tt->shape->n_dim;
  for (size_t i = 0; i < tt->shape->n_dim; i++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      if (d->dim_value < 0)
        return yv7_set_error (err, YV7_E_PARSE, "graph input '%s' has a "
            "negative dim (%lld)", v->name, (long long) d->dim_value);
      v->t.dims[i] = d->dim_value;
      fixed = sat_mul_dim (fixed, d->dim_value);
    } else {
      v->t.dims[i] = -1;   /* symbolic: resolved from the load options */
    }
  }
  if (fixed < 0)
    return yv7_set_error (err, YV7_E_PARSE, "graph input '%s' has more elements "
        "than 64 bits can count", v->name);
  return YV7_OK;
}

/* Node k's name as the loader reports it. */
static const char *
node_label (const Onnx__NodeProto *np, size_t k, char *buf, size_t size)
{
  if (np->name && *np->name)
    return np->name;
  snprintf (buf, size, "%s#%zu", np->op_type ? np->op_type : "", k);
  return buf;
}

/* Node i reads `in`, which nothing before it defines.  Say whether a later
 * node produces it and, if so, whether that node depends on node i's own
 * outputs (a cycle) or the nodes are merely out of order.  Only nodes from i
 * on can be involved: earlier ones were all loaded without reading node i. */
static yv7_status
missing_input (const Onnx__GraphProto *gp, size_t i, const char *op,
    const char *nname, const char *in, yv7_error *err)
{
  yv7_graph names = { 0 };   /* outputs of nodes i.. : value index -> node */
  size_t n_out = 0, j = gp->n_node, top = 0, hit = gp->n_node;
  int *producer = NULL;
  size_t *stack = NULL;
  bool *seen = NULL;
  char a[64];

  for (size_t o = 0; o < gp->node[i]->n_output; o++)
    if (gp->node[i]->output[o] && strcmp (gp->node[i]->output[o], in) == 0)
      return yv7_set_error (err, YV7_E_PARSE, "%s node '%s': input '%s' is its "
          "own output: the graph has a cycle", op, nname, in);
  for (size_t k = i + 1; k < gp->n_node && j == gp->n_node; k++)
    for (size_t o = 0; o < gp->node[k]->n_output; o++)
      if (gp->node[k]->output[o] && strcmp (gp->node[k]->output[o], in) == 0)
        j = k;
  if (j == gp->n_node)
    return yv7_set_error (err, YV7_E_PARSE, "%s node '%s': input '%s' is not "
        "produced by any node, nor a graph input or initializer", op, nname, in);

  for (size_t k = i; k < gp->n_node; k++)
    n_out += gp->node[k]->n_output;
  producer = malloc (sizeof (int) * (n_out + 1));
  stack = malloc (sizeof (size_t) * (gp->n_node - i));
  seen = calloc (gp->n_node - i, sizeof (bool));
  if (!producer || !stack || !seen)
    goto out;
  for (size_t k = i; k < gp->n_node; k++)
    for (size_t o = 0; o < gp->node[k]->n_output; o++) {
      const char *name = gp->node[k]->output[o];
      int v;
      if (!name || !*name || yv7_graph_find (&names, name) >= 0)
        continue;
      if ((v = yv7_graph_add_value (&names, name, NULL)) < 0)
        goto out;
      producer[v] = (int) k;
    }
  /* walk back from j through the producers of its inputs, looking for i */
  stack[top++] = j;
  seen[j - i] = true;
  while (top > 0 && hit == gp->n_node) {
    const Onnx__NodeProto *np = gp->node[stack[--top]];
    for (size_t k = 0; k < np->n_input; k++) {
      int v = np->input[k] ? yv7_graph_find (&names, np->input[k]) : -1;
      size_t p;
      if (v < 0)
        continue;
      p = (size_t) producer[v];
      if (p == i)
        hit = i;
      else if (!seen[p - i]) {
        seen[p - i] = true;
        stack[top++] = p;
      }
    }
  }
out:
  free (producer);
  free (stack);
  free (seen);
  yv7_graph_free (&names);
  if (hit == i)
    return yv7_set_error (err, YV7_E_PARSE, "%s node '%s': input '%s' comes from "
        "node '%s', which itself needs this node's output: the graph has a cycle",
        op, nname, in, node_label (gp->node[j], j, a, sizeof a));
  return yv7_set_error (err, YV7_E_PARSE, "%s node '%s': input '%s' is produced "
      "by a later node '%s' (nodes must be in topological order)", op, nname, in,
      node_label (gp->node[j], j, a, sizeof a));
}

static yv7_status
load_graph (const Onnx__GraphProto *gp, const char *base_dir, int opset,
    yv7_graph *g, yv7_error *err)
{
  yv7_status s;

  g->opset = opset;
  /* initializers are constants */
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto *tp = gp->initializer[i];
    int v;
    if (!tp->name || !*tp->name)
      return yv7_set_error (err, YV7_E_PARSE, "an initializer has no name");
    if (yv7_graph_find (g, tp->name) >= 0)
      return yv7_set_error (err, YV7_E_PARSE, "initializer '%s' is defined twice",
          tp->name);
    if ((v = yv7_graph_add_value (g, tp->name, err)) < 0)
      return err ? err->code : YV7_E_NOMEM;
    if ((s = convert_tensor (tp, base_dir, &g->values[v].t, err)) != YV7_OK)
      return s;
    g->values[v].is_const = true;
  }
  if (gp->n_sparse_initializer)
    return yv7_set_error (err, YV7_E_UNSUPPORTED, "sparse initializers are not "
        "supported");

  g->inputs = calloc (gp->n_input + 1, sizeof (int));
  g->outputs = calloc (gp->n_output + 1, sizeof (int));
  if (!g->inputs || !g->outputs)
    return yv7_set_error (err, YV7_E_NOMEM, "out of memory");
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto *vi = gp->input[i];
    int v;
    if (!vi->name || !*vi->name)
      return yv7_set_error (err, YV7_E_PARSE, "a graph input has no name");
    if (yv7_graph_find (g, vi->name) >= 0)
      continue;   /* an initializer with a default value: a constant */
    if ((v = yv7_graph_add_value (g, vi->name, err)) < 0)
      return err ? err->code : YV7_E_NOMEM;
    if ((s = set_shape_from_type (&g->values[v], vi->type, err)) != YV7_OK)
      return s;
    g->values[v].is_input = true;
    g->inputs[g->n_inputs++] = v;
  }

  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    const char *op = np->op_type ? np->op_type : "";
    char fallback[64];
    const char *nname;
    yv7_node *n;
    const yv7_op_def *def;

    snprintf (fallback, sizeof fallback, "%s#%zu", op, i);
    nname = np->name && *np->name ? np->name : fallback;
    if (np->domain && *np->domain && strcmp (np->domain, "ai.onnx") != 0)
      return yv7_set_error (err, YV7_E_UNSUPPORTED, "op '%s' (node '%s') is from "
          "domain '%s', which is not supported", op, nname, np->domain);
    if (strcmp (op, "Constant") == 0) {
      int v;
      if (np->n_output != 1 || !np->output[0] || !*np->output[0])
        return yv7_set_error (err, YV7_E_PARSE, "Constant node '%s' must have one "
            "output", nname);
      if (yv7_graph_find (g, np->output[0]) >= 0)
        goto redefined;
      if ((v = yv7_graph_add_value (g, np->output[0], err)) < 0)
        return err ? err->code : YV7_E_NOMEM;
      if ((s = constant_value (np, base_dir, nname, &g->values[v].t, err)) != YV7_OK)
        return s;
      g->values[v].is_const = true;
      continue;
    }
    def = yv7_op_lookup (op);
    if (!def)
      return yv7_set_error (err, YV7_E_UNSUPPORTED, "unsupported op '%s' (node "
          "'%s')", op, nname);
    if (np->n_input > 64 || np->n_output > 64 || np->n_attribute > 64)
      return yv7_set_error (err, YV7_E_PARSE, "node '%s' has too many inputs, "
          "outputs or attributes", nname);
    if ((int) np->n_input < def->min_inputs || (int) np->n_input > def->max_inputs
        || (int) np->n_output < def->min_outputs || (int) np->n_output > def->max_outputs)
      return yv7_set_error (err, YV7_E_PARSE, "%s node '%s' has %zu inputs and "
          "%zu outputs (expected %d-%d and %d-%d)", op, nname, np->n_input,
          np->n_output, def->min_inputs, def->max_inputs, def->min_outputs,
          def->max_outputs);
    if (!(n = yv7_graph_add_node (g, err)))
      return err ? err->code : YV7_E_NOMEM;
    n->def = def;
    n->opset = opset;
    n->op_type = strdup (op);
    n->name = strdup (nname);
    n->inputs = calloc (np->n_input + 1, sizeof (int));
    n->outputs = calloc (np->n_output + 1, sizeof (int));
    n->attrs = calloc (np->n_attribute + 1, sizeof (yv7_attr));
    if (!n->op_type || !n->name || !n->inputs || !n->outputs || !n->attrs)
      return yv7_set_error (err, YV7_E_NOMEM, "out of memory");
    for (size_t k = 0; k < np->n_attribute; k++) {
      const Onnx__AttributeProto *ap = np->attribute[k];
      bool known = false;
      n->n_attrs++;
      if ((s = convert_attr (ap, op, nname, base_dir, &n->attrs[k], err)) != YV7_OK)
        return s;
      for (const char *const *an = def->attrs; an && *an; an++)
        if (strcmp (*an, n->attrs[k].name) == 0)
          known = true;
      if (!known)
        return yv7_set_error (err, YV7_E_UNSUPPORTED, "%s node '%s': attribute "
            "'%s' is not supported", op, nname, n->attrs[k].name);
    }
    for (size_t k = 0; k < np->n_input; k++) {
      const char *in = np->input[k];
      int v;
      n->n_inputs++;
      if (!in || !*in) {
        n->inputs[k] = -1;
        continue;
      }
      v = yv7_graph_find (g, in);
      if (v < 0)
        return missing_input (gp, i, op, nname, in, err);
      n->inputs[k] = v;
      g->values[v].n_consumers++;
    }
    for (size_t k = 0; k < np->n_output; k++) {
      const char *out = np->output[k];
      int v;
      n->n_outputs++;
      if (!out || !*out) {
        n->outputs[k] = -1;
        continue;
      }
      if (yv7_graph_find (g, out) >= 0)
        return yv7_set_error (err, YV7_E_PARSE, "%s node '%s': output '%s' is "
            "already defined", op, nname, out);
      if ((v = yv7_graph_add_value (g, out, err)) < 0)
        return err ? err->code : YV7_E_NOMEM;
      n->outputs[k] = v;
      g->values[v].producer = g->n_nodes - 1;
    }
    /* attribute values, with inputs and outputs wired (optional outputs) */
    if (def->check && (s = def->check (n, err)) != YV7_OK)
      return s;
    continue;

redefined:
    return yv7_set_error (err, YV7_E_PARSE, "Constant node '%s': output '%s' is "
        "already defined", nname, np->output[0]);
  }

  for (size_t i = 0; i < gp->n_output; i++) {
    const Onnx__ValueInfoProto *vi = gp->output[i];
    int v = vi->name ? yv7_graph_find (g, vi->name) : -1;
    if (v < 0)
      return yv7_set_error (err, YV7_E_PARSE, "graph output '%s' is not produced "
          "by any node", vi->name ? vi->name : "");
    g->values[v].is_output = true;
    g->outputs[g->n_outputs++] = v;
  }
  if (g->n_outputs == 0)
    return yv7_set_error (err, YV7_E_PARSE, "the graph has no outputs");
  return YV7_OK;
}

/* protobuf-c unpacks nested messages recursively, so a hostile file of
 * deeply nested graphs (AttributeProto.g -> GraphProto -> NodeProto -> ...)
 * would exhaust the stack; and when it fails it does not say why.  Walk the
 * wire format first with the schema's descriptors: refuse nesting deeper than
 * any real model has, and name the offset and cause of a broken encoding. */
#define MAX_NESTING 32

enum { VARINT_OK, VARINT_CUT, VARINT_LONG };

static int
read_varint (const uint8_t **p, const uint8_t *end, uint64_t *v)
{
  uint64_t r = 0;
  for (int i = 0; i < 10; i++) {
    uint8_t b;
    if (*p >= end)
      return VARINT_CUT;
    b = *(*p)++;
    r |= (uint64_t) (b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *v = r;
      return VARINT_OK;
    }
  }
  return VARINT_LONG;
}

/* what: "the model" or the file's name; start: offset 0 of the buffer. */
static yv7_status
check_wire (const ProtobufCMessageDescriptor *desc, const char *what,
    const uint8_t *start, const uint8_t *p, const uint8_t *end, int depth,
    yv7_error *err)
{
  yv7_status s;

  if (depth > MAX_NESTING)
    return yv7_set_error (err, YV7_E_PARSE, "%s nests messages more than %d "
        "deep (subgraphs are not supported)", what, MAX_NESTING);
  while (p < end) {
    const uint8_t *at = p, *value;
    uint64_t tag, v = 0;
    unsigned field;
    int r;

    if ((r = read_varint (&p, end, &tag)) != VARINT_OK)
      goto bad_varint;
    field = (unsigned) (tag >> 3);
    if (field == 0)
      return yv7_set_error (err, YV7_E_PARSE, "%s has a field number 0 at "
          "offset %zu", what, (size_t) (at - start));
    value = p;
    switch (tag & 7) {
      case 0:
        at = p;
        if ((r = read_varint (&p, end, &v)) != VARINT_OK)
          goto bad_varint;
        break;
      case 1:
      case 5:
        v = (tag & 7) == 1 ? 8 : 4;
        if (v > (uint64_t) (end - p))
          goto past_end;
        p += v;
        break;
      case 2: {
        const ProtobufCFieldDescriptor *f;
        at = p;
        if ((r = read_varint (&p, end, &v)) != VARINT_OK)
          goto bad_varint;
        value = p;
        if (v > (uint64_t) (end - p))
          goto past_end;
        f = protobuf_c_message_descriptor_get_field (desc, field);
        if (f && f->type == PROTOBUF_C_TYPE_MESSAGE
            && (s = check_wire (f->descriptor, what, start, p, p + v, depth + 1,
                    err)) != YV7_OK)
          return s;
        p += v;
        break;
      }
      default:
        return yv7_set_error (err, YV7_E_PARSE, "%s has field %u at offset %zu "
            "with wire type %d, which ONNX does not use (corrupted)", what, field,
            (size_t) (at - start), (int) (tag & 7));
    }
    continue;

bad_varint:
    if (r == VARINT_LONG)
      return yv7_set_error (err, YV7_E_PARSE, "%s has a varint longer than 10 "
          "bytes at offset %zu (corrupted)", what, (size_t) (at - start));
    return yv7_set_error (err, YV7_E_PARSE, "%s ends inside a varint at offset "
        "%zu (truncated)", what, (size_t) (at - start));
past_end:
    return yv7_set_error (err, YV7_E_PARSE, "%s has field %u at offset %zu "
        "whose %llu bytes run past the end of %s (%zu bytes left; truncated or "
        "corrupted)", what, field, (size_t) (value - start), (unsigned long long) v,
        depth ? "the message holding it" : "the file", (size_t) (end - value));
  }
  return YV7_OK;
}

yv7_status
yv7_onnx_load (const uint8_t *data, size_t size, const char *base_dir,
    yv7_graph *g, yv7_error *err)
{
  Onnx__ModelProto *mp;
  int opset = -1;
  yv7_status s;

  memset (g, 0, sizeof *g);
  if (!data || size == 0)
    return yv7_set_error (err, YV7_E_PARSE, "the model file is empty");
  if ((s = check_wire (&onnx__model_proto__descriptor, "the model", data, data,
          data + size, 0, err)) != YV7_OK)
    return s;
  mp = onnx__model_proto__unpack (NULL, size, data);
  if (!mp)
    return yv7_set_error (err, YV7_E_PARSE, "the model is not a valid ONNX file "
        "(protobuf parsing failed: truncated or corrupted)");
  if (!mp->graph) {
    s = yv7_set_error (err, YV7_E_PARSE, "the ONNX model has no graph");
    goto done;
  }
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *os = mp->opset_import[i];
    if (!os->domain || !*os->domain || strcmp (os->domain, "ai.onnx") == 0)
      opset = os->has_version ? (int) (os->version > 1000 ? 1000 : os->version) : 1;
  }
  if (opset < 0)
    opset = mp->n_opset_import ? 1 : 12;
  if (opset < 7) {
    s = yv7_set_error (err, YV7_E_UNSUPPORTED, "opset %d is too old (7 or newer "
        "is supported)", opset);
    goto done;
  }
  s = load_graph (mp->graph, base_dir, opset, g, err);

done:
  onnx__model_proto__free_unpacked (mp, NULL);
  if (s != YV7_OK)
    yv7_graph_free (g);
  return s;
}

yv7_status
yv7_onnx_read_tensor_file (const char *path, yv7_tensor *t, yv7_error *err)
{
  uint8_t *data;
  size_t size;
  Onnx__TensorProto *tp;
  yv7_status s = yv7_read_file (path, &data, &size, err);

  if (s != YV7_OK)
    return s;
  if ((s = check_wire (&onnx__tensor_proto__descriptor, path, data, data,
          data + size, 0, err)) != YV7_OK) {
    free (data);
    return s;
  }
  tp = onnx__tensor_proto__unpack (NULL, size, data);
  free (data);
  if (!tp)
    return yv7_set_error (err, YV7_E_PARSE, "'%s' is not a TensorProto", path);
  s = convert_tensor (tp, NULL, t, err);
  onnx__tensor_proto__free_unpacked (tp, NULL);
  return s;
}
