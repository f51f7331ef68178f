/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cl_gemm.c: tile and split-K choice for the GPU convolution kernels.  The
 * best choice depends on the device (compute units, registers, caches) and
 * the layer, so on a GPU each layer shape is timed with every candidate
 * once and the winner is remembered in the cache directory. */
#include "cl_gemm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tiles of conv_gpu.cl: BM x BN outputs a work-group, TM x TN a
 * work-item; the heuristic picks among those with a speed. */
static const struct {
  const char *kernel, *name;
  int bm, bn, tm, tn;
  double speed;   /* relative throughput of a fully used, fully parallel tile */
} tiles[] = {
  { "conv_gemm_l", "l", 128, 128, 8, 8, 1.0 },
  { "conv_gemm_m", "m", 64, 128, 4, 8, 0.9 },
  { "conv_gemm_t", "t", 32, 128, 4, 8, 0.8 },
  { "conv_gemm_s", "s", 64, 64, 4, 4, 0.8 },
  /* 32-deep slices: half the barriers and fetch overhead per FMA, twice the
   * __local memory; only the measured choice tries them */
  { "conv_gemm_l32", "L", 128, 128, 8, 8, 0 },
  { "conv_gemm_m32", "M", 64, 128, 4, 8, 0 },
  /* the same with the accumulators in named vectors rather than an array
   * (see conv_gpu.cl): not yet measured on a GPU, so measured choice only */
  { "conv_gemm_lv", "lv", 128, 128, 8, 8, 0 },
  { "conv_gemm_mv", "mv", 64, 128, 4, 8, 0 },
  { "conv_gemm_sv", "sv", 64, 64, 4, 4, 0 },
  { "conv_gemm_lv32", "Lv", 128, 128, 8, 8, 0 },
};
#define N_TILES ((int) (sizeof tiles / sizeof tiles[0]))
#define GK 16              /* conv_gpu.cl's smaller K slice */
#define MAX_SPLIT 32
#define MIN_SLICES 4       /* K slices each split keeps at least */
#define MAX_PART_BYTES ((size_t) 64 << 20)

static double
groups_of (const yv7_conv_shape *s, int t)
{
  int OCg = s->OC / s->G, P = s->OH * s->OW;
  return (double) ((OCg + tiles[t].bm - 1) / tiles[t].bm)
      * (double) ((P + tiles[t].bn - 1) / tiles[t].bn) * s->N * s->G;
}

static int
slices_of (const yv7_conv_shape *s)
{
  return (s->C / s->G * s->KH * s->KW + GK - 1) / GK;
}

/* Work-groups that keep every compute unit busy with a few groups each. */
static double
wanted_groups (const yv7_cl *cl)
{
  return 4.0 * (cl->compute_units ? cl->compute_units : 1);
}

size_t
yv7_gemm_part_bytes (const yv7_conv_shape *s, yv7_gemm_plan p)
{
  if (p.split <= 1)
    return 0;
  return (size_t) p.split * (size_t) s->N * (size_t) s->OC * (size_t) s->OH
      * (size_t) s->OW * sizeof (float);
}

yv7_gemm_plan
yv7_gemm_heuristic (const yv7_cl *cl, const yv7_conv_shape *s)
{
  const char *et = getenv ("YV7_GPU_TILE"), *es = getenv ("YV7_GPU_SPLIT");
  int OCg = s->OC / s->G, P = s->OH * s->OW, nk = slices_of (s);
  double want = wanted_groups (cl), best = -1;
  yv7_gemm_plan p = { 0, 1 };

  for (int t = 0; t < N_TILES; t++) {
    double groups = groups_of (s, t);
    double used = (double) OCg * P / (groups / (s->N * s->G) * tiles[t].bm * tiles[t].bn);
    double score = tiles[t].speed * used * (groups < want ? groups / want : 1.0);
    if (et && !strcmp (et, tiles[t].name)) {
      p.tile = t;
      break;
    }
    if (tiles[t].speed <= 0)
      continue;
    if (score > best) {
      best = score;
      p.tile = t;
    }
  }
  while (p.split < MAX_SPLIT && groups_of (s, p.tile) * p.split * 2 <= want
      && nk / (p.split * 2) >= MIN_SLICES)
    p.split *= 2;
  if (es && atoi (es) >= 1)
    p.split = atoi (es) > MAX_SPLIT ? MAX_SPLIT : atoi (es);
  return p;
}

/* Candidates: every tile, each with no split and the powers of two up to
 * twice what fills the device, while splits keep MIN_SLICES slices. */
static int
candidates (const yv7_cl *cl, const yv7_conv_shape *s, yv7_gemm_plan *out, int max)
{
  int n = 0, nk = slices_of (s);
  double want = wanted_groups (cl);
  for (int t = 0; t < N_TILES; t++)
    for (int sp = 1; sp <= MAX_SPLIT && n < max; sp *= 2) {
      yv7_gemm_plan p = { t, sp };
      if (sp > 1 && (groups_of (s, t) * sp > 2 * want || nk / sp < MIN_SLICES
              || yv7_gemm_part_bytes (s, p) > MAX_PART_BYTES))
        break;
      out[n++] = p;
    }
  return n;
}

