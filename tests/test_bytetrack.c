/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_bytetrack.c: the objecttracker core on hand-made sequences whose
 * expected ids are worked out in the comments, and the assignment solver
 * against brute force. */
#include "bytetrack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond, ...) do { \
    if (cond) { \
      passed++; \
    } else { \
      failed++; \
      printf ("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      printf (__VA_ARGS__); \
      printf ("\n"); \
    } \
  } while (0)

static BtDetection
det (double x, double y, double w, double h, double score, int label)
{
  BtDetection d = { { x, y, x + w, y + h }, score, label, -2 };
  return d;
}

static BtParams
params (int min_hits, int max_lost)
{
  BtParams p;

  bt_params_init (&p);
  p.min_hits = min_hits;
  p.max_lost = max_lost;
  return p;
}

/* Run one frame with a single detection and return its track id. */
static int
step1 (BtTracker * t, const BtParams * p, BtDetection d)
{
  if (bt_tracker_update (t, p, &d, 1) != 0)
    return -100;
  return d.track_id;
}

static int
step0 (BtTracker * t, const BtParams * p)
{
  return bt_tracker_update (t, p, NULL, 0);
}

/* ------------------------------------------------------------ assignment */

static unsigned long long rng = 0x9e3779b97f4a7c15ull;

static double
frand (void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (double) (rng >> 11) / (double) (1ull << 53);
}

/* Minimum over all partial matchings of sum (cost - limit) over matched
 * feasible pairs. */
static double
brute (const double *c, int n, int m, double limit, int row, unsigned used)
{
  double best, v;
  int j;

  if (row == n)
    return 0.0;
  best = brute (c, n, m, limit, row + 1, used);
  for (j = 0; j < m; j++) {
    double cij = c[row * m + j];
    if (used & (1u << j) || !isfinite (cij) || cij > limit)
      continue;
    v = cij - limit + brute (c, n, m, limit, row + 1, used | (1u << j));
    if (v < best)
      best = v;
  }
  return best;
}

static void
test_assign_brute_force (void)
{
  int trial, bad = 0, bad_consistency = 0;

  for (trial = 0; trial < 3000; trial++) {
    int n = (int) (frand () * 6), m = (int) (frand () * 6);
    double c[36], limit = 0.2 + 0.8 * frand (), got = 0, want;
    int rm[6], cm[6], i, k, cnt = 0;

    for (i = 0; i < n * m; i++)
      c[i] = frand () < 0.2 ? INFINITY : frand ();
    k = bt_assign (c, n, m, limit, rm, cm);
    for (i = 0; i < n; i++) {
      if (rm[i] < 0)
        continue;
      cnt++;
      got += c[i * m + rm[i]] - limit;
      if (rm[i] >= m || cm[rm[i]] != i || c[i * m + rm[i]] > limit)
        bad_consistency++;
    }
    for (i = 0; i < m; i++)
      if (cm[i] >= 0 && rm[cm[i]] != i)
        bad_consistency++;
    if (cnt != k)
      bad_consistency++;
    want = brute (c, n, m, limit, 0, 0);
    if (fabs (got - want) > 1e-9) {
      if (bad < 3)
        printf ("  %dx%d limit %.3f: solver %.6f, brute force %.6f\n", n, m,
            limit, got, want);
      bad++;
    }
  }
  CHECK (bad == 0, "%d of 3000 random matrices not optimal", bad);
  CHECK (bad_consistency == 0, "%d inconsistent matchings", bad_consistency);
}

static void
test_assign_not_greedy (void)
{
  /* greedy takes (0,0)=0.1 then (1,1)=0.9: 1.0; optimal (0,1)+(1,0) = 0.35 */
  double c[4] = { 0.1, 0.2, 0.15, 0.9 };
  int rm[3], cm[3];

  CHECK (bt_assign (c, 2, 2, 1.0, rm, cm) == 2, "two matches");
  CHECK (rm[0] == 1 && rm[1] == 0, "rows -> %d %d", rm[0], rm[1]);
  /* with limit 0.5, (1,1) is out of the gate: same answer; with limit 0.12
   * only (0,0) is feasible */
  CHECK (bt_assign (c, 2, 2, 0.12, rm, cm) == 1 && rm[0] == 0 && rm[1] == -1
      && cm[1] == -1, "gate 0.12 -> %d %d", rm[0], rm[1]);
  /* 3 rows, 1 column: the cheapest row wins */
  {
    double col[3] = { 0.5, 0.3, 0.4 };
    CHECK (bt_assign (col, 3, 1, 1.0, rm, cm) == 1 && cm[0] == 1,
        "column -> row %d", cm[0]);
  }
  CHECK (bt_assign (c, 0, 2, 1.0, NULL, cm) == 0 && cm[0] == -1
      && cm[1] == -1, "empty");
}

static void
test_iou (void)
{
  BtBox a = { 0, 0, 10, 10 }, b = { 5, 0, 15, 10 }, c = { 20, 20, 30, 30 };
  BtBox e = { 5, 5, 5, 9 };

  CHECK (fabs (bt_iou (&a, &a) - 1.0) < 1e-12, "self");
  /* 50 / (100 + 100 - 50) */
  CHECK (fabs (bt_iou (&a, &b) - 1.0 / 3) < 1e-12, "half: %f", bt_iou (&a, &b));
  CHECK (bt_iou (&a, &c) == 0.0, "disjoint");
  CHECK (bt_iou (&a, &e) == 0.0, "empty box");
}

/* ---------------------------------------------------------------- tracks */

/* A still object: every innovation is zero, so the filter keeps the box
 * exactly, also on skipped frames. */
static void
test_static_object_exact (void)
{
  BtTracker *t = bt_tracker_new ();
  BtParams p = params (1, 30);
  BtBox b;
  int i, ok = 1;

  for (i = 0; i < 10; i++)
    ok &= step1 (t, &p, det (100, 50, 40, 80, 0.9, 0)) == 1;
  CHECK (ok, "id 1 throughout");
  bt_tracker_predict (t);
  bt_tracker_predict (t);
  b = bt_track_box (bt_tracker_track (t, 0));
  CHECK (fabs (b.x0 - 100) < 1e-9 && fabs (b.y0 - 50) < 1e-9
      && fabs (b.x1 - 140) < 1e-9 && fabs (b.y1 - 130) < 1e-9,
      "box %f %f %f %f", b.x0, b.y0, b.x1, b.y1);
  bt_tracker_free (t);
}

/* A moves right, B left, 10 px per frame, 40x40 boxes at nearly the same
 * height: A at x = 10 f, B at x = 305 - 10 f, so they pass each other
 * between f = 15 (A 150, B 155) and f = 16 (A 160, B 145) without ever
 * coinciding.  On f = 16, B's detection overlaps A's *last* box more than
 * A's own detection does (IoU(150->145) = 35/45 = 0.78 > IoU(150->160) =
 * 30/50 = 0.6), so matching against last boxes would swap the ids; the
 * Kalman prediction (A near 160, B near 145) keeps them. */
static void
test_crossing (void)
{
  BtTracker *t = bt_tracker_new ();
  BtParams p = params (1, 30);
  int f, ok = 1;

  for (f = 0; f <= 30; f++) {
    BtDetection d[2] = {
      det (305 - 10 * f, 102, 40, 40, 0.8, 0),  /* B first: order must not matter */
      det (10 * f, 100, 40, 40, 0.9, 0),
    };
    bt_tracker_update (t, &p, d, 2);
    if (f == 0) {
      /* new tracks in detection order: B gets 1, A gets 2 */
      CHECK (d[0].track_id == 1 && d[1].track_id == 2, "f0: %d %d",
          d[0].track_id, d[1].track_id);
    } else if (d[0].track_id != 1 || d[1].track_id != 2) {
      if (ok)
        printf ("  frame %d: B %d A %d\n", f, d[0].track_id, d[1].track_id);
      ok = 0;
    }
  }
  CHECK (ok, "ids kept through the crossing");
  CHECK (bt_tracker_n_tracks (t) == 2, "%zu tracks", bt_tracker_n_tracks (t));
  bt_tracker_free (t);
}

/* Occlusion: with max_lost = 5 an object missing for exactly 5 inferred
 * frames comes back with its id; missing for 6 it was dropped on the 6th
 * and comes back as a new track. */
static void
test_occlusion (void)
{
  BtParams p = params (1, 5);
  BtTracker *t = bt_tracker_new ();
  BtDetection d = det (200, 100, 50, 50, 0.9, 2);
  int i;

  for (i = 0; i < 5; i++)
    step1 (t, &p, d);
  for (i = 0; i < 5; i++)
    step0 (t, &p);
  CHECK (bt_tracker_n_tracks (t) == 1
      && bt_tracker_track (t, 0)->state == BT_LOST
      && bt_tracker_track (t, 0)->lost == 5, "kept while lost 5");
  CHECK (step1 (t, &p, d) == 1, "same id after 5 missing frames");

  for (i = 0; i < 6; i++)
    step0 (t, &p);
  CHECK (bt_tracker_n_tracks (t) == 0, "dropped after 6");
  CHECK (step1 (t, &p, d) == 2, "new id after 6 missing frames");
  bt_tracker_free (t);

  /* a moving object (8 px/frame) hidden for 20 frames, max_lost 30: the
   * prediction carries it on and the reappearing detection, 160 px further,
   * matches it */
  p = params (1, 30);
  t = bt_tracker_new ();
  for (i = 0; i < 20; i++)
    step1 (t, &p, det (20 + 8 * i, 200, 60, 60, 0.9, 0));
  for (i = 20; i < 40; i++)
    step0 (t, &p);
  CHECK (step1 (t, &p, det (20 + 8 * 40, 200, 60, 60, 0.9, 0)) == 1,
      "moving object keeps its id over a 20-frame gap");
  bt_tracker_free (t);
}

/* ByteTrack's second stage: the object's score drops to 0.3 for 4 frames
 * (occlusion), then returns to 0.9.  With the second stage the 0.3 boxes
 * keep track 1 alive and carry its id; with low_thresh = high_thresh (no
 * low-score range) the track is unmatched 4 frames, dropped with max_lost 3,
 * and the object returns as track 2. */
static void
test_second_stage (void)
{
  BtParams p = params (1, 3);
  BtTracker *t = bt_tracker_new ();
  int i, ok = 1;

  for (i = 0; i < 4; i++)
    step1 (t, &p, det (10 + 5 * i, 10, 30, 60, 0.9, 0));
  for (i = 4; i < 8; i++)
    ok &= step1 (t, &p, det (10 + 5 * i, 10, 30, 60, 0.3, 0)) == 1;
  CHECK (ok, "low-score boxes get id 1");
  CHECK (step1 (t, &p, det (10 + 5 * 8, 10, 30, 60, 0.9, 0)) == 1,
      "id 1 after the low-score stretch");
  bt_tracker_free (t);

  p.low_thresh = p.high_thresh;
  t = bt_tracker_new ();
  ok = 1;
  for (i = 0; i < 4; i++)
    step1 (t, &p, det (10 + 5 * i, 10, 30, 60, 0.9, 0));
  for (i = 4; i < 8; i++)
    ok &= step1 (t, &p, det (10 + 5 * i, 10, 30, 60, 0.3, 0)) == -1;
  CHECK (ok, "without the second stage the low-score boxes are untracked");
  CHECK (bt_tracker_n_tracks (t) == 0, "and the track is gone");
  CHECK (step1 (t, &p, det (10 + 5 * 8, 10, 30, 60, 0.9, 0)) == 2,
      "so the object comes back as track 2");
  bt_tracker_free (t);

  /* low-score detections alone never start a track, nor revive a lost one */
  p = params (1, 30);
  t = bt_tracker_new ();
  CHECK (step1 (t, &p, det (0, 0, 20, 20, 0.4, 0)) == -1
      && bt_tracker_n_tracks (t) == 0, "no track from a low score");
  step1 (t, &p, det (100, 100, 20, 20, 0.9, 0));
  step0 (t, &p);
  CHECK (step1 (t, &p, det (100, 100, 20, 20, 0.4, 0)) == -1,
      "a lost track needs a high score");
  CHECK (step1 (t, &p, det (100, 100, 20, 20, 0.6, 0)) == 1,
      "and comes back with it");
  /* scores below low_thresh are ignored altogether */
  CHECK (step1 (t, &p, det (100, 100, 20, 20, 0.05, 0)) == -1
      && bt_tracker_track (t, 0)->state == BT_LOST, "below low_thresh");
  bt_tracker_free (t);
}

/* per_class: a class-1 box in the place of the class-0 track starts its own
 * track (id 2) when associating within a class, takes over id 1 when not. */
static void
test_per_class (void)
{
  BtParams p = params (1, 30);
  BtTracker *t = bt_tracker_new ();

  step1 (t, &p, det (50, 50, 40, 40, 0.9, 0));
  CHECK (step1 (t, &p, det (50, 50, 40, 40, 0.9, 1)) == 2, "per class: new");
  CHECK (bt_tracker_n_tracks (t) == 2, "two tracks");
  bt_tracker_free (t);

  p.per_class = 0;
  t = bt_tracker_new ();
  step1 (t, &p, det (50, 50, 40, 40, 0.9, 0));
  CHECK (step1 (t, &p, det (50, 50, 40, 40, 0.9, 1)) == 1, "any class: same");
  CHECK (bt_tracker_track (t, 0)->label == 1, "the track takes the new label");
  bt_tracker_free (t);

  /* the low-score stage is per class too */
  p.per_class = 1;
  t = bt_tracker_new ();
  step1 (t, &p, det (50, 50, 40, 40, 0.9, 0));
  CHECK (step1 (t, &p, det (50, 50, 40, 40, 0.3, 1)) == -1, "low, other class");
  bt_tracker_free (t);
}

/* min_hits = 3: ids appear on the third consecutive match; a tentative
 * track that misses a frame is dropped and ids are not used up by it. */
static void
test_min_hits (void)
{
  BtParams p = params (3, 30);
  BtTracker *t = bt_tracker_new ();
  BtDetection d = det (10, 10, 30, 30, 0.9, 0);

  CHECK (step1 (t, &p, d) == -1, "hit 1");
  CHECK (step1 (t, &p, d) == -1, "hit 2");
  step0 (t, &p);
  CHECK (bt_tracker_n_tracks (t) == 0, "tentative dropped on a miss");
  CHECK (step1 (t, &p, d) == -1, "hit 1 again");
  CHECK (step1 (t, &p, d) == -1, "hit 2 again");
  bt_tracker_predict (t);       /* a skipped frame is not a miss */
  CHECK (step1 (t, &p, d) == 1, "hit 3: reported as 1");
  CHECK (step1 (t, &p, d) == 1, "stays 1");
  /* once reported, a miss is only a loss */
  step0 (t, &p);
  CHECK (step1 (t, &p, d) == 1, "back after a miss");
  bt_tracker_free (t);
}

/* clear (flush): tracks gone, ids continue; reset (READY): ids restart. */
static void
test_clear_reset (void)
{
  BtParams p = params (1, 30);
  BtTracker *t = bt_tracker_new ();
  BtDetection d = det (10, 10, 30, 30, 0.9, 0);

  CHECK (step1 (t, &p, d) == 1, "first");
  bt_tracker_clear (t);
  CHECK (bt_tracker_n_tracks (t) == 0, "cleared");
  CHECK (step1 (t, &p, d) == 2, "ids continue after clear");
  bt_tracker_reset (t);
  CHECK (bt_tracker_n_tracks (t) == 0, "reset");
  CHECK (step1 (t, &p, d) == 1, "ids restart after reset");
  bt_tracker_free (t);
}

/* Constant velocity: after 30 frames at +6 px/frame in x and -3 in y, the
 * filter's velocity has converged, so k skipped frames later the box is
 * where the motion puts it: x0 = 40 + 6 (29 + k), y0 = 200 - 3 (29 + k). */
static void
test_prediction_on_skipped (void)
{
  BtParams p = params (1, 30);
  BtTracker *t = bt_tracker_new ();
  int i, k, ok = 1;
  double worst = 0;

  for (i = 0; i < 30; i++)
    step1 (t, &p, det (40 + 6 * i, 200 - 3 * i, 50, 100, 0.9, 0));
  for (k = 1; k <= 5; k++) {
    const BtTrack *tr;
    BtBox b;
    double ex = 40 + 6 * (29 + k), ey = 200 - 3 * (29 + k), err;
    bt_tracker_predict (t);
    tr = bt_tracker_track (t, 0);
    b = bt_track_box (tr);
    err = fmax (fmax (fabs (b.x0 - ex), fabs (b.y0 - ey)),
        fmax (fabs (b.x1 - b.x0 - 50), fabs (b.y1 - b.y0 - 100)));
    worst = fmax (worst, err);
    ok &= bt_track_is_active (tr) && err < 0.5;
  }
  CHECK (ok, "predicted boxes within 0.5 px of the motion (worst %.3f)",
      worst);
  CHECK (step1 (t, &p, det (40 + 6 * 35, 200 - 3 * 35, 50, 100, 0.9, 0)) == 1,
      "and the next detection continues the track");
  bt_tracker_free (t);
}

static void
test_bad_detections (void)
{
  BtParams p = params (1, 30);
  BtTracker *t = bt_tracker_new ();
  BtDetection d[3] = {
    det (10, 10, 0, 30, 0.9, 0),
    det (NAN, 10, 20, 30, 0.9, 0),
    det (10, 10, 20, 30, NAN, 0),
  };

  CHECK (bt_tracker_update (t, &p, d, 3) == 0, "update");
  CHECK (d[0].track_id == -1 && d[1].track_id == -1 && d[2].track_id == -1
      && bt_tracker_n_tracks (t) == 0, "empty, NaN box, NaN score ignored");
  bt_tracker_free (t);
}

/* Many objects at once stay consistent (exercises growth of the arrays). */
static void
test_many (void)
{
  BtParams p = params (1, 30);
  BtTracker *t = bt_tracker_new ();
  BtDetection d[300];
  int f, i, ok = 1;

  for (f = 0; f < 5; f++) {
    for (i = 0; i < 300; i++)
      d[i] = det ((i % 20) * 50 + f, (i / 20) * 50, 30, 30, 0.9, i % 3);
    bt_tracker_update (t, &p, d, 300);
    for (i = 0; i < 300; i++)
      ok &= d[i].track_id == i + 1;
  }
  CHECK (ok, "300 objects keep ids 1..300");
  bt_tracker_free (t);
}

int
main (void)
{
  test_iou ();
  test_assign_not_greedy ();
  test_assign_brute_force ();
  test_static_object_exact ();
  test_crossing ();
  test_occlusion ();
  test_second_stage ();
  test_per_class ();
  test_min_hits ();
  test_clear_reset ();
  test_prediction_on_skipped ();
  test_bad_detections ();
  test_many ();
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
