/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* postprocess.c: from the graph's outputs to detections in frame pixels,
 * following non_max_suppression() and scale_coords() of the official
 * utils/general.py. */
#include "postprocess.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* torchvision.ops.nms is never handed more boxes than this */
#define MAX_NMS 30000

void
yv7_det_list_free (yv7_det_list *l)
{
  free (l->d);
  l->d = NULL;
  l->n = l->cap = 0;
}

static yv7_status
det_push (yv7_det_list *l, float x0, float y0, float x1, float y1, float score,
    int class_id, yv7_error *err)
{
  yv7_detection *d;

  if (l->n == l->cap) {
    int cap = l->cap ? l->cap : 64;
    void *p;
    if (l->cap > INT_MAX / 2)
      return yv7_set_error (err, YV7_E_NOMEM, "too many detections");
    if (l->cap)
      cap *= 2;
    p = realloc (l->d, sizeof (yv7_detection) * (size_t) cap);
    if (!p)
      return yv7_set_error (err, YV7_E_NOMEM,
          "out of memory growing the detection list to %d", cap);
    l->d = p;
    l->cap = cap;
  }
  d = &l->d[l->n++];
  d->x0 = x0;
  d->y0 = y0;
  d->x1 = x1;
  d->y1 = y1;
  d->score = score;
  d->class_id = class_id;
  return YV7_OK;
}

static bool
class_wanted (const yv7_detect_params *p, int c)
{
  if (!p->classes)
    return true;
  for (int i = 0; i < p->n_classes; i++)
    if (p->classes[i] == c)
      return true;
  return false;
}

static float
sigmoid (float x)
{
  return 1.0f / (1.0f + expf (-x));
}

/* Best class by obj * cls as the official code computes it (product first,
 * then the max, first index on a tie).  cls holds logits when `logits`. */
static int
best_class (const float *cls, int nc, float obj, bool logits, float *score)
{
  int best = 0;
  float bs = 0.0f;

  for (int j = 0; j < nc; j++) {
    float s = (logits ? sigmoid (cls[j]) : cls[j]) * obj;
    if (j == 0 || s > bs) {
      best = j;
      bs = s;
    }
  }
  *score = bs;
  return best;
}

/* Append the box cx,cy,w,h if its score passes; shared by the two forms. */
static yv7_status
add_candidate (float cx, float cy, float w, float h, float score, int cls,
    const yv7_detect_params *p, yv7_det_list *out, yv7_error *err)
{
  if (!(score > p->conf_threshold) || !class_wanted (p, cls))
    return YV7_OK;
  return det_push (out, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score,
      cls, err);
}

yv7_status
yv7_decode_grid (const float *rows, int64_t n_rows, int no,
    const yv7_detect_params *p, yv7_det_list *out, yv7_error *err)
{
  yv7_status s;

  if (!p || !out || n_rows < 0 || (n_rows > 0 && !rows))
    goto bad_args;
  if (no < 6)
    goto short_rows;
  for (int64_t r = 0; r < n_rows; r++) {
    const float *row = rows + r * no;
    float score;
    int cls;

    if (!(row[4] > p->conf_threshold))
      continue;
    cls = best_class (row + 5, no - 5, row[4], false, &score);
    if ((s = add_candidate (row[0], row[1], row[2], row[3], score, cls, p, out,
        err)) != YV7_OK)
      return s;
  }
  return YV7_OK;

  /* ERRORS */
bad_args:
  return yv7_set_error (err, YV7_E_INVALID_ARG,
      "decoding needs rows, parameters and an output list");
short_rows:
  return yv7_set_error (err, YV7_E_SHAPE,
      "a grid-form row has %d values; at least 6 (box, objectness, a class) "
      "are needed", no);
}

