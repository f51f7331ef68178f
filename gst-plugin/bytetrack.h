/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bytetrack.h: the tracking core of objecttracker, plain C without GStreamer.
 *
 * ByteTrack (Zhang et al., 2022) over SORT's constant-velocity Kalman filter:
 * each inferred frame predicts every track, associates the high-score
 * detections with all tracks, then the low-score detections with the tracks
 * still unmatched that were tracked on the previous frame, both by IoU with
 * an optimal assignment; only unmatched high-score detections start tracks.
 * A track is reported (gets an id) once matched on min_hits consecutive
 * inferred frames; a tentative track that misses a frame is dropped; a
 * reported track survives max_lost inferred frames without a match. */
#ifndef BYTETRACK_H
#define BYTETRACK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Axis-aligned box in pixels, corners (x0, y0) top-left, (x1, y1) bottom-right. */
typedef struct
{
  double x0, y0, x1, y1;
} BtBox;

/* One detection of an inferred frame; track_id is written by the tracker. */
typedef struct
{
  BtBox box;
  double score;
  int label;
  int track_id;                 /* out: id of the reported track it matched, else -1 */
} BtDetection;

typedef struct
{
  double high_thresh;           /* first stage and new tracks: score >= high_thresh */
  double low_thresh;            /* second stage: low_thresh <= score < high_thresh */
  double match_iou;             /* a pair associates only when IoU >= match_iou (and > 0) */
  int max_lost;                 /* inferred frames a reported track survives unmatched */
  int min_hits;                 /* consecutive matched frames before a track gets an id */
  int per_class;                /* non-zero: a track only matches its own label */
} BtParams;

typedef enum
{
  BT_TENTATIVE,                 /* not yet min_hits matches: no id */
  BT_TRACKED,                   /* reported, matched on the last inferred frame */
  BT_LOST,                      /* reported, unmatched for `lost` inferred frames */
} BtState;

typedef struct
{
  int id;                       /* > 0 once reported, else 0 */
  BtState state;
  int hits;                     /* matched inferred frames (consecutive while tentative) */
  int lost;                     /* inferred frames unmatched since the last match */
  int label;                    /* of the last matched detection */
  double score;                 /* of the last matched detection */
  double mean[8];               /* cx, cy, aspect w/h, h and their velocities per frame */
  double cov[8 * 8];
} BtTrack;

typedef struct BtTracker BtTracker;

/* Defaults of the objecttracker element. */
void bt_params_init (BtParams * params);

/* NULL when out of memory. */
BtTracker *bt_tracker_new (void);
void bt_tracker_free (BtTracker * tracker);
/* Drop every track; ids keep counting (a flush). */
void bt_tracker_clear (BtTracker * tracker);
/* Drop every track and restart ids at 1 (a new stream). */
void bt_tracker_reset (BtTracker * tracker);

/* One inferred frame: predict, associate, start and retire tracks, and write
 * each detection's track_id.  Detections with an empty or non-finite box, or
 * a score below low_thresh, are ignored.  0 on success, -1 out of memory
 * (the frame is then only partly associated). */
int bt_tracker_update (BtTracker * tracker, const BtParams * params,
    BtDetection * dets, size_t n_dets);
/* One frame the detector skipped: only predict the tracks one frame on. */
void bt_tracker_predict (BtTracker * tracker);

size_t bt_tracker_n_tracks (const BtTracker * tracker);
const BtTrack *bt_tracker_track (const BtTracker * tracker, size_t i);
/* Reported and matched on the last inferred frame: what a skipped frame shows. */
int bt_track_is_active (const BtTrack * track);
/* The track's current (predicted or corrected) box. */
BtBox bt_track_box (const BtTrack * track);

double bt_iou (const BtBox * a, const BtBox * b);

/* Optimal partial assignment on an n x m row-major cost matrix: pairs with a
 * cost above `limit` (or not finite) are never matched, and the matching
 * minimises the sum over matched pairs of (cost - limit), i.e. the matched
 * costs plus limit/2 for each row and each column left unmatched (lapjv's
 * extend_cost with cost_limit, as ByteTrack uses it).  row_match[i] gets the
 * column of row i or -1, col_match[j] the row of column j or -1 (either may be
 * NULL).  Returns the number of matched pairs, -1 out of memory. */
int bt_assign (const double *cost, size_t n, size_t m, double limit,
    int *row_match, int *col_match);

#ifdef __cplusplus
}
#endif

#endif
