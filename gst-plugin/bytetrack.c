/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bytetrack.c: Kalman filter, IoU, optimal assignment and the ByteTrack
 * association; see bytetrack.h for the rules. */
#include "bytetrack.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The noise model of SORT/DeepSORT/ByteTrack: standard deviations
 * proportional to the box height, so the filter is scale-free. */
#define STD_WEIGHT_POSITION (1.0 / 20.0)
#define STD_WEIGHT_VELOCITY (1.0 / 160.0)

struct BtTracker
{
  BtTrack *tracks;
  size_t n_tracks, cap;
  int next_id;
};

void
bt_params_init (BtParams * params)
{
  params->high_thresh = 0.5;
  params->low_thresh = 0.1;
  params->match_iou = 0.2;
  params->max_lost = 30;
  params->min_hits = 3;
  params->per_class = 1;
}

/* ------------------------------------------------------------------ boxes */

double
bt_iou (const BtBox * a, const BtBox * b)
{
  double iw = fmin (a->x1, b->x1) - fmax (a->x0, b->x0);
  double ih = fmin (a->y1, b->y1) - fmax (a->y0, b->y0);
  double inter, uni;

  if (!(iw > 0) || !(ih > 0))
    return 0.0;
  inter = iw * ih;
  uni = (a->x1 - a->x0) * (a->y1 - a->y0) + (b->x1 - b->x0) * (b->y1 - b->y0)
      - inter;
  return uni > 0 ? inter / uni : 0.0;
}

static int
box_valid (const BtBox * b)
{
  return isfinite (b->x0) && isfinite (b->y0) && isfinite (b->x1)
      && isfinite (b->y1) && b->x1 > b->x0 && b->y1 > b->y0;
}

BtBox
bt_track_box (const BtTrack * t)
{
  double h = fmax (t->mean[3], 0.0);
  double w = fmax (t->mean[2], 0.0) * h;
  BtBox b = { t->mean[0] - w / 2, t->mean[1] - h / 2,
    t->mean[0] + w / 2, t->mean[1] + h / 2
  };
  return b;
}

/* ----------------------------------------------------------------- Kalman */

static void
kalman_initiate (BtTrack * t, const BtBox * b)
{
  double w = b->x1 - b->x0, h = b->y1 - b->y0;
  double sd[8] = {
    2 * STD_WEIGHT_POSITION * h, 2 * STD_WEIGHT_POSITION * h, 1e-2,
    2 * STD_WEIGHT_POSITION * h, 10 * STD_WEIGHT_VELOCITY * h,
    10 * STD_WEIGHT_VELOCITY * h, 1e-5, 10 * STD_WEIGHT_VELOCITY * h
  };
  int i;

  memset (t->mean, 0, sizeof t->mean);
  memset (t->cov, 0, sizeof t->cov);
  t->mean[0] = (b->x0 + b->x1) / 2;
  t->mean[1] = (b->y0 + b->y1) / 2;
  t->mean[2] = w / h;
  t->mean[3] = h;
  for (i = 0; i < 8; i++)
    t->cov[i * 8 + i] = sd[i] * sd[i];
}

/* x' = F x, P' = F P F^T + Q with F = [I I; 0 I] (one frame). */
static void
kalman_predict (BtTrack * t)
{
  double h = t->mean[3];
  double sd[8] = {
    STD_WEIGHT_POSITION * h, STD_WEIGHT_POSITION * h, 1e-2,
    STD_WEIGHT_POSITION * h, STD_WEIGHT_VELOCITY * h,
    STD_WEIGHT_VELOCITY * h, 1e-5, STD_WEIGHT_VELOCITY * h
  };
  double fp[64], *p = t->cov;
  int i, j;

  /* as ByteTrack: a lost track does not keep growing or shrinking */
  if (t->state == BT_LOST)
    t->mean[7] = 0;
  for (i = 0; i < 4; i++)
    t->mean[i] += t->mean[i + 4];
  /* F P: rows 0-3 gain rows 4-7 */
  for (i = 0; i < 8; i++)
    for (j = 0; j < 8; j++)
      fp[i * 8 + j] = p[i * 8 + j] + (i < 4 ? p[(i + 4) * 8 + j] : 0);
  /* (F P) F^T: columns 0-3 gain columns 4-7 */
  for (i = 0; i < 8; i++)
    for (j = 0; j < 8; j++)
      p[i * 8 + j] = fp[i * 8 + j] + (j < 4 ? fp[i * 8 + j + 4] : 0);
  for (i = 0; i < 8; i++)
    p[i * 8 + i] += sd[i] * sd[i];
}

