/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gstdetectionmeta.c: reading and writing the shared ROI conventions. */
#include "gstdetectionmeta.h"

#include <math.h>
#include <string.h>

#if defined (HAVE_GST_ANALYTICS) && GST_CHECK_VERSION (1, 24, 0)
#include <gst/analytics/analytics.h>
#define DETECTION_ANALYTICS 1
#endif

#ifdef DETECTION_ANALYTICS
/* The buffer's relation meta, added when it has none. */
static GstAnalyticsRelationMeta *
relation_meta (GstBuffer * buf)
{
  GstAnalyticsRelationMeta *rmeta = gst_buffer_get_analytics_relation_meta (buf);

  return rmeta ? rmeta : gst_buffer_add_analytics_relation_meta (buf);
}
#endif

static gdouble
clampd (gdouble v, gdouble lo, gdouble hi)
{
  return v < lo ? lo : (v > hi ? hi : v);
}

GstVideoRegionOfInterestMeta *
gst_detection_meta_add (GstBuffer * buf, const gchar * label, gint label_id,
    gdouble confidence, gdouble x0, gdouble y0, gdouble x1, gdouble y1,
    gint width, gint height)
{
  GstVideoRegionOfInterestMeta *meta;
  GstStructure *s;
  guint px, py, pw, ph;

  x0 = clampd (x0, 0, width);
  x1 = clampd (x1, x0, width);
  y0 = clampd (y0, 0, height);
  y1 = clampd (y1, y0, height);
  px = (guint) floor (x0);
  py = (guint) floor (y0);
  pw = (guint) (ceil (x1) - px);
  ph = (guint) (ceil (y1) - py);
  meta = gst_buffer_add_video_region_of_interest_meta (buf,
      label && *label ? label : "object", px, py, pw, ph);
  meta->id = -1;
  s = gst_structure_new (GST_DETECTION_PARAM,
      "x_min", G_TYPE_DOUBLE, width > 0 ? x0 / width : 0.0,
      "y_min", G_TYPE_DOUBLE, height > 0 ? y0 / height : 0.0,
      "x_max", G_TYPE_DOUBLE, width > 0 ? x1 / width : 0.0,
      "y_max", G_TYPE_DOUBLE, height > 0 ? y1 / height : 0.0,
      "confidence", G_TYPE_DOUBLE, confidence,
      "label_id", G_TYPE_INT, label_id,
      "label", G_TYPE_STRING, label ? label : "", NULL);
  gst_video_region_of_interest_meta_add_param (meta, s);
#ifdef DETECTION_ANALYTICS
  {
    GstAnalyticsRelationMeta *rmeta = relation_meta (buf);
    GstAnalyticsODMtd od;

    if (rmeta && gst_analytics_relation_meta_add_od_mtd (rmeta, meta->roi_type,
            (gint) px, (gint) py, (gint) pw, (gint) ph, (gfloat) confidence, &od))
      meta->id = (gint) od.id;
  }
#endif
  return meta;
}

gboolean
gst_detection_meta_get (GstVideoRegionOfInterestMeta * meta,
    gdouble * confidence, gint * label_id, const gchar ** label)
{
  GstStructure *s = gst_video_region_of_interest_meta_get_param (meta,
      GST_DETECTION_PARAM);
  gdouble c = 0;
  gint id = -1;

  if (!s)
    return FALSE;
  gst_structure_get_double (s, "confidence", &c);
  gst_structure_get_int (s, "label_id", &id);
  if (confidence)
    *confidence = c;
  if (label_id)
    *label_id = id;
  if (label)
    *label = gst_structure_get_string (s, "label");
  return TRUE;
}

gint
gst_detection_meta_get_track_id (GstVideoRegionOfInterestMeta * meta)
{
  GstStructure *s = gst_video_region_of_interest_meta_get_param (meta,
      GST_OBJECT_ID_PARAM);
  gint id;

  if (s && gst_structure_get_int (s, "id", &id))
    return id;
  return -1;
}

