/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine.c: the public API: load (parse, infer, passes, placement, device
 * preparation), run, and the detection path (letterbox, submit, collect,
 * decode, NMS). */
#include "engine-private.h"
#include "onnx_loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_IO 64

void
yv7_options_init (yv7_options *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->device = "auto";
}

void
yv7_detect_params_init (yv7_detect_params *p)
{
  memset (p, 0, sizeof *p);
  p->conf_threshold = 0.25f;
  p->iou_threshold = 0.45f;
  p->max_detections = 300;
}

/* Symbolic input dims: batch from the options, spatial dims from the
 * options (default 640); other symbolic dims are 1. */
static yv7_status
resolve_inputs (yv7_graph *g, const yv7_options *opt, yv7_error *err)
{
  for (int i = 0; i < g->n_inputs; i++) {
    yv7_tensor *t = &g->values[g->inputs[i]].t;
    if (t->rank < 0)
      return yv7_set_error (err, YV7_E_UNSUPPORTED, "graph input '%s' has no "
          "shape in the model", g->values[g->inputs[i]].name);
    for (int d = 0; d < t->rank; d++) {
      if (t->dims[d] >= 0)
        continue;
      if (d == 0)
        t->dims[d] = opt->batch > 0 ? opt->batch : 1;
      else if (t->rank == 4 && d == 2)
        t->dims[d] = opt->input_height > 0 ? opt->input_height : 640;
      else if (t->rank == 4 && d == 3)
        t->dims[d] = opt->input_width > 0 ? opt->input_width : 640;
      else
        t->dims[d] = 1;
    }
    if (opt->batch > 0 && t->rank > 0 && t->dims[0] != opt->batch && !opt->batch_flexible)
      return yv7_set_error (err, YV7_E_SHAPE, "the model has a fixed batch of "
          "%lld, but batch %d was asked for", (long long) t->dims[0], opt->batch);
  }
  return YV7_OK;
}

/* Which nodes run on the device, and which values live there. */
static void
place (yv7_engine *e)
{
  yv7_graph *g = &e->g;
  for (int i = 0; i < g->n_nodes; i++) {
    yv7_node *n = &g->nodes[i];
    bool dyn = false;
    if (n->dead)
      continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0 && g->values[n->inputs[k]].dynamic)
        dyn = true;
    for (int k = 0; k < n->n_outputs; k++)
      if (n->outputs[k] >= 0 && g->values[n->outputs[k]].dynamic)
        dyn = true;
    n->on_host = !e->be || dyn || !e->be->ops->supports_op (e->be, g, n);
  }
}

static void
mark_device_values (yv7_engine *e)
{
  yv7_graph *g = &e->g;
  for (int v = 0; v < g->n_values; v++)
    g->values[v].on_device = false;
  if (!e->be)
    return;
  for (int i = 0; i < g->n_nodes; i++) {
    yv7_node *n = &g->nodes[i];
    if (n->dead || n->on_host)
      continue;
    for (int k = 0; k < n->n_outputs; k++)
      if (n->outputs[k] >= 0)
        g->values[n->outputs[k]].on_device = true;
    for (int k = 0; k < n->n_inputs; k++) {
      int v = n->inputs[k];
      if (v >= 0 && !g->values[v].is_const)
        g->values[v].on_device = true;   /* inputs and host results it reads */
    }
  }
}