/* Correct with a measured box; H = [I 0], so P H^T is P's first 4 columns. */
static void
kalman_update (BtTrack * t, const BtBox * b)
{
  double z[4], s[16], l[16], k[8 * 4], pht[8 * 4], innov[4];
  double h = t->mean[3];
  double r[4] = {
    STD_WEIGHT_POSITION * h, STD_WEIGHT_POSITION * h, 1e-1,
    STD_WEIGHT_POSITION * h
  };
  double *p = t->cov;
  int i, j, c;

  z[0] = (b->x0 + b->x1) / 2;
  z[1] = (b->y0 + b->y1) / 2;
  z[2] = (b->x1 - b->x0) / (b->y1 - b->y0);
  z[3] = b->y1 - b->y0;
  for (i = 0; i < 4; i++)
    for (j = 0; j < 4; j++)
      s[i * 4 + j] = p[i * 8 + j] + (i == j ? r[i] * r[i] : 0);
  for (i = 0; i < 8; i++)
    for (j = 0; j < 4; j++)
      pht[i * 4 + j] = p[i * 8 + j];

  /* Cholesky S = L L^T; S is symmetric positive definite (R > 0) */
  memset (l, 0, sizeof l);
  for (j = 0; j < 4; j++) {
    double d = s[j * 4 + j];
    for (c = 0; c < j; c++)
      d -= l[j * 4 + c] * l[j * 4 + c];
    if (!(d > 0))
      return;                   /* degenerate: skip the correction */
    l[j * 4 + j] = sqrt (d);
    for (i = j + 1; i < 4; i++) {
      double v = s[i * 4 + j];
      for (c = 0; c < j; c++)
        v -= l[i * 4 + c] * l[j * 4 + c];
      l[i * 4 + j] = v / l[j * 4 + j];
    }
  }
  /* K = P H^T S^-1: solve S K^T = (P H^T)^T row by row of K */
  for (i = 0; i < 8; i++) {
    double y[4];
    for (j = 0; j < 4; j++) {
      double v = pht[i * 4 + j];
      for (c = 0; c < j; c++)
        v -= l[j * 4 + c] * y[c];
      y[j] = v / l[j * 4 + j];
    }
    for (j = 3; j >= 0; j--) {
      double v = y[j];
      for (c = j + 1; c < 4; c++)
        v -= l[c * 4 + j] * k[i * 4 + c];
      k[i * 4 + j] = v / l[j * 4 + j];
    }
  }
  for (j = 0; j < 4; j++)
    innov[j] = z[j] - t->mean[j];
  for (i = 0; i < 8; i++)
    for (j = 0; j < 4; j++)
      t->mean[i] += k[i * 4 + j] * innov[j];
  /* P -= K S K^T = K (P H^T)^T */
  for (i = 0; i < 8; i++)
    for (j = 0; j < 8; j++) {
      double v = 0;
      for (c = 0; c < 4; c++)
        v += k[i * 4 + c] * pht[j * 4 + c];
      p[i * 8 + j] -= v;
    }
}

/* ------------------------------------------------------------- assignment */

/* Rectangular Hungarian algorithm with potentials (shortest augmenting
 * paths, as in Jonker-Volgenant), n <= m, 1-based: a[(i-1)*m + (j-1)].
 * Every row gets a column; p[j] is the row of column j (0 = none). */