yv7_status
yv7_decode_raw (const yv7_tensor *heads, int n_heads, int b, int input_h,
    int input_w, const float *anchors, const yv7_detect_params *p,
    yv7_det_list *out, yv7_error *err)
{
  int64_t no;
  yv7_status s;
  char shape[96];

  if (!heads || n_heads < 1 || !anchors || !p || !out)
    goto bad_args;
  no = heads[0].rank == 5 ? heads[0].dims[4] : 0;
  for (int i = 0; i < n_heads; i++) {
    const yv7_tensor *t = &heads[i];
    if (t->dtype != YV7_DT_FLOAT || t->rank != 5 || t->dims[1] != 3
        || t->dims[4] != no || no < 6 || no > INT_MAX || t->dims[2] < 1
        || t->dims[3] < 1 || !t->data)
      goto bad_head;
    if (b < 0 || b >= t->dims[0])
      goto bad_batch;
    if (t->dims[2] > input_h || input_h % t->dims[2] != 0
        || input_w != t->dims[3] * (input_h / t->dims[2]))
      goto bad_stride;
  }

  for (int i = 0; i < n_heads; i++) {
    const yv7_tensor *t = &heads[i];
    int64_t gh = t->dims[2], gw = t->dims[3];
    float stride = (float) (input_h / gh);
    const float *base = (const float *) t->data + (int64_t) b * 3 * gh * gw * no;

    for (int a = 0; a < 3; a++) {
      float aw = anchors[i * 6 + a * 2], ah = anchors[i * 6 + a * 2 + 1];
      for (int64_t gy = 0; gy < gh; gy++) {
        for (int64_t gx = 0; gx < gw; gx++) {
          const float *l = base + ((a * gh + gy) * gw + gx) * no;
          float obj = sigmoid (l[4]), score, cx, cy, w, h, sw, sh;
          int cls;

          if (!(obj > p->conf_threshold))
            continue;
          /* the official Detect.forward, term by term */
          cx = (sigmoid (l[0]) * 2.0f - 0.5f + (float) gx) * stride;
          cy = (sigmoid (l[1]) * 2.0f - 0.5f + (float) gy) * stride;
          sw = sigmoid (l[2]) * 2.0f;
          sh = sigmoid (l[3]) * 2.0f;
          w = sw * sw * aw;
          h = sh * sh * ah;
          cls = best_class (l + 5, (int) no - 5, obj, true, &score);
          if ((s = add_candidate (cx, cy, w, h, score, cls, p, out, err))
              != YV7_OK)
            return s;
        }
      }
    }
  }
  return YV7_OK;

  /* ERRORS */
bad_args:
  return yv7_set_error (err, YV7_E_INVALID_ARG,
      "decoding needs heads, anchors, parameters and an output list");
bad_head:
  return yv7_set_error (err, YV7_E_SHAPE,
      "raw head outputs must be float [B,3,H,W,5+nc] with one nc; got %s %s",
      yv7_dtype_name (heads[0].dtype),
      yv7_shape_str (heads[0].rank, heads[0].dims, shape, sizeof shape));
bad_batch:
  return yv7_set_error (err, YV7_E_INVALID_ARG,
      "image %d is outside the heads' batch", b);
bad_stride:
  return yv7_set_error (err, YV7_E_SHAPE,
      "a head grid does not divide the %dx%d input into square cells",
      input_w, input_h);
}

const float *
yv7_default_anchors (int n_heads)
{
  /* cfg/deploy/yolov7.yaml (P3-P5) and yolov7-w6.yaml (P3-P6), in pixels */
  static const float p5[18] = {
    12, 16, 19, 36, 40, 28,
    36, 75, 76, 55, 72, 146,
    142, 110, 192, 243, 459, 401,
  };
  static const float p6[24] = {
    19, 27, 44, 40, 38, 94,
    96, 68, 86, 152, 180, 137,
    140, 301, 303, 264, 238, 542,
    436, 615, 739, 380, 925, 792,
  };
  return n_heads == 3 ? p5 : n_heads == 4 ? p6 : NULL;
}

yv7_status
yv7_decode_end2end (const float *rows, int64_t n_rows, int b,
    const yv7_detect_params *p, yv7_det_list *out, yv7_error *err)
{
  yv7_status s;

  if (!p || !out || n_rows < 0 || (n_rows > 0 && !rows))
    goto bad_args;
  for (int64_t r = 0; r < n_rows; r++) {
    const float *row = rows + r * 7;
    int cls;

    if (row[0] != (float) b || !(row[6] > p->conf_threshold))
      continue;
    /* a class outside int would make the conversion undefined */
    if (!(row[5] >= 0.0f && row[5] < 2147483520.0f))
      continue;
    cls = (int) row[5];
    if (!class_wanted (p, cls))
      continue;
    if ((s = det_push (out, row[1], row[2], row[3], row[4], row[6], cls, err))
        != YV7_OK)
      return s;
  }
  return YV7_OK;

  /* ERRORS */
bad_args:
  return yv7_set_error (err, YV7_E_INVALID_ARG,
      "decoding needs rows, parameters and an output list");
}