static void
detect_form (yv7_engine *e)
{
  yv7_graph *g = &e->g;
  const yv7_tensor *in;

  e->form = YV7_FORM_OTHER;
  e->input = -1;
  if (g->n_inputs != 1)
    return;
  in = &g->values[g->inputs[0]].t;
  if (in->rank != 4 || in->dims[1] != 3 || in->dtype != YV7_DT_FLOAT)
    return;
  e->input = g->inputs[0];
  if (g->n_outputs == 1) {
    const yv7_value *o = &g->values[g->outputs[0]];
    bool has_nms = false;
    for (int i = 0; i < g->n_nodes; i++)
      if (strcmp (g->nodes[i].op_type, "NonMaxSuppression") == 0)
        has_nms = true;
    if (has_nms) {
      e->form = YV7_FORM_END2END;
      for (int i = 0; i < g->n_nodes; i++) {
        const yv7_node *n = &g->nodes[i];
        if (strcmp (n->op_type, "ArgMax") == 0 && n->inputs[0] >= 0) {
          const yv7_tensor *t = &g->values[n->inputs[0]].t;
          if (!g->values[n->inputs[0]].dynamic && t->rank > 0)
            e->nc = (int) t->dims[t->rank - 1];
        }
      }
      return;
    }
    if (!o->dynamic && o->t.rank == 3 && o->t.dims[2] > 5 && o->t.dtype == YV7_DT_FLOAT) {
      e->form = YV7_FORM_GRID;
      e->nc = (int) o->t.dims[2] - 5;
      return;
    }
  }
  if (g->n_outputs >= 2 && g->n_outputs <= YV7_MAX_HEADS) {
    int64_t no = -1;
    for (int k = 0; k < g->n_outputs; k++) {
      const yv7_value *o = &g->values[g->outputs[k]];
      if (o->dynamic || o->t.rank != 5 || o->t.dims[1] != 3 || o->t.dims[4] <= 5
          || (no >= 0 && o->t.dims[4] != no) || o->t.dims[2] <= 0)
        return;
      no = o->t.dims[4];
      e->heads[k] = g->outputs[k];
    }
    e->n_heads = g->n_outputs;
    /* finest grid (smallest stride) first, the order of the anchor sets */
    for (int a = 0; a < e->n_heads; a++)
      for (int b = a + 1; b < e->n_heads; b++)
        if (g->values[e->heads[b]].t.dims[2] > g->values[e->heads[a]].t.dims[2]) {
          int t = e->heads[a]; e->heads[a] = e->heads[b]; e->heads[b] = t;
        }
    {
      /* yolov7-tiny(-silu) has anchors of its own; its heads read 64-256
       * channels where yolov7 and yolov7x read 256 or more */
      static const float tiny[18] = {
        10, 13, 16, 30, 33, 23,
        30, 61, 62, 45, 59, 119,
        116, 90, 156, 198, 373, 326,
      };
      const float *anc = yv7_default_anchors (e->n_heads);
      int p = g->values[e->heads[0]].producer;
      while (p >= 0 && strcmp (g->nodes[p].op_type, "Conv") != 0 && g->nodes[p].inputs[0] >= 0)
        p = g->values[g->nodes[p].inputs[0]].producer;
      if (e->n_heads == 3 && p >= 0 && g->nodes[p].inputs[0] >= 0
          && g->values[g->nodes[p].inputs[0]].t.rank == 4
          && g->values[g->nodes[p].inputs[0]].t.dims[1] < 256)
        anc = tiny;
      if (!anc)
        return;
      memcpy (e->anchors, anc, sizeof (float) * 6 * (size_t) e->n_heads);
    }
    e->form = YV7_FORM_RAW;
    e->nc = (int) no - 5;
  }
}

/* Conv weights now live packed in the backend's buffers: drop the host
 * copies (the model's largest data, once more in memory) that no host node
 * and no graph output reads. */
static void
drop_device_weights (yv7_engine *e)
{
  yv7_graph *g = &e->g;
  for (int i = 0; i < g->n_nodes; i++) {
    const yv7_node *n = &g->nodes[i];
    yv7_value *w;
    bool other = false;
    if (n->dead || n->on_host || strcmp (n->op_type, "Conv") != 0 || n->n_inputs < 2
        || n->inputs[1] < 0)
      continue;
    w = &g->values[n->inputs[1]];
    if (!w->is_const || w->is_output || !w->t.capacity)
      continue;
    for (int k = 0; k < g->n_nodes && !other; k++) {
      if (k == i || g->nodes[k].dead)
        continue;
      for (int j = 0; j < g->nodes[k].n_inputs; j++)
        if (g->nodes[k].inputs[j] == n->inputs[1])
          other = true;
    }
    if (other)
      continue;
    free (w->t.data);
    w->t.data = NULL;
    w->t.capacity = 0;
  }
}