size_t
yv7_gemm_tune_part_bytes (const yv7_cl *cl, const yv7_conv_shape *s)
{
  yv7_gemm_plan c[N_TILES * 8];
  size_t most = 0;
  int n = candidates (cl, s, c, N_TILES * 8);
  for (int i = 0; i < n; i++)
    if (yv7_gemm_part_bytes (s, c[i]) > most)
      most = yv7_gemm_part_bytes (s, c[i]);
  return most;
}

yv7_status
yv7_gemm_enqueue (yv7_cl *cl, const yv7_conv_shape *s, yv7_gemm_plan p,
    const yv7_gemm_args *a)
{
  int t = p.tile, S = p.split, OCg = s->OC / s->G, P = s->OH * s->OW, KK = s->KH * s->KW;
  size_t lx = (size_t) (tiles[t].bn / tiles[t].tn), ly = (size_t) (tiles[t].bm / tiles[t].tm);
  size_t lsz[3] = { lx, ly, 1 };
  size_t g3[3] = { (size_t) (P + tiles[t].bn - 1) / tiles[t].bn * lx,
                   (size_t) (OCg + tiles[t].bm - 1) / tiles[t].bm * ly,
                   (size_t) s->N * s->G * S };
  cl_mem part = S > 1 ? a->part : a->y;   /* unread without split K */
  yv7_status st = yv7_cl_launch_local (cl, tiles[t].kernel, 3, g3, lsz,
      YV7_CL_ARG (a->x), YV7_CL_ARG (a->xo), YV7_CL_ARG (a->w), YV7_CL_ARG (a->wo),
      YV7_CL_ARG (a->ktab), YV7_CL_ARG (a->bias), YV7_CL_ARG (a->bo),
      YV7_CL_ARG (a->has_bias), YV7_CL_ARG (a->y), YV7_CL_ARG (a->yo), YV7_CL_ARG (s->C),
      YV7_CL_ARG (s->H), YV7_CL_ARG (s->W), YV7_CL_ARG (s->OC), YV7_CL_ARG (s->OH),
      YV7_CL_ARG (s->OW), YV7_CL_ARG (s->SH), YV7_CL_ARG (s->SW), YV7_CL_ARG (s->PH),
      YV7_CL_ARG (s->PW), YV7_CL_ARG (KK), YV7_CL_ARG (s->G), YV7_CL_ARG (a->act),
      YV7_CL_ARG (a->alpha), YV7_CL_ARG (S), YV7_CL_ARG (part), YV7_CL_END);
  if (st == YV7_OK && S > 1) {
    size_t total = (size_t) s->N * (size_t) s->OC * (size_t) P;
    st = yv7_cl_launch (cl, "conv_splitk_reduce", 1, &total, YV7_CL_ARG (a->part),
        YV7_CL_ARG (S), YV7_CL_ARG (a->bias), YV7_CL_ARG (a->bo), YV7_CL_ARG (a->has_bias),
        YV7_CL_ARG (a->y), YV7_CL_ARG (a->yo), YV7_CL_ARG (s->OC), YV7_CL_ARG (P),
        YV7_CL_ARG (a->act), YV7_CL_ARG (a->alpha), YV7_CL_END);
  }
  return st;
}

/* The im2col table of a layer: for k = (ic, ky, kx), the offset of input
 * (ic, ky*DH, kx*DW) in one image's group and (ky*DH) << 16 | kx*DW. */
int *
yv7_gemm_ktable (const yv7_conv_shape *s, size_t *bytes)
{
  int ICg = s->C / s->G, KK = s->KH * s->KW;
  int *t;
  if (s->DH * (s->KH - 1) >= 65536 || s->DW * (s->KW - 1) >= 65536
      || (double) ICg * s->H * s->W >= 2147483647.0)
    return NULL;
  *bytes = (size_t) ICg * (size_t) KK * 2 * sizeof (int);
  if (!(t = malloc (*bytes ? *bytes : 1)))
    return NULL;
  for (int ic = 0; ic < ICg; ic++)
    for (int ky = 0; ky < s->KH; ky++)
      for (int kx = 0; kx < s->KW; kx++) {
        size_t k = ((size_t) ic * KK + (size_t) (ky * s->KW + kx)) * 2;
        int dy = ky * s->DH, dx = kx * s->DW;
        t[k] = (ic * s->H + dy) * s->W + dx;
        t[k + 1] = dy << 16 | dx;
      }
  return t;
}

