/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gstdetectionmeta.h: the metadata conventions the four elements share.
 *
 * One GstVideoRegionOfInterestMeta per object, in frame pixels, roi_type =
 * the label's quark, carrying params as DL Streamer's elements do:
 *   "detection": x_min, y_min, x_max, y_max (gdouble, normalised 0-1),
 *                confidence (gdouble), label_id (gint), label (gchararray)
 *   "object_id": id (gint)                  -- set by objecttracker
 *   "tracking":  predicted (gboolean)       -- a box the tracker predicted on
 *                                              a frame without detections
 *
 * Built against GStreamer 1.24+ with its analytics library, each detection is
 * also an object-detection entry (ODMtd) of the buffer's
 * GstAnalyticsRelationMeta (type = label quark, box in frame pixels,
 * confidence), and the ROI meta's `id` is that entry's id: an ROI meta and an
 * ODMtd stand for one object when the ids, types and boxes agree.  The
 * tracker relates a GstAnalyticsTrackingMtd to the ODMtd of each tracked
 * object (GST_ANALYTICS_REL_TYPE_RELATE_TO, ODMtd first).  Without the
 * analytics library, the ROI meta's `id` holds the track id once tracked
 * (else -1). */
#ifndef GST_DETECTION_META_H
#define GST_DETECTION_META_H

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_DETECTION_PARAM "detection"
#define GST_OBJECT_ID_PARAM "object_id"
#define GST_TRACKING_PARAM "tracking"

/* Add one detection (box in frame pixels, clipped to the frame); with the
 * analytics library also its ODMtd, whose id becomes the ROI meta's. */
GstVideoRegionOfInterestMeta *gst_detection_meta_add (GstBuffer * buf,
    const gchar * label, gint label_id, gdouble confidence,
    gdouble x0, gdouble y0, gdouble x1, gdouble y1, gint width, gint height);

/* The "detection" params of an ROI meta: FALSE when it has none.  Any out
 * pointer may be NULL; *label points into the meta. */
gboolean gst_detection_meta_get (GstVideoRegionOfInterestMeta * meta,
    gdouble * confidence, gint * label_id, const gchar ** label);

/* Track id of an ROI meta, or -1 when it has none. */
gint gst_detection_meta_get_track_id (GstVideoRegionOfInterestMeta * meta);
/* Set (or replace) the "object_id" param and the meta's id. */
void gst_detection_meta_set_track_id (GstVideoRegionOfInterestMeta * meta,
    gint id);
/* TRUE when the tracker predicted this box on a frame without detections. */
gboolean gst_detection_meta_is_predicted (GstVideoRegionOfInterestMeta * meta);

/* One object as the elements read it, from either convention. */
typedef struct
{
  gint x, y, w, h;              /* frame pixels */
  const gchar *type;            /* ROI type or ODMtd type (interned) */
  const gchar *label;           /* "detection" label, else the type */
  gboolean has_detection;       /* confidence (and label_id, if known) set */
  gdouble confidence;
  gint label_id;                /* -1: unknown (an ODMtd alone) */
  gint track_id;                /* -1: untracked */
  gboolean predicted;
  GstVideoRegionOfInterestMeta *roi;    /* NULL: an ODMtd without ROI meta */
  gint od_id;                   /* the ODMtd's id, -1: none */
} GstDetectionEntry;

/* Every object on the buffer: its ROI metas, then the ODMtd entries that
 * no ROI meta stands for (written by other elements, e.g. GStreamer's own
 * tensor decoders), with the track id and predicted state of a related
 * tracking entry.  Free with g_array_unref. */
GArray *gst_detection_meta_collect (GstBuffer * buf);
/* Whether the buffer may carry objects: an ROI meta or, with the analytics
 * library, a relation meta (cheap; collect tells what is there). */
gboolean gst_detection_meta_has_any (GstBuffer * buf);

/* With the analytics library, a GstAnalyticsTrackingMtd for track_id
 * (first and last seen: the PTS of the frames its object was first and last
 * detected on; lost: not on this frame), related to the ODMtd of `e`, which
 * is added from `e`'s ROI meta when missing; `e` NULL for a lost track.
 * Without it, nothing. */
void gst_detection_meta_add_tracking (GstBuffer * buf, GstDetectionEntry * e,
    gint track_id, GstClockTime first_seen, GstClockTime last_seen,
    gboolean lost);

/* Frames the detector ran inference on carry a custom meta named
 * GST_DETECTION_INFERENCE_META (even with no detections), so a tracker can
 * tell "nothing found" (age the tracks) from "not looked at" (predict them:
 * inference-interval > 1 or drop-when-busy). */
#define GST_DETECTION_INFERENCE_META "GstDetectionInferenceMeta"
void gst_detection_meta_mark_inferred (GstBuffer * buf);
gboolean gst_detection_meta_was_inferred (GstBuffer * buf);

G_END_DECLS

#endif