static yv7_engine *
engine_load (const uint8_t *data, size_t size, const char *base_dir,
    const yv7_options *opt_in, yv7_error *err)
{
  yv7_options defaults;
  const yv7_options *opt = opt_in;
  yv7_engine *e;
  yv7_status s;
  const char *dev;

  if (!opt) {
    yv7_options_init (&defaults);
    opt = &defaults;
  }
  if (opt->batch < 0 || opt->batch > 64 || opt->input_height < 0
      || opt->input_width < 0 || opt->input_height > 16384 || opt->input_width > 16384) {
    yv7_set_error (err, YV7_E_INVALID_ARG, "batch must be 0-64 and input sizes "
        "0-16384");
    return NULL;
  }
  e = calloc (1, sizeof *e);
  if (!e) {
    yv7_set_error (err, YV7_E_NOMEM, "out of memory");
    return NULL;
  }
  if ((s = yv7_onnx_load (data, size, base_dir, &e->g, err)) != YV7_OK)
    goto fail;
  if ((s = resolve_inputs (&e->g, opt, err)) != YV7_OK)
    goto fail;
  if ((s = yv7_pass_infer (&e->g, err)) != YV7_OK)
    goto fail;
  for (int k = 0; k < e->g.n_outputs; k++) {
    if (e->g.values[e->g.outputs[k]].is_const) {
      /* a graph whose outputs are all known at load still "runs" */
    }
  }
  if ((s = yv7_pass_fold_batchnorm (&e->g, err)) != YV7_OK)
    goto fail;
  yv7_pass_dead_code (&e->g);

  dev = opt->device && *opt->device ? opt->device : "auto";
  if (strcasecmp (dev, "reference") != 0) {
    e->be = yv7_cl_backend_new (dev, opt->fp16_weights != 0, err);
    if (!e->be) {
      s = err ? err->code : YV7_E_NO_DEVICE;
      goto fail;
    }
  }
  place (e);
  yv7_pass_fuse_activations (&e->g);
  if (e->be && !getenv ("YV7_NO_HEAD_FUSION"))
    yv7_pass_fuse_grid_decode (&e->g);
  if (e->be)
    yv7_pass_chain_maxpools (&e->g);
  yv7_pass_dead_code (&e->g);
  mark_device_values (e);
  if (e->be && (s = e->be->ops->prepare (e->be, &e->g, err)) != YV7_OK)
    goto fail;
  if (e->be)
    drop_device_weights (e);
  e->rt = calloc ((size_t) e->g.n_values + 1, sizeof (yv7_tensor));
  e->host_valid = calloc ((size_t) e->g.n_values + 1, sizeof (bool));
  if (!e->rt || !e->host_valid) {
    s = yv7_set_error (err, YV7_E_NOMEM, "out of memory");
    goto fail;
  }
  detect_form (e);
  return e;

  /* ERRORS */
fail:
  yv7_engine_free (e);
  return NULL;
}

yv7_engine *
yv7_engine_load_memory (const void *data, size_t size, const yv7_options *opt,
    yv7_error *err)
{
  if (!data) {
    yv7_set_error (err, YV7_E_INVALID_ARG, "no model data");
    return NULL;
  }
  return engine_load (data, size, NULL, opt, err);
}

yv7_engine *
yv7_engine_load (const char *path, const yv7_options *opt, yv7_error *err)
{
  uint8_t *data;
  size_t size;
  char *dir;
  const char *slash;
  yv7_engine *e;

  if (!path || !*path) {
    yv7_set_error (err, YV7_E_INVALID_ARG, "no model path given");
    return NULL;
  }
  if (yv7_read_file (path, &data, &size, err) != YV7_OK)
    return NULL;
  slash = strrchr (path, '/');
  dir = slash ? strndup (path, (size_t) (slash - path) + (slash == path)) : strdup (".");
  if (!dir) {
    free (data);
    yv7_set_error (err, YV7_E_NOMEM, "out of memory");
    return NULL;
  }
  e = engine_load (data, size, dir, opt, err);
  free (dir);
  free (data);
  if (!e && err && err->code == YV7_E_PARSE) {
    char msg[YV7_ERROR_MESSAGE_SIZE];
    snprintf (msg, sizeof msg, "%.200s: %.300s", path, err->message);
    memcpy (err->message, msg, sizeof msg);
  }
  return e;
}