void
gst_detection_meta_set_track_id (GstVideoRegionOfInterestMeta * meta, gint id)
{
  GstStructure *s = gst_video_region_of_interest_meta_get_param (meta,
      GST_OBJECT_ID_PARAM);

#ifndef DETECTION_ANALYTICS
  /* with the analytics library the id stays the ODMtd's */
  meta->id = id;
#endif
  if (s)
    gst_structure_set (s, "id", G_TYPE_INT, id, NULL);
  else
    gst_video_region_of_interest_meta_add_param (meta,
        gst_structure_new (GST_OBJECT_ID_PARAM, "id", G_TYPE_INT, id, NULL));
}

gboolean
gst_detection_meta_is_predicted (GstVideoRegionOfInterestMeta * meta)
{
  GstStructure *s = gst_video_region_of_interest_meta_get_param (meta,
      GST_TRACKING_PARAM);
  gboolean p = FALSE;

  return s && gst_structure_get_boolean (s, "predicted", &p) && p;
}

static void
register_inference_meta (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    static const gchar *tags[] = { NULL };
    if (!gst_meta_get_info (GST_DETECTION_INFERENCE_META))
      gst_meta_register_custom (GST_DETECTION_INFERENCE_META, tags, NULL, NULL, NULL);
    g_once_init_leave (&once, 1);
  }
}

void
gst_detection_meta_mark_inferred (GstBuffer * buf)
{
  register_inference_meta ();
  if (!gst_buffer_get_custom_meta (buf, GST_DETECTION_INFERENCE_META))
    gst_buffer_add_custom_meta (buf, GST_DETECTION_INFERENCE_META);
}

gboolean
gst_detection_meta_was_inferred (GstBuffer * buf)
{
  register_inference_meta ();
  return gst_buffer_get_custom_meta (buf, GST_DETECTION_INFERENCE_META) != NULL;
}

static void
entry_from_roi (GstDetectionEntry * e, GstVideoRegionOfInterestMeta * roi)
{
  memset (e, 0, sizeof *e);
  e->x = (gint) MIN (roi->x, (guint) G_MAXINT);
  e->y = (gint) MIN (roi->y, (guint) G_MAXINT);
  e->w = (gint) MIN (roi->w, (guint) G_MAXINT);
  e->h = (gint) MIN (roi->h, (guint) G_MAXINT);
  e->type = g_quark_to_string (roi->roi_type);
  e->label_id = -1;
  e->has_detection = gst_detection_meta_get (roi, &e->confidence,
      &e->label_id, &e->label);
  if (!e->label || !*e->label)
    e->label = e->type;
  e->track_id = gst_detection_meta_get_track_id (roi);
  e->predicted = gst_detection_meta_is_predicted (roi);
  e->roi = roi;
  e->od_id = -1;
}

#ifdef DETECTION_ANALYTICS
/* The tracking entry related to an ODMtd (either direction), if any. */
static gboolean
find_tracking (GstAnalyticsRelationMeta * rmeta, guint od_id,
    GstAnalyticsTrackingMtd * trk)
{
  gpointer state = NULL;

  while (gst_analytics_relation_meta_iterate (rmeta, &state,
          gst_analytics_tracking_mtd_get_mtd_type (), trk))
    if (gst_analytics_relation_meta_get_relation (rmeta, od_id, trk->id)
        != GST_ANALYTICS_REL_TYPE_NONE
        || gst_analytics_relation_meta_get_relation (rmeta, trk->id, od_id)
        != GST_ANALYTICS_REL_TYPE_NONE)
      return TRUE;
  return FALSE;
}

