/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nonmaxsuppression.c: NonMaxSuppression.  Per batch and class, boxes with
 * score > score_threshold (when given) are taken in descending score order
 * (ties: lower index first) and kept unless their IoU with a kept box is
 * > iou_threshold, up to max_output_boxes_per_class.  Output rows
 * [batch, class, box] in batch, class, selection order. */
#include "ops-common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const nms_attrs[] = { "center_point_box", NULL };

static yv7_status
nms_check (const yv7_node *n, yv7_error *err)
{
  yv7_status s = yv7_op_attr_type (n, "center_point_box", YV7_ATTR_INT, err);
  int64_t c = yv7_attr_int (n, "center_point_box", 0);

  if (s != YV7_OK)
    return s;
  if (c != 0 && c != 1)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "attribute center_point_box=%lld is not supported (0 or 1)", (long long) c);
  return YV7_OK;
}

typedef struct {
  int64_t batches, classes, boxes;
  int64_t max_out;
  float iou, score;
  bool has_score;
} nms_params;

static yv7_status
nms_params_read (const yv7_node *n, const yv7_tensor *const *in, nms_params *p,
    yv7_error *err)
{
  const yv7_tensor *b, *sc, *t;
  char b1[160], b2[160];
  yv7_status s;

  if ((s = yv7_op_input (n, in, 0, err)) != YV7_OK
      || (s = yv7_op_input (n, in, 1, err)) != YV7_OK)
    return s;
  for (int i = 2; i < 5; i++)
    if (yv7_op_in (in, i, n) && (s = yv7_op_input (n, in, i, err)) != YV7_OK)
      return s;
  b = in[0];
  sc = in[1];
  if (b->dtype != YV7_DT_FLOAT || sc->dtype != YV7_DT_FLOAT)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "boxes and scores must be float32");
  if (b->rank != 3 || b->dims[2] != 4 || sc->rank != 3
      || sc->dims[0] != b->dims[0] || sc->dims[2] != b->dims[1])
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "boxes %s and scores %s do not fit ([B,N,4] and [B,C,N])",
        yv7_shape_str (b->rank, b->dims, b1, sizeof b1),
        yv7_shape_str (sc->rank, sc->dims, b2, sizeof b2));
  p->batches = b->dims[0];
  p->boxes = b->dims[1];
  p->classes = sc->dims[1];
  p->max_out = 0;
  p->iou = 0.0f;
  p->score = 0.0f;
  p->has_score = false;
  if ((t = yv7_op_in (in, 2, n))) {
    int64_t v;
    int cnt;
    if (t->rank > 1 || (t->rank == 1 && t->dims[0] != 1))
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "max_output_boxes_per_class must hold one value");
    if ((s = yv7_op_read_ints (n, t, "max_output_boxes_per_class", &v, 1, &cnt, err)) != YV7_OK)
      return s;
    p->max_out = v < 0 ? 0 : v;
  }
  if ((t = yv7_op_in (in, 3, n))) {
    double v;
    if ((s = yv7_op_read_scalar_f (n, t, "iou_threshold", &v, err)) != YV7_OK)
      return s;
    if (!(v >= 0.0 && v <= 1.0))
      return yv7_op_error (n, err, YV7_E_INVALID_ARG,
          "iou_threshold %g is outside [0, 1]", v);
    p->iou = (float) v;
  }
  if ((t = yv7_op_in (in, 4, n))) {
    double v;
    if ((s = yv7_op_read_scalar_f (n, t, "score_threshold", &v, err)) != YV7_OK)
      return s;
    p->score = (float) v;
    p->has_score = true;
  }
  return YV7_OK;
}

typedef struct {
  float score;
  int64_t index;
} nms_cand;