void
yv7_engine_free (yv7_engine *e)
{
  if (!e)
    return;
  if (e->be)
    e->be->ops->free (e->be);
  if (e->rt)
    for (int v = 0; v < e->g.n_values; v++)
      yv7_tensor_clear (&e->rt[v]);
  free (e->rt);
  free (e->host_valid);
  if (e->dets)
    for (int b = 0; b < e->dets_n; b++)
      yv7_det_list_free (&e->dets[b]);
  free (e->dets);
  free (e->classes);
  yv7_graph_free (&e->g);
  free (e);
}

/* ---- model description ---- */

int yv7_engine_n_inputs (const yv7_engine *e) { return e ? e->g.n_inputs : 0; }
int yv7_engine_n_outputs (const yv7_engine *e) { return e ? e->g.n_outputs : 0; }
yv7_model_form yv7_engine_form (const yv7_engine *e) { return e ? e->form : YV7_FORM_OTHER; }
int yv7_engine_num_classes (const yv7_engine *e) { return e ? e->nc : 0; }

static const char *
value_info (const yv7_engine *e, int v, yv7_tensor *info)
{
  const yv7_value *val = &e->g.values[v];
  if (info) {
    *info = val->t;
    info->data = NULL;
    info->capacity = 0;
    if (val->dynamic) {
      const yv7_tensor *rt = &e->rt[v];
      if (e->host_valid[v] && rt->rank >= 0) {
        *info = *rt;
        info->data = NULL;
        info->capacity = 0;
      } else {
        info->rank = val->t.rank > 0 ? val->t.rank : 0;
        for (int d = 0; d < info->rank; d++)
          info->dims[d] = -1;
      }
    }
  }
  return val->name;
}

const char *
yv7_engine_input_info (const yv7_engine *e, int index, yv7_tensor *info)
{
  if (!e || index < 0 || index >= e->g.n_inputs)
    return NULL;
  return value_info (e, e->g.inputs[index], info);
}

const char *
yv7_engine_output_info (const yv7_engine *e, int index, yv7_tensor *info)
{
  if (!e || index < 0 || index >= e->g.n_outputs)
    return NULL;
  return value_info (e, e->g.outputs[index], info);
}

int
yv7_engine_batch (const yv7_engine *e)
{
  if (!e || e->input < 0)
    return 1;
  return (int) e->g.values[e->input].t.dims[0];
}

void
yv7_engine_input_size (const yv7_engine *e, int *h, int *w)
{
  int hh = 0, ww = 0;
  if (e && e->input >= 0) {
    hh = (int) e->g.values[e->input].t.dims[2];
    ww = (int) e->g.values[e->input].t.dims[3];
  }
  if (h) *h = hh;
  if (w) *w = ww;
}

void
yv7_engine_memory (const yv7_engine *e, size_t *arena, size_t *constants,
    size_t *unplanned)
{
  size_t a = 0, c = 0, u = 0;
  if (e && e->be)
    e->be->ops->memory (e->be, &a, &c, &u);
  if (arena) *arena = a;
  if (constants) *constants = c;
  if (unplanned) *unplanned = u;
}

const char *
yv7_engine_device_name (const yv7_engine *e)
{
  if (!e)
    return NULL;
  return e->be ? e->be->ops->name (e->be) : "reference (host C)";
}