static int
hungarian (const double *a, size_t n, size_t m, size_t * p)
{
  double *u, *v, *minv;
  size_t *way;
  char *used;
  size_t i, j;

  u = calloc (n + 1, sizeof *u);
  v = calloc (m + 1, sizeof *v);
  minv = calloc (m + 1, sizeof *minv);
  way = calloc (m + 1, sizeof *way);
  used = calloc (m + 1, 1);
  if (!u || !v || !minv || !way || !used)
    goto oom;

  for (j = 0; j <= m; j++)
    p[j] = 0;
  for (i = 1; i <= n; i++) {
    size_t j0 = 0;
    p[0] = i;
    for (j = 0; j <= m; j++) {
      minv[j] = INFINITY;
      used[j] = 0;
    }
    do {
      size_t i0 = p[j0], j1 = 0;
      double delta = INFINITY;
      used[j0] = 1;
      for (j = 1; j <= m; j++) {
        if (used[j])
          continue;
        double cur = a[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      size_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  free (u);
  free (v);
  free (minv);
  free (way);
  free (used);
  return 0;

oom:
  free (u);
  free (v);
  free (minv);
  free (way);
  free (used);
  return -1;
}

#define FEASIBLE(c, limit) (isfinite (c) && (c) <= (limit))

/* One connected component of the feasible pairs: rows ri[nr] x cols ci[nc]
 * of the n x m matrix, solved densely. */
static int
assign_dense (const double *cost, size_t m, double limit, const size_t * ri,
    size_t nr, const size_t * ci, size_t nc, int *row_match, int *col_match)
{
  int transpose = nr > nc;
  size_t rows = transpose ? nc : nr, cols = transpose ? nr : nc;
  double *a;
  size_t *p, i, j;
  int matched = 0;

  if (rows > SIZE_MAX / sizeof *a / cols)
    return -1;
  a = malloc (rows * cols * sizeof *a);
  p = malloc ((cols + 1) * sizeof *p);
  if (!a || !p)
    goto oom;
  /* Feasible pairs cost (c - limit) <= 0, the others 0 like staying
   * unmatched; a tiny bonus makes a pair at exactly the limit match. */
  for (i = 0; i < nr; i++)
    for (j = 0; j < nc; j++) {
      double c = cost[ri[i] * m + ci[j]];
      double g = FEASIBLE (c, limit) ? c - limit - 1e-12 : 0.0;
      if (transpose)
        a[j * cols + i] = g;
      else
        a[i * cols + j] = g;
    }
  if (hungarian (a, rows, cols, p) < 0)
    goto oom;
  for (j = 1; j <= cols; j++) {
    size_t r, c;
    if (p[j] == 0)
      continue;
    r = ri[transpose ? j - 1 : p[j] - 1];
    c = ci[transpose ? p[j] - 1 : j - 1];
    if (!FEASIBLE (cost[r * m + c], limit))
      continue;                 /* a filler pair: both stay unmatched */
    if (row_match)
      row_match[r] = (int) c;
    if (col_match)
      col_match[c] = (int) r;
    matched++;
  }
  free (a);
  free (p);
  return matched;

oom:
  free (a);
  free (p);
  return -1;
}

static size_t
uf_find (size_t * parent, size_t x)
{
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

/* Infeasible pairs contribute nothing, so the problem splits into the
 * connected components of the feasible pairs: in a frame these are the
 * small groups of overlapping boxes, which keeps the cubic solver cheap
 * even with thousands of tracks. */
int
bt_assign (const double *cost, size_t n, size_t m, double limit,
    int *row_match, int *col_match)
{
  size_t *parent = NULL, *head = NULL, *next = NULL, *ri = NULL, *ci = NULL;
  size_t i, j, v, nodes = n + m;
  const size_t none = SIZE_MAX;
  int matched = 0;

  for (i = 0; row_match && i < n; i++)
    row_match[i] = -1;
  for (j = 0; col_match && j < m; j++)
    col_match[j] = -1;
  if (n == 0 || m == 0)
    return 0;
  if (n > INT32_MAX || m > INT32_MAX)
    return -1;

  parent = malloc (nodes * sizeof *parent);
  head = malloc (nodes * sizeof *head);
  next = malloc (nodes * sizeof *next);
  ri = malloc (n * sizeof *ri);
  ci = malloc (m * sizeof *ci);
  if (!parent || !head || !next || !ri || !ci)
    goto oom;
  for (v = 0; v < nodes; v++) {
    parent[v] = v;
    head[v] = none;
  }
  for (i = 0; i < n; i++)
    for (j = 0; j < m; j++)
      if (FEASIBLE (cost[i * m + j], limit)) {
        size_t a = uf_find (parent, i), b = uf_find (parent, n + j);
        if (a != b)
          parent[a] = b;
      }
  /* bucket the nodes by component, in index order */
  for (v = nodes; v-- > 0;) {
    size_t r = uf_find (parent, v);
    next[v] = head[r];
    head[r] = v;
  }
  for (v = 0; v < nodes; v++) {
    size_t nr = 0, nc = 0, u;
    int k;
    for (u = head[v]; u != none; u = next[u]) {
      if (u < n)
        ri[nr++] = u;
      else
        ci[nc++] = u - n;
    }
    if (nr == 0 || nc == 0)
      continue;
    k = assign_dense (cost, m, limit, ri, nr, ci, nc, row_match, col_match);
    if (k < 0)
      goto oom;
    matched += k;
  }
  free (parent);
  free (head);
  free (next);
  free (ri);
  free (ci);
  return matched;

oom:
  free (parent);
  free (head);
  free (next);
  free (ri);
  free (ci);
  return -1;
}

/* ---------------------------------------------------------------- tracker */

BtTracker *
bt_tracker_new (void)
{
  BtTracker *t = calloc (1, sizeof *t);

  if (t)
    t->next_id = 1;
  return t;
}

void
bt_tracker_free (BtTracker * tracker)
{
  if (!tracker)
    return;
  free (tracker->tracks);
  free (tracker);
}

void
bt_tracker_clear (BtTracker * tracker)
{
  tracker->n_tracks = 0;
}

void
bt_tracker_reset (BtTracker * tracker)
{
  tracker->n_tracks = 0;
  tracker->next_id = 1;
}

size_t
bt_tracker_n_tracks (const BtTracker * tracker)
{
  return tracker->n_tracks;
}

const BtTrack *
bt_tracker_track (const BtTracker * tracker, size_t i)
{
  return i < tracker->n_tracks ? &tracker->tracks[i] : NULL;
}

int
bt_track_is_active (const BtTrack * track)
{
  return track->id > 0 && track->state == BT_TRACKED;
}

void
bt_tracker_predict (BtTracker * tracker)
{
  size_t i;

  for (i = 0; i < tracker->n_tracks; i++)
    kalman_predict (&tracker->tracks[i]);
}

static int
new_id (BtTracker * tracker)
{
  int id = tracker->next_id;

  /* wrap rather than overflow after 2^31 tracks */
  tracker->next_id = id < INT32_MAX ? id + 1 : 1;
  return id;
}

/* Match det to track: correct the filter, count the hit, confirm. */
static void
track_matched (BtTracker * tracker, const BtParams * params, BtTrack * t,
    BtDetection * d)
{
  kalman_update (t, &d->box);
  t->hits++;
  t->lost = 0;
  t->label = d->label;
  t->score = d->score;
  if (t->id == 0 && t->hits >= params->min_hits)
    t->id = new_id (tracker);
  if (t->id > 0)
    t->state = BT_TRACKED;
  d->track_id = t->id > 0 ? t->id : -1;
}

/* Scratch space of one update, allocated before any track changes. */
typedef struct
{
  int *tidx, *high, *low, *rmatch;
  char *matched;
  double *cost;
} Scratch;

/* One association stage of tracks tidx[nt] with detections didx[nd]:
 * matched tracks are flagged in s->matched, matched entries of both index
 * lists become -1. */
static int
associate (BtTracker * tracker, const BtParams * params, BtDetection * dets,
    Scratch * s, int *tidx, size_t nt, int *didx, size_t nd)
{
  size_t i, j;

  if (nt == 0 || nd == 0)
    return 0;
  for (i = 0; i < nt; i++) {
    const BtTrack *t = &tracker->tracks[tidx[i]];
    BtBox tb = bt_track_box (t);
    for (j = 0; j < nd; j++) {
      const BtDetection *d = &dets[didx[j]];
      double iou = bt_iou (&tb, &d->box);
      int ok = iou > 0 && iou >= params->match_iou
          && (!params->per_class || t->label == d->label);
      s->cost[i * nd + j] = ok ? 1.0 - iou : INFINITY;
    }
  }
  if (bt_assign (s->cost, nt, nd, 1.0 - params->match_iou, s->rmatch,
          NULL) < 0)
    return -1;
  for (i = 0; i < nt; i++) {
    if (s->rmatch[i] < 0)
      continue;
    track_matched (tracker, params, &tracker->tracks[tidx[i]],
        &dets[didx[s->rmatch[i]]]);
    s->matched[tidx[i]] = 1;
    tidx[i] = -1;
    didx[s->rmatch[i]] = -1;
  }
  return 0;
}

/* Drop the -1 entries of an index list. */
static size_t
compact (int *idx, size_t n)
{
  size_t i, k = 0;

  for (i = 0; i < n; i++)
    if (idx[i] >= 0)
      idx[k++] = idx[i];
  return k;
}

static void
scratch_free (Scratch * s)
{
  free (s->tidx);
  free (s->high);
  free (s->low);
  free (s->rmatch);
  free (s->matched);
  free (s->cost);
}

int
bt_tracker_update (BtTracker * tracker, const BtParams * params,
    BtDetection * dets, size_t n_dets)
{
  BtParams p = *params;
  Scratch s = { 0 };
  size_t nt = tracker->n_tracks, n_high = 0, n_low = 0, n_pool, i, k;
  size_t big = (nt > n_dets ? nt : n_dets) + 1;

  if (p.min_hits < 1)
    p.min_hits = 1;
  if (p.max_lost < 0)
    p.max_lost = 0;
  for (i = 0; i < n_dets; i++)
    dets[i].track_id = -1;

  /* room for every detection to start a track, and the scratch space */
  if (n_dets > INT32_MAX || nt > INT32_MAX - n_dets
      || nt + n_dets > SIZE_MAX / sizeof (BtTrack)
      || (nt ? nt : 1) > SIZE_MAX / sizeof (double) / (n_dets ? n_dets : 1))
    return -1;
  if (nt + n_dets > tracker->cap) {
    size_t cap = nt + n_dets + 16;
    BtTrack *nb = realloc (tracker->tracks, cap * sizeof *nb);
    if (!nb)
      return -1;
    tracker->tracks = nb;
    tracker->cap = cap;
  }
  s.tidx = malloc (big * sizeof *s.tidx);
  s.high = malloc (big * sizeof *s.high);
  s.low = malloc (big * sizeof *s.low);
  s.rmatch = malloc (big * sizeof *s.rmatch);
  s.matched = calloc (big, 1);
  s.cost = malloc ((nt ? nt : 1) * (n_dets ? n_dets : 1) * sizeof *s.cost);
  if (!s.tidx || !s.high || !s.low || !s.rmatch || !s.matched || !s.cost)
    goto oom;

  for (i = 0; i < nt; i++)
    kalman_predict (&tracker->tracks[i]);
  for (i = 0; i < n_dets; i++) {
    if (!box_valid (&dets[i].box) || !(dets[i].score >= p.low_thresh))
      continue;
    if (dets[i].score >= p.high_thresh)
      s.high[n_high++] = (int) i;
    else
      s.low[n_low++] = (int) i;
  }

  /* first stage: high-score detections with every track */
  for (i = 0; i < nt; i++)
    s.tidx[i] = (int) i;
  if (associate (tracker, &p, dets, &s, s.tidx, nt, s.high, n_high) < 0)
    goto oom;
  n_pool = compact (s.tidx, nt);
  n_high = compact (s.high, n_high);

  /* second stage: low-score detections with the unmatched tracks that were
   * tracked on the previous frame; lost and tentative tracks need a
   * high-score detection to come back */
  for (i = 0, k = 0; i < n_pool; i++)
    if (tracker->tracks[s.tidx[i]].state == BT_TRACKED)
      s.tidx[k++] = s.tidx[i];
  if (associate (tracker, &p, dets, &s, s.tidx, k, s.low, n_low) < 0)
    goto oom;

  /* retire tentative tracks that missed and reported ones lost too long */
  for (i = 0, k = 0; i < nt; i++) {
    BtTrack *t = &tracker->tracks[i];
    if (!s.matched[i]) {
      if (t->state == BT_TENTATIVE)
        continue;
      t->state = BT_LOST;
      if (++t->lost > p.max_lost)
        continue;
    }
    if (k != i)
      tracker->tracks[k] = *t;
    k++;
  }

  /* new tracks from the high-score detections left over */
  for (i = 0; i < n_high; i++) {
    BtTrack *t = &tracker->tracks[k++];
    BtDetection *d = &dets[s.high[i]];
    memset (t, 0, sizeof *t);
    kalman_initiate (t, &d->box);
    t->state = BT_TENTATIVE;
    t->hits = 1;
    t->label = d->label;
    t->score = d->score;
    if (p.min_hits <= 1) {
      t->id = new_id (tracker);
      t->state = BT_TRACKED;
      d->track_id = t->id;
    }
  }
  tracker->n_tracks = k;
  scratch_free (&s);
  return 0;

oom:
  scratch_free (&s);
  return -1;
}