/* Stable merge sort by score, descending, using tmp (n entries). */
static void
sort_runs (yv7_detection *d, yv7_detection *tmp, int n)
{
  for (int width = 1; width < n; width *= 2) {
    for (int lo = 0; lo < n - width; lo += 2 * width) {
      int mid = lo + width, hi = mid + width < n ? mid + width : n;
      int i = lo, j = mid, k = lo;
      /* take from the right run only when strictly better: keeps order */
      while (i < mid && j < hi)
        tmp[k++] = d[j].score > d[i].score ? d[j++] : d[i++];
      while (i < mid)
        tmp[k++] = d[i++];
      while (j < hi)
        tmp[k++] = d[j++];
      memcpy (d + lo, tmp + lo, sizeof *d * (size_t) (hi - lo));
    }
  }
}

static void
sort_by_score (yv7_detection *d, int n)
{
  yv7_detection *tmp;

  if (n < 2)
    return;
  tmp = malloc (sizeof *d * (size_t) n);
  if (tmp) {
    sort_runs (d, tmp, n);
    free (tmp);
    return;
  }
  /* no memory for the merge buffer: an insertion sort is slower but just as
   * stable, and NMS has no way to report failure */
  for (int i = 1; i < n; i++) {
    yv7_detection v = d[i];
    int j = i;
    while (j > 0 && v.score > d[j - 1].score) {
      d[j] = d[j - 1];
      j--;
    }
    d[j] = v;
  }
}

static float
iou (const yv7_detection *a, const yv7_detection *b)
{
  /* the arithmetic of torchvision's nms kernel */
  float area_a = (a->x1 - a->x0) * (a->y1 - a->y0);
  float area_b = (b->x1 - b->x0) * (b->y1 - b->y0);
  float w = fmaxf (0.0f, fminf (a->x1, b->x1) - fmaxf (a->x0, b->x0));
  float h = fmaxf (0.0f, fminf (a->y1, b->y1) - fmaxf (a->y0, b->y0));
  float inter = w * h;
  return inter / (area_a + area_b - inter);
}

void
yv7_nms (yv7_det_list *l, float iou_thr, int max_det)
{
  int n, kept = 0;

  if (!l || l->n <= 0)
    return;
  sort_by_score (l->d, l->n);
  n = l->n < MAX_NMS ? l->n : MAX_NMS;
  if (max_det <= 0)
    max_det = INT_MAX;
  /* Greedy NMS: a box survives when no already kept box of its class
   * overlaps it too much.  Kept boxes are compacted to the front; kept <= i
   * so nothing unread is overwritten. */
  for (int i = 0; i < n && kept < max_det; i++) {
    yv7_detection d = l->d[i];
    bool keep = true;

    for (int j = 0; j < kept && keep; j++)
      if (l->d[j].class_id == d.class_id && iou (&l->d[j], &d) > iou_thr)
        keep = false;
    if (keep)
      l->d[kept++] = d;
  }
  l->n = kept;
}

static float
clampf (float v, float hi)
{
  return v < 0.0f ? 0.0f : v > hi ? hi : v;
}

void
yv7_unletterbox (yv7_det_list *l, const yv7_letterbox *lb)
{
  float w, h;

  if (!l || !lb || lb->scale_x <= 0.0f || lb->scale_y <= 0.0f)
    return;
  w = (float) lb->src_w;
  h = (float) lb->src_h;
  for (int i = 0; i < l->n; i++) {
    yv7_detection *d = &l->d[i];
    d->x0 = clampf ((d->x0 - (float) lb->pad_x) / lb->scale_x, w);
    d->y0 = clampf ((d->y0 - (float) lb->pad_y) / lb->scale_y, h);
    d->x1 = clampf ((d->x1 - (float) lb->pad_x) / lb->scale_x, w);
    d->y1 = clampf ((d->y1 - (float) lb->pad_y) / lb->scale_y, h);
  }
}