yv7_status
yv7_engine_set_anchors (yv7_engine *e, const float *anchors, int n_heads,
    yv7_error *err)
{
  if (!e || !anchors)
    return yv7_set_error (err, YV7_E_INVALID_ARG, "no engine or anchors");
  if (e->form != YV7_FORM_RAW || n_heads != e->n_heads)
    return yv7_set_error (err, YV7_E_INVALID_ARG, "anchors are only used by the "
        "raw-head form, with one set of 3 per head (%d heads)", e->n_heads);
  for (int i = 0; i < 6 * n_heads; i++)
    if (!(anchors[i] > 0.f))
      return yv7_set_error (err, YV7_E_INVALID_ARG, "anchors must be positive");
  memcpy (e->anchors, anchors, sizeof (float) * 6 * (size_t) n_heads);
  return YV7_OK;
}

/* ---- execution ---- */

static const yv7_tensor *
host_tensor (const yv7_engine *e, int v)
{
  return e->g.values[v].is_const ? &e->g.values[v].t : &e->rt[v];
}

/* Host copy of a device value (blocking read). */
static yv7_status
fetch (yv7_engine *e, int v, yv7_error *err)
{
  const yv7_value *val = &e->g.values[v];
  yv7_status s;
  if (val->is_const || e->host_valid[v])
    return YV7_OK;
  if (!val->on_device)
    return yv7_set_error (err, YV7_E_STATE, "value '%s' was never computed", val->name);
  if ((s = yv7_tensor_alloc (&e->rt[v], val->t.dtype, val->t.rank, val->t.dims, err)) != YV7_OK)
    return s;
  if ((s = e->be->ops->read (e->be, &e->g, v, e->rt[v].data, err)) != YV7_OK)
    return s;
  e->host_valid[v] = true;
  return YV7_OK;
}

static bool
needs_sync (const yv7_engine *e, const yv7_node *n)
{
  for (int k = 0; k < n->n_inputs; k++) {
    int v = n->inputs[k];
    if (v >= 0 && !e->g.values[v].is_const && !e->host_valid[v])
      return true;
  }
  return false;
}

/* Prefix an op's error message with the node it came from. */
static yv7_status
name_node (const yv7_node *n, yv7_status s, yv7_error *err)
{
  if (err && !strstr (err->message, n->name)) {
    char msg[YV7_ERROR_MESSAGE_SIZE];
    snprintf (msg, sizeof msg, "%s node '%s': %.400s", n->op_type, n->name, err->message);
    memcpy (err->message, msg, sizeof msg);
  }
  return s;
}

/* Run nodes from *pos on.  With stop_at_sync, stop (without waiting) before
 * the first host node that needs device results. */
static yv7_status
execute (yv7_engine *e, int *pos, bool stop_at_sync, yv7_error *err)
{
  yv7_graph *g = &e->g;
  yv7_status s;

  for (; *pos < g->n_nodes; (*pos)++) {
    yv7_node *n = &g->nodes[*pos];
    const yv7_tensor *in[MAX_IO];
    yv7_tensor *out[MAX_IO];

    if (n->dead)
      continue;
    if (!n->on_host) {
      if ((s = e->be->ops->enqueue (e->be, g, *pos, err)) != YV7_OK)
        return s;
      for (int k = 0; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0)
          e->host_valid[n->outputs[k]] = false;
      continue;
    }
    if (stop_at_sync && needs_sync (e, n))
      return YV7_OK;
    for (int k = 0; k < n->n_inputs; k++) {
      int v = n->inputs[k];
      if (v >= 0 && (s = fetch (e, v, err)) != YV7_OK)
        return s;
      in[k] = v >= 0 ? host_tensor (e, v) : NULL;
    }
    for (int k = 0; k < n->n_outputs; k++)
      out[k] = n->outputs[k] >= 0 ? &e->rt[n->outputs[k]] : NULL;
    if ((s = n->def->run (n, in, out, err)) != YV7_OK)
      return name_node (n, s, err);
    for (int k = 0; k < n->n_outputs; k++) {
      int v = n->outputs[k];
      if (v < 0)
        continue;
      e->host_valid[v] = true;
      if (g->values[v].on_device
          && (s = e->be->ops->write (e->be, g, v, e->rt[v].data, err)) != YV7_OK)
        return s;
    }
  }
  return YV7_OK;
}

static void
invalidate (yv7_engine *e)
{
  for (int v = 0; v < e->g.n_values; v++)
    e->host_valid[v] = false;
}

