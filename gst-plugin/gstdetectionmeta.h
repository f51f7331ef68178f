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
 * The ROI meta's own `id` field holds the track id once tracked (else -1). */
#ifndef GST_DETECTION_META_H
#define GST_DETECTION_META_H

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_DETECTION_PARAM "detection"
#define GST_OBJECT_ID_PARAM "object_id"
#define GST_TRACKING_PARAM "tracking"

/* Add one detection (box in frame pixels, clipped to the frame). */
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

/* Frames the detector ran inference on carry a custom meta named
 * GST_DETECTION_INFERENCE_META (even with no detections), so a tracker can
 * tell "nothing found" (age the tracks) from "not looked at" (predict them:
 * inference-interval > 1 or drop-when-busy). */
#define GST_DETECTION_INFERENCE_META "GstDetectionInferenceMeta"
void gst_detection_meta_mark_inferred (GstBuffer * buf);
gboolean gst_detection_meta_was_inferred (GstBuffer * buf);

G_END_DECLS

#endif