yv7_status
yv7_gemm_tune (yv7_cl *cl, const yv7_conv_shape *s, const yv7_gemm_args *a,
    yv7_gemm_plan *best)
{
  yv7_gemm_plan c[N_TILES * 8];
  int n = candidates (cl, s, c, N_TILES * 8);
  double best_ms = -1;
  yv7_status first_error = YV7_OK;
  *best = c[0];
  for (int i = 0; i < n; i++) {
    double t0, ms = 0;
    int reps = 0;
    /* first use compiles; a candidate the device cannot launch (work-group
     * or __local memory too big for it) is skipped, not an error */
    yv7_status st = yv7_gemm_enqueue (cl, s, c[i], a);
    if (st != YV7_OK) {
      if (first_error == YV7_OK)
        first_error = st;
      continue;
    }
    if (clFinish (cl->queue) != CL_SUCCESS)
      return YV7_E_DEVICE;
    /* repeat until 2 ms or 20 runs, whichever first: the mean of a few
     * back-to-back runs, as the network runs them */
    t0 = yv7_cl_now_ms ();
    while (reps < 20 && (reps < 3 || ms < 2.0)) {
      if ((st = yv7_gemm_enqueue (cl, s, c[i], a)) != YV7_OK)
        return st;
      reps++;
      if (reps % 3 == 0 || reps == 20) {
        clFinish (cl->queue);
        ms = yv7_cl_now_ms () - t0;
      }
    }
    clFinish (cl->queue);
    ms = (yv7_cl_now_ms () - t0) / reps;
    if (best_ms < 0 || ms < best_ms) {
      best_ms = ms;
      *best = c[i];
    }
  }
  return best_ms < 0 ? (first_error != YV7_OK ? first_error : YV7_E_DEVICE) : YV7_OK;
}

/* ---- remembered plans ---- */

#define SHAPE_FMT "%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d"
#define SHAPE_ARGS(s) (s)->N, (s)->C, (s)->H, (s)->W, (s)->OC, (s)->OH, (s)->OW, \
    (s)->KH, (s)->KW, (s)->SH, (s)->SW, (s)->PH, (s)->PW, (s)->DH, (s)->DW, (s)->G

static bool
push (yv7_gemm_cache *c, const yv7_conv_shape *s, yv7_gemm_plan p)
{
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : 64;
    void *e = realloc (c->e, (size_t) cap * sizeof *c->e);
    if (!e)
      return false;
    c->e = e;
    c->cap = cap;
  }
  c->e[c->n].s = *s;
  c->e[c->n].p = p;
  c->n++;
  return true;
}

void
yv7_gemm_cache_load (yv7_gemm_cache *c, const yv7_cl *cl)
{
  char path[4096], dir[4000], line[512];
  FILE *f;
  memset (c, 0, sizeof *c);
  if (!yv7_cl_cache_file (cl, "-gemm.txt", path, sizeof path, dir, sizeof dir)
      || !(f = fopen (path, "r")))
    return;
  while (fgets (line, sizeof line, f)) {
    yv7_conv_shape s;
    char name[8];
    yv7_gemm_plan p = { -1, 0 };
    if (sscanf (line, SHAPE_FMT " %7s %d", &s.N, &s.C, &s.H, &s.W, &s.OC, &s.OH, &s.OW,
            &s.KH, &s.KW, &s.SH, &s.SW, &s.PH, &s.PW, &s.DH, &s.DW, &s.G, name,
            &p.split) != 18)
      continue;   /* not ours: ignored, the layer is measured again */
    for (int t = 0; t < N_TILES; t++)
      if (!strcmp (name, tiles[t].name))
        p.tile = t;
    if (p.tile < 0 || p.split < 1 || p.split > MAX_SPLIT)
      continue;
    if (!push (c, &s, p))
      break;
  }
  fclose (f);
}

bool
yv7_gemm_cache_find (const yv7_gemm_cache *c, const yv7_conv_shape *s, yv7_gemm_plan *p)
{
  for (int i = 0; i < c->n; i++)
    if (!memcmp (&c->e[i].s, s, sizeof *s)) {
      *p = c->e[i].p;
      return true;
    }
  return false;
}

void
yv7_gemm_cache_add (yv7_gemm_cache *c, const yv7_cl *cl, const yv7_conv_shape *s,
    yv7_gemm_plan p)
{
  char path[4096], dir[4000];
  FILE *f;
  push (c, s, p);
  if (!yv7_cl_cache_file (cl, "-gemm.txt", path, sizeof path, dir, sizeof dir))
    return;
  yv7_cl_mkdirs (dir);
  /* one short line per write: processes appending at once do not interleave */
  if ((f = fopen (path, "a"))) {
    fprintf (f, SHAPE_FMT " %s %d\n", SHAPE_ARGS (s), tiles[p.tile].name, p.split);
    fclose (f);
  }
}

void
yv7_gemm_cache_clear (yv7_gemm_cache *c)
{
  free (c->e);
  memset (c, 0, sizeof *c);
}