static yv7_status
finish_outputs (yv7_engine *e, yv7_error *err)
{
  yv7_status s;
  for (int k = 0; k < e->g.n_outputs; k++)
    if ((s = fetch (e, e->g.outputs[k], err)) != YV7_OK)
      return s;
  return YV7_OK;
}

yv7_status
yv7_engine_run (yv7_engine *e, const yv7_tensor *inputs, int n_inputs,
    yv7_error *err)
{
  yv7_status s;
  int pos = 0;

  if (!e || (!inputs && n_inputs))
    return yv7_set_error (err, YV7_E_INVALID_ARG, "no engine or inputs");
  if (e->pending)
    return yv7_set_error (err, YV7_E_BUSY, "a submitted frame has not been "
        "collected");
  if (n_inputs != e->g.n_inputs)
    return yv7_set_error (err, YV7_E_INVALID_ARG, "the model takes %d input "
        "tensor(s), %d given", e->g.n_inputs, n_inputs);
  invalidate (e);
  for (int i = 0; i < n_inputs; i++) {
    int v = e->g.inputs[i];
    const yv7_tensor *want = &e->g.values[v].t, *got = &inputs[i];
    bool same = got->rank == want->rank && got->dtype == want->dtype;
    char a[128], b[128];
    if (got->rank < 0 || got->rank > YV7_MAX_RANK)
      return yv7_set_error (err, YV7_E_SHAPE, "input '%s' has rank %d (at most %d)",
          e->g.values[v].name, got->rank, YV7_MAX_RANK);
    for (int d = 0; same && d < want->rank; d++)
      same = got->dims[d] == want->dims[d];
    if (!same)
      return yv7_set_error (err, YV7_E_SHAPE, "input '%s' must be %s %s, got %s %s",
          e->g.values[v].name, yv7_dtype_name (want->dtype),
          yv7_shape_str (want->rank, want->dims, a, sizeof a),
          yv7_dtype_name (got->dtype), yv7_shape_str (got->rank, got->dims, b, sizeof b));
    if (!got->data && yv7_tensor_nbytes (got))
      return yv7_set_error (err, YV7_E_INVALID_ARG, "input '%s' has no data",
          e->g.values[v].name);
    if ((s = yv7_tensor_copy (&e->rt[v], got, err)) != YV7_OK)
      return s;
    e->host_valid[v] = true;
    if (e->g.values[v].on_device
        && (s = e->be->ops->write (e->be, &e->g, v, e->rt[v].data, err)) != YV7_OK)
      return s;
  }
  if ((s = execute (e, &pos, false, err)) != YV7_OK)
    return s;
  return finish_outputs (e, err);
}

yv7_status
yv7_engine_get_output (const yv7_engine *e, int index, yv7_tensor *out)
{
  int v;
  if (!e || !out || index < 0 || index >= e->g.n_outputs)
    return YV7_E_INVALID_ARG;
  v = e->g.outputs[index];
  if (!e->g.values[v].is_const && !e->host_valid[v])
    return YV7_E_STATE;
  *out = *host_tensor (e, v);
  out->capacity = 0;   /* a view: the engine keeps ownership */
  return YV7_OK;
}

/* ---- detections ---- */