static int
nms_cand_cmp (const void *a_, const void *b_)
{
  const nms_cand *a = a_, *b = b_;
  bool na = isnan (a->score), nb = isnan (b->score);
  if (na != nb)
    return na ? 1 : -1;       /* NaN scores rank last */
  if (!na && a->score != b->score)
    return a->score > b->score ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

/* Corners (y0, x0, y1, x1) with y0 <= y1 and x0 <= x1. */
static void
nms_corners (const float *bx, bool center, float *c)
{
  if (center) {
    float xc = bx[0], yc = bx[1], w2 = bx[2] / 2.0f, h2 = bx[3] / 2.0f;
    c[0] = yc - h2;
    c[1] = xc - w2;
    c[2] = yc + h2;
    c[3] = xc + w2;
  } else {
    c[0] = fminf (bx[0], bx[2]);
    c[1] = fminf (bx[1], bx[3]);
    c[2] = fmaxf (bx[0], bx[2]);
    c[3] = fmaxf (bx[1], bx[3]);
  }
}

static bool
nms_suppress (const float *a, const float *b, float iou_threshold)
{
  float iy0 = fmaxf (a[0], b[0]), ix0 = fmaxf (a[1], b[1]);
  float iy1 = fminf (a[2], b[2]), ix1 = fminf (a[3], b[3]);
  float inter, area_a, area_b, uni;

  if (iy1 <= iy0 || ix1 <= ix0)
    return false;
  inter = (iy1 - iy0) * (ix1 - ix0);
  area_a = (a[2] - a[0]) * (a[3] - a[1]);
  area_b = (b[2] - b[0]) * (b[3] - b[1]);
  uni = area_a + area_b - inter;
  if (area_a <= 0.0f || area_b <= 0.0f || uni <= 0.0f)
    return false;
  return inter / uni > iou_threshold;
}

/* Run the selection; rows gets 3 int64 per selected box when non-NULL. */
static yv7_status
nms_select (const yv7_node *n, const yv7_tensor *const *in,
    const nms_params *p, int64_t *rows, int64_t *count, yv7_error *err)
{
  bool center = yv7_attr_int (n, "center_point_box", 0) == 1;
  const float *boxes = in[0]->data, *scores = in[1]->data;
  int64_t total = 0, keep_max;
  nms_cand *cand;
  float *corners, *kept;
  int64_t *kept_idx;

  keep_max = p->max_out < p->boxes ? p->max_out : p->boxes;
  if (keep_max == 0 || p->boxes == 0) {
    *count = 0;
    return YV7_OK;
  }
  cand = malloc (sizeof *cand * (size_t) p->boxes);
  corners = malloc (sizeof (float) * 4 * (size_t) p->boxes);
  kept = malloc (sizeof (float) * 4 * (size_t) keep_max);
  kept_idx = malloc (sizeof (int64_t) * (size_t) keep_max);
  if (!cand || !corners || !kept || !kept_idx) {
    free (cand);
    free (corners);
    free (kept);
    free (kept_idx);
    return yv7_op_error (n, err, YV7_E_NOMEM, "out of memory");
  }
  for (int64_t b = 0; b < p->batches; b++) {
    for (int64_t i = 0; i < p->boxes; i++)
      nms_corners (boxes + (b * p->boxes + i) * 4, center, corners + i * 4);
    for (int64_t c = 0; c < p->classes; c++) {
      const float *sc = scores + (b * p->classes + c) * p->boxes;
      int64_t nc = 0, nk = 0;
      for (int64_t i = 0; i < p->boxes; i++) {
        if (p->has_score && !(sc[i] > p->score))
          continue;
        cand[nc].score = sc[i];
        cand[nc].index = i;
        nc++;
      }
      qsort (cand, (size_t) nc, sizeof *cand, nms_cand_cmp);
      for (int64_t i = 0; i < nc && nk < keep_max; i++) {
        const float *box = corners + cand[i].index * 4;
        bool drop = false;
        for (int64_t k = 0; k < nk && !drop; k++)
          drop = nms_suppress (kept + k * 4, box, p->iou);
        if (drop)
          continue;
        memcpy (kept + nk * 4, box, sizeof (float) * 4);
        kept_idx[nk++] = cand[i].index;
      }
      if (rows)
        for (int64_t k = 0; k < nk; k++) {
          rows[(total + k) * 3 + 0] = b;
          rows[(total + k) * 3 + 1] = c;
          rows[(total + k) * 3 + 2] = kept_idx[k];
        }
      total += nk;
    }
  }
  free (cand);
  free (corners);
  free (kept);
  free (kept_idx);
  *count = total;
  return YV7_OK;
}

static yv7_status
nms_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  nms_params p;
  int64_t dims[2] = { 0, 3 };
  yv7_status s = nms_params_read (n, in, &p, err);

  if (s != YV7_OK)
    return s;
  if (!in[0]->data || !in[1]->data)
    return YV7_E_DYNAMIC;
  if ((s = nms_select (n, in, &p, NULL, &dims[0], err)) != YV7_OK)
    return s;
  yv7_op_set_shape (out[0], YV7_DT_INT64, 2, dims);
  return YV7_OK;
}

static yv7_status
nms_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  nms_params p;
  int64_t dims[2] = { 0, 3 }, cnt;
  int64_t *rows = NULL;
  yv7_status s = nms_params_read (n, in, &p, err);

  if (s != YV7_OK || !out[0])
    return s;
  /* At most min(max_out, boxes) per batch and class. */
  {
    int64_t per = p.max_out < p.boxes ? p.max_out : p.boxes, cap;
    if (!yv7_mul_ok (per, p.batches, &cap) || !yv7_mul_ok (cap, p.classes, &cap)
        || !yv7_mul_ok (cap, 3, &cap) || cap > YV7_OP_MAX_ELEMENTS)
      return yv7_op_error (n, err, YV7_E_SHAPE, "too many possible selections");
    rows = malloc (sizeof (int64_t) * (size_t) (cap ? cap : 1));
    if (!rows)
      return yv7_op_error (n, err, YV7_E_NOMEM, "out of memory");
  }
  if ((s = nms_select (n, in, &p, rows, &cnt, err)) != YV7_OK) {
    free (rows);
    return s;
  }
  dims[0] = cnt;
  yv7_op_set_shape (out[0], YV7_DT_INT64, 2, dims);
  if ((s = yv7_op_alloc_outputs (n, out, err)) == YV7_OK && cnt)
    memcpy (out[0]->data, rows, sizeof (int64_t) * 3 * (size_t) cnt);
  free (rows);
  return s;
}

const yv7_op_def yv7_op_non_max_suppression = {
  .name = "NonMaxSuppression",
  .attrs = nms_attrs,
  .min_inputs = 2, .max_inputs = 5,
  .min_outputs = 1, .max_outputs = 1,
  .check = nms_check,
  .infer = nms_infer,
  .run = nms_run,
};
