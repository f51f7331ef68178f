/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gstdetectionmeta.c: reading and writing the shared ROI conventions. */
#include "gstdetectionmeta.h"

#include <math.h>

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

  meta->id = id;
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