/* submit with `params` for every frame (stride 0) or one per frame */
static yv7_status
submit (yv7_engine *e, const yv7_frame *frames, int n_frames,
    const yv7_detect_params *params, size_t stride, yv7_error *err)
{
  yv7_detect_params defaults;
  const yv7_tensor *in;
  int in_h, in_w, pos = 0, total = 0;
  yv7_status s;

  if (!e || !frames)
    return yv7_set_error (err, YV7_E_INVALID_ARG, "no engine or frames");
  if (e->pending)
    return yv7_set_error (err, YV7_E_BUSY, "the previous submission has not been "
        "collected");
  if (e->form == YV7_FORM_OTHER || e->input < 0)
    return yv7_set_error (err, YV7_E_UNSUPPORTED, "this model is not a YOLOv7 "
        "detector export (expected one image input and raw-head, grid or end2end "
        "outputs)");
  in = &e->g.values[e->input].t;
  if (n_frames < 1 || n_frames > in->dims[0] || n_frames > 64)
    return yv7_set_error (err, YV7_E_INVALID_ARG, "%d frames submitted; the model "
        "takes 1 to %lld", n_frames, (long long) in->dims[0]);
  if (!params) {
    yv7_detect_params_init (&defaults);
    params = &defaults;
    stride = 0;
  }
  for (int i = 0; i < n_frames; i++) {
    const yv7_detect_params *p = &params[stride * (size_t) i];
    if (p->n_classes < 0 || p->n_classes > (1 << 20) || (p->n_classes > 0 && !p->classes)
        || !(p->iou_threshold >= 0.f && p->iou_threshold <= 1.f)
        || !(p->conf_threshold >= 0.f && p->conf_threshold <= 1.f)
        || p->max_detections < 0)
      return yv7_set_error (err, YV7_E_INVALID_ARG, "detection parameters of frame "
          "%d out of range", i);
    total += p->n_classes;
  }
  for (int i = 0; i < n_frames; i++)
    if ((s = yv7_frame_validate (&frames[i], err)) != YV7_OK)
      return s;

  /* keep private copies of the parameters: the callers' class lists may go */
  free (e->classes);
  e->classes = NULL;
  if (total > 0 && !(e->classes = malloc (sizeof (int) * (size_t) total)))
    return yv7_set_error (err, YV7_E_NOMEM, "out of memory");
  total = 0;
  for (int i = 0; i < n_frames; i++) {
    const yv7_detect_params *p = &params[stride * (size_t) i];
    e->params[i] = *p;
    e->params[i].classes = NULL;
    if (p->n_classes > 0) {
      memcpy (e->classes + total, p->classes, sizeof (int) * (size_t) p->n_classes);
      e->params[i].classes = e->classes + total;
      total += p->n_classes;
    }
  }

  invalidate (e);
  in_h = (int) in->dims[2];
  in_w = (int) in->dims[3];
  if (e->g.values[e->input].on_device) {
    for (int i = 0; i < n_frames; i++) {
      yv7_letterbox_compute (frames[i].width, frames[i].height, in_w, in_h, &e->lb[i]);
      if ((s = e->be->ops->preprocess (e->be, &e->g, e->input, i, &frames[i], &e->lb[i], err)) != YV7_OK)
        return s;
    }
  } else {
    yv7_tensor *t = &e->rt[e->input];
    size_t plane = (size_t) 3 * (size_t) in_h * (size_t) in_w;
    if ((s = yv7_tensor_alloc (t, YV7_DT_FLOAT, in->rank, in->dims, err)) != YV7_OK)
      return s;
    for (int i = 0; i < n_frames; i++) {
      yv7_letterbox_compute (frames[i].width, frames[i].height, in_w, in_h, &e->lb[i]);
      if ((s = yv7_preprocess_host (&frames[i], &e->lb[i], (float *) t->data + plane * (size_t) i, err)) != YV7_OK)
        return s;
    }
    e->host_valid[e->input] = true;
  }
  if ((s = execute (e, &pos, true, err)) != YV7_OK)
    return s;
  if (e->be && (s = e->be->ops->flush (e->be, err)) != YV7_OK)
    return s;
  e->resume = pos;
  e->n_frames = n_frames;
  e->pending = true;
  return YV7_OK;
}

yv7_status
yv7_engine_submit (yv7_engine *e, const yv7_frame *frames, int n_frames,
    const yv7_detect_params *params, yv7_error *err)
{
  return submit (e, frames, n_frames, params, 0, err);
}

yv7_status
yv7_engine_submit_each (yv7_engine *e, const yv7_frame *frames, int n_frames,
    const yv7_detect_params *params, yv7_error *err)
{
  return submit (e, frames, n_frames, params, 1, err);
}

int
yv7_engine_poll (yv7_engine *e)
{
  if (!e || !e->pending)
    return 1;
  return e->be ? e->be->ops->poll (e->be) : 1;
}