/* Add the ODMtd entries no ROI meta of `entries` stands for. */
static void
collect_od (GstBuffer * buf, GArray * entries)
{
  GstAnalyticsRelationMeta *rmeta = gst_buffer_get_analytics_relation_meta (buf);
  GstAnalyticsODMtd od;
  gpointer state = NULL;
  guint n_roi = entries->len;

  if (!rmeta)
    return;
  while (gst_analytics_relation_meta_iterate (rmeta, &state,
          gst_analytics_od_mtd_get_mtd_type (), &od)) {
    GstDetectionEntry e;
    GstAnalyticsTrackingMtd trk;
    gfloat conf = 0;
    gboolean known = FALSE;

    memset (&e, 0, sizeof e);
    if (!gst_analytics_od_mtd_get_location (&od, &e.x, &e.y, &e.w, &e.h, &conf))
      continue;
    e.type = g_quark_to_string (gst_analytics_od_mtd_get_obj_type (&od));
    for (guint i = 0; i < n_roi && !known; i++) {
      GstDetectionEntry *r = &g_array_index (entries, GstDetectionEntry, i);
      if (r->roi->id == (gint) od.id && r->x == e.x && r->y == e.y
          && r->w == e.w && r->h == e.h && g_strcmp0 (r->type, e.type) == 0) {
        r->od_id = (gint) od.id;
        known = TRUE;
      }
    }
    if (known)
      continue;
    e.label = e.type;
    e.has_detection = TRUE;
    e.confidence = conf;
    e.label_id = -1;
    e.track_id = -1;
    e.od_id = (gint) od.id;
    if (find_tracking (rmeta, od.id, &trk)) {
      guint64 tid = 0;
      GstClockTime first, last;
      gboolean lost = FALSE;

      if (gst_analytics_tracking_mtd_get_info (&trk, &tid, &first, &last, &lost)) {
        e.track_id = (gint) MIN (tid, (guint64) G_MAXINT);
        /* a box the tracker predicted: its object was last seen earlier */
        e.predicted = GST_BUFFER_PTS_IS_VALID (buf) && GST_CLOCK_TIME_IS_VALID (last)
            && last < GST_BUFFER_PTS (buf);
      }
    }
    g_array_append_val (entries, e);
  }
}
#endif

gboolean
gst_detection_meta_has_any (GstBuffer * buf)
{
  if (gst_buffer_get_meta (buf, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))
    return TRUE;
#ifdef DETECTION_ANALYTICS
  if (gst_buffer_get_analytics_relation_meta (buf))
    return TRUE;
#endif
  return FALSE;
}

GArray *
gst_detection_meta_collect (GstBuffer * buf)
{
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (GstDetectionEntry));
  gpointer state = NULL;
  GstMeta *m;

  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstDetectionEntry e;
    entry_from_roi (&e, (GstVideoRegionOfInterestMeta *) m);
    g_array_append_val (entries, e);
  }
#ifdef DETECTION_ANALYTICS
  collect_od (buf, entries);
#endif
  return entries;
}

#ifdef DETECTION_ANALYTICS
/* The entry's ODMtd, added from its ROI meta when it has none yet. */
static gboolean
entry_od (GstAnalyticsRelationMeta * rmeta, GstDetectionEntry * e,
    GstAnalyticsODMtd * od)
{
  if (e->od_id >= 0)
    return gst_analytics_relation_meta_get_od_mtd (rmeta, (guint) e->od_id, od);
  if (!gst_analytics_relation_meta_add_od_mtd (rmeta,
          g_quark_from_string (e->type ? e->type : "object"), e->x, e->y, e->w,
          e->h, (gfloat) e->confidence, od))
    return FALSE;
  e->od_id = (gint) od->id;
  if (e->roi)
    e->roi->id = e->od_id;
  return TRUE;
}
#endif

void
gst_detection_meta_add_tracking (GstBuffer * buf, GstDetectionEntry * e,
    gint track_id, GstClockTime first_seen, GstClockTime last_seen, gboolean lost)
{
#ifdef DETECTION_ANALYTICS
  GstAnalyticsRelationMeta *rmeta = relation_meta (buf);
  GstAnalyticsTrackingMtd trk;
  GstAnalyticsODMtd od;

  if (!rmeta || !gst_analytics_relation_meta_add_tracking_mtd (rmeta,
          (guint64) track_id, first_seen, &trk))
    return;
  if (GST_CLOCK_TIME_IS_VALID (last_seen))
    gst_analytics_tracking_mtd_update_last_seen (&trk, last_seen);
  if (lost)
    gst_analytics_tracking_mtd_set_lost (&trk);
  if (e && entry_od (rmeta, e, &od))
    gst_analytics_relation_meta_set_relation (rmeta,
        GST_ANALYTICS_REL_TYPE_RELATE_TO, od.id, trk.id);
#else
  (void) buf;
  (void) e;
  (void) track_id;
  (void) first_seen;
  (void) last_seen;
  (void) lost;
#endif
}