static yv7_status
decode (yv7_engine *e, int b, yv7_det_list *l, yv7_error *err)
{
  int in_h, in_w;
  yv7_engine_input_size (e, &in_h, &in_w);
  switch (e->form) {
    case YV7_FORM_GRID: {
      const yv7_tensor *o = host_tensor (e, e->g.outputs[0]);
      size_t per = (size_t) o->dims[1] * (size_t) o->dims[2];
      return yv7_decode_grid ((const float *) o->data + per * (size_t) b, o->dims[1],
          (int) o->dims[2], &e->params[b], l, err);
    }
    case YV7_FORM_RAW: {
      yv7_tensor heads[YV7_MAX_HEADS];
      for (int k = 0; k < e->n_heads; k++)
        heads[k] = *host_tensor (e, e->heads[k]);
      return yv7_decode_raw (heads, e->n_heads, b, in_h, in_w, e->anchors,
          &e->params[b], l, err);
    }
    case YV7_FORM_END2END: {
      const yv7_tensor *o = host_tensor (e, e->g.outputs[0]);
      if (o->dtype != YV7_DT_FLOAT || o->rank != 2 || (o->dims[0] > 0 && o->dims[1] != 7))
        return yv7_set_error (err, YV7_E_SHAPE, "end2end output is not [N,7] float");
      return yv7_decode_end2end ((const float *) o->data, o->dims[0], b, &e->params[b], l, err);
    }
    default:
      return yv7_set_error (err, YV7_E_UNSUPPORTED, "not a detector model");
  }
}

yv7_status
yv7_engine_collect (yv7_engine *e, yv7_error *err)
{
  yv7_status s;
  int pos;

  if (!e)
    return yv7_set_error (err, YV7_E_INVALID_ARG, "no engine");
  if (!e->pending)
    return yv7_set_error (err, YV7_E_STATE, "nothing was submitted");
  e->pending = false;
  pos = e->resume;
  if ((s = execute (e, &pos, false, err)) != YV7_OK)
    return s;
  if ((s = finish_outputs (e, err)) != YV7_OK)
    return s;
  if (e->dets_n < e->n_frames) {
    yv7_det_list *d = realloc (e->dets, sizeof (yv7_det_list) * (size_t) e->n_frames);
    if (!d)
      return yv7_set_error (err, YV7_E_NOMEM, "out of memory");
    memset (d + e->dets_n, 0, sizeof (yv7_det_list) * (size_t) (e->n_frames - e->dets_n));
    e->dets = d;
    e->dets_n = e->n_frames;
  }
  for (int b = 0; b < e->n_frames; b++) {
    yv7_det_list *l = &e->dets[b];
    l->n = 0;
    if ((s = decode (e, b, l, err)) != YV7_OK)
      return s;
    if (e->form != YV7_FORM_END2END)
      yv7_nms (l, e->params[b].iou_threshold, e->params[b].max_detections);
    else if (e->params[b].max_detections > 0 && l->n > e->params[b].max_detections)
      l->n = e->params[b].max_detections;
    yv7_unletterbox (l, &e->lb[b]);
  }
  for (int b = e->n_frames; b < e->dets_n; b++)
    e->dets[b].n = 0;
  return YV7_OK;
}

const yv7_detection *
yv7_engine_detections (const yv7_engine *e, int index, int *n)
{
  if (n)
    *n = 0;
  if (!e || index < 0 || index >= e->n_frames || index >= e->dets_n)
    return NULL;
  if (n)
    *n = e->dets[index].n;
  return e->dets[index].d;
}

yv7_status
yv7_engine_detect (yv7_engine *e, const yv7_frame *frame,
    const yv7_detect_params *params, const yv7_detection **dets, int *n,
    yv7_error *err)
{
  yv7_status s = yv7_engine_submit (e, frame, 1, params, err);
  if (s != YV7_OK)
    return s;
  if ((s = yv7_engine_collect (e, err)) != YV7_OK)
    return s;
  if (dets)
    *dets = yv7_engine_detections (e, 0, n);
  return YV7_OK;
}
