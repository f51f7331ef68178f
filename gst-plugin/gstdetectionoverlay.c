/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-detectionoverlay
 * @title: detectionoverlay
 *
 * Draws every #GstVideoRegionOfInterestMeta of a frame: the box outline, and
 * a label holding the class name, the confidence and the track id. Each
 * object gets a colour from a fixed palette, chosen by its track id when
 * objecttracker gave it one, else by its class. Boxes the tracker predicted
 * on a frame without detections (the "tracking" param with predicted=true)
 * are drawn dashed.
 *
 * The drawing is a #GstVideoOverlayComposition made of small rectangles:
 * four thin ones per box outline and one per label, so the work per frame
 * grows with the drawn area and not with the frame size. When upstream
 * negotiated the `meta:GstVideoOverlayComposition` caps feature, or
 * downstream lists %GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE in its
 * answer to the ALLOCATION query, the composition is attached to the buffer
 * as a #GstVideoOverlayCompositionMeta and the pixels are left alone (a
 * compositor or sink downstream draws it); otherwise it is blended into the
 * frame, which works for every raw video format.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! \
 *     yolov7 model=yolov7-tiny.onnx ! objecttracker ! \
 *     detectionoverlay line-width=3 font-desc="Sans 12" ! videoconvert ! \
 *     autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdetectionoverlay.h"
#include "gstdetectionmeta.h"

#include <gst/video/video.h>
#include <pango/pangocairo.h>

GST_DEBUG_CATEGORY_STATIC (gst_detection_overlay_debug);
#define GST_CAT_DEFAULT gst_detection_overlay_debug

#define DEFAULT_LINE_WIDTH 2
#define MIN_LINE_WIDTH 1
#define MAX_LINE_WIDTH 64
#define DEFAULT_FONT_DESC "Sans 10"
#define DEFAULT_SHOW_LABELS TRUE
#define DEFAULT_SHOW_CONFIDENCE TRUE
#define DEFAULT_SHOW_TRACK_ID TRUE

/* Padding in pixels between a label's text and the edge of its background. */
#define LABEL_PADDING 2

enum
{
  PROP_0,
  PROP_LINE_WIDTH,
  PROP_FONT_DESC,
  PROP_SHOW_LABELS,
  PROP_SHOW_CONFIDENCE,
  PROP_SHOW_TRACK_ID,
};

struct _GstDetectionOverlay
{
  GstVideoFilter parent;

  /* properties, under the object lock */
  guint line_width;
  gchar *font_desc;
  gboolean font_changed;
  gboolean show_labels;
  gboolean show_confidence;
  gboolean show_track_id;

  /* text rendering, created in start, used by the streaming thread only */
  PangoFontMap *font_map;
  PangoContext *pango_context;
  PangoLayout *layout;

  /* TRUE: attach the composition as meta; FALSE: blend it into the frame */
  gboolean attach;
  gboolean upstream_has_feature;
  /* set on new caps and on RECONFIGURE: ask downstream about the meta again */
  gint recheck_downstream;
};

#define OVERLAY_CAPS \
    GST_VIDEO_CAPS_MAKE (GST_VIDEO_OVERLAY_COMPOSITION_BLEND_FORMATS) ";" \
    GST_VIDEO_CAPS_MAKE_WITH_FEATURES ( \
        GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION, \
        GST_VIDEO_OVERLAY_COMPOSITION_BLEND_FORMATS)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (OVERLAY_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (OVERLAY_CAPS));

/* Premultiplied, opaque ARGB (native-endian 32-bit words, the layout of
 * CAIRO_FORMAT_ARGB32 and GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB). Twelve
 * hues that stay apart from each other on most video content. */
static const guint32 palette[] = {
  0xffe6194b, 0xff3cb44b, 0xffffe119, 0xff4363d8, 0xfff58231, 0xff911eb4,
  0xff46f0f0, 0xfff032e6, 0xffbcf60c, 0xfffabebe, 0xff008080, 0xffe6beff,
};

G_DEFINE_TYPE (GstDetectionOverlay, gst_detection_overlay,
    GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (detectionoverlay, "detectionoverlay",
    GST_RANK_NONE, GST_TYPE_DETECTION_OVERLAY);

static void
gst_detection_overlay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDetectionOverlay *self = GST_DETECTION_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LINE_WIDTH:
      self->line_width = g_value_get_uint (value);
      break;
    case PROP_FONT_DESC:
      g_free (self->font_desc);
      self->font_desc = g_value_dup_string (value);
      if (!self->font_desc)
        self->font_desc = g_strdup (DEFAULT_FONT_DESC);
      self->font_changed = TRUE;
      break;
    case PROP_SHOW_LABELS:
      self->show_labels = g_value_get_boolean (value);
      break;
    case PROP_SHOW_CONFIDENCE:
      self->show_confidence = g_value_get_boolean (value);
      break;
    case PROP_SHOW_TRACK_ID:
      self->show_track_id = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_detection_overlay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstDetectionOverlay *self = GST_DETECTION_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LINE_WIDTH:
      g_value_set_uint (value, self->line_width);
      break;
    case PROP_FONT_DESC:
      g_value_set_string (value, self->font_desc);
      break;
    case PROP_SHOW_LABELS:
      g_value_set_boolean (value, self->show_labels);
      break;
    case PROP_SHOW_CONFIDENCE:
      g_value_set_boolean (value, self->show_confidence);
      break;
    case PROP_SHOW_TRACK_ID:
      g_value_set_boolean (value, self->show_track_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_detection_overlay_finalize (GObject * object)
{
  GstDetectionOverlay *self = GST_DETECTION_OVERLAY (object);

  g_free (self->font_desc);
  G_OBJECT_CLASS (gst_detection_overlay_parent_class)->finalize (object);
}

static gboolean
gst_detection_overlay_start (GstBaseTransform * trans)
{
  GstDetectionOverlay *self = GST_DETECTION_OVERLAY (trans);

  /* The sink pad takes buffers as soon as it is active, before this runs:
   * hold the streaming thread off while the drawing state is made. */
  GST_PAD_STREAM_LOCK (trans->sinkpad);
  /* A font map of our own: pango's default one is per thread. */
  self->font_map = pango_cairo_font_map_new ();
  if (!self->font_map)
    goto no_font_map;
  self->pango_context = pango_font_map_create_context (self->font_map);
  self->layout = pango_layout_new (self->pango_context);
  GST_OBJECT_LOCK (self);
  self->font_changed = TRUE;
  GST_OBJECT_UNLOCK (self);
  self->attach = FALSE;
  self->upstream_has_feature = FALSE;
  g_atomic_int_set (&self->recheck_downstream, TRUE);
  GST_PAD_STREAM_UNLOCK (trans->sinkpad);
  return TRUE;

  /* ERRORS */
no_font_map:
  {
    GST_PAD_STREAM_UNLOCK (trans->sinkpad);
    GST_ELEMENT_ERROR (self, LIBRARY, INIT,
        ("Could not create a font map for drawing labels."),
        ("pango_cairo_font_map_new() returned NULL"));
    return FALSE;
  }
}

static gboolean
gst_detection_overlay_stop (GstBaseTransform * trans)
{
  GstDetectionOverlay *self = GST_DETECTION_OVERLAY (trans);

  g_clear_object (&self->layout);
  g_clear_object (&self->pango_context);
  g_clear_object (&self->font_map);
  self->attach = FALSE;
  self->upstream_has_feature = FALSE;
  return TRUE;
}

/* Sink to src: offer the caps with the composition feature first (so a
 * downstream that takes the meta gets it), then without, unless upstream
 * already attaches compositions: the feature then stays. Src to sink: a
 * downstream that takes the feature takes caps with or without it from
 * upstream; one that does not must not be handed upstream's meta. */
static GstCaps *
gst_detection_overlay_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstCaps *ret = gst_caps_new_empty ();
  guint i, n = gst_caps_get_size (caps);

  for (i = 0; i < n; i++) {
    GstStructure *s = gst_caps_get_structure (caps, i);
    GstCapsFeatures *f = gst_caps_get_features (caps, i);
    GstCapsFeatures *with, *without;
    gboolean has_meta;

    if (gst_caps_features_is_any (f)) {
      ret = gst_caps_merge_structure_full (ret, gst_structure_copy (s),
          gst_caps_features_copy (f));
      continue;
    }
    has_meta = gst_caps_features_contains (f,
        GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION);
    /* system memory is spelt "video/x-raw(meta:...)", not with both */
    if (gst_caps_features_is_equal (f, GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY))
      with = gst_caps_features_new_empty ();
    else
      with = gst_caps_features_copy (f);
    if (!has_meta)
      gst_caps_features_add (with,
          GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION);
    without = gst_caps_features_copy (f);
    gst_caps_features_remove (without,
        GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION);
    /* no features left means system memory */
    if (gst_caps_features_get_size (without) == 0)
      g_clear_pointer (&without, gst_caps_features_free);

    if (direction == GST_PAD_SINK || has_meta)
      ret = gst_caps_merge_structure_full (ret, gst_structure_copy (s), with);
    else
      gst_caps_features_free (with);
    if (direction == GST_PAD_SRC || !has_meta)
      ret = gst_caps_merge_structure_full (ret, gst_structure_copy (s),
          without);
    else if (without)
      gst_caps_features_free (without);
  }

  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, ret,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (ret);
    ret = tmp;
  }
  GST_DEBUG_OBJECT (trans, "%s %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
      direction == GST_PAD_SINK ? "sink" : "src", caps, ret);
  return ret;
}

static gboolean
gst_detection_overlay_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstDetectionOverlay *self = GST_DETECTION_OVERLAY (filter);
  GstCapsFeatures *f = gst_caps_get_features (incaps, 0);

  (void) in_info;
  (void) outcaps;
  (void) out_info;
  self->upstream_has_feature = f && gst_caps_features_contains (f,
      GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION);
  /* the src caps are set only after this returns: query downstream lazily */
  g_atomic_int_set (&self->recheck_downstream, TRUE);
  return TRUE;
}

static gboolean
gst_detection_overlay_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstDetectionOverlay *self = GST_DETECTION_OVERLAY (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_RECONFIGURE)
    g_atomic_int_set (&self->recheck_downstream, TRUE);
  return GST_BASE_TRANSFORM_CLASS (gst_detection_overlay_parent_class)->src_event
      (trans, event);
}

/* Attach when upstream already negotiated the feature (its meta travels on
 * anyway) or downstream lists the meta API in its ALLOCATION answer; blend
 * otherwise, also when only the caps feature was agreed, as gst-plugins-base's
 * overlaycomposition does. */
static void
gst_detection_overlay_check_downstream (GstDetectionOverlay * self)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstCaps *caps = gst_pad_get_current_caps (trans->srcpad);
  gboolean alloc_has_meta = FALSE;

  if (caps) {
    GstQuery *query = gst_query_new_allocation (caps, FALSE);

    if (gst_pad_peer_query (trans->srcpad, query))
      alloc_has_meta = gst_query_find_allocation_meta (query,
          GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
    else
      GST_DEBUG_OBJECT (self, "ALLOCATION query failed");
    gst_query_unref (query);
    gst_caps_unref (caps);
  }
  self->attach = self->upstream_has_feature || alloc_has_meta;
  GST_DEBUG_OBJECT (self, "upstream feature %d, downstream meta %d: %s",
      self->upstream_has_feature, alloc_has_meta,
      self->attach ? "attaching" : "blending");
}

static guint32
pick_colour (const GstDetectionEntry * e)
{
  guint idx;

  if (e->track_id >= 0)
    idx = (guint) e->track_id;
  else if (e->label_id >= 0)
    idx = (guint) e->label_id;
  else
    idx = g_str_hash (e->type ? e->type : "");
  return palette[idx % G_N_ELEMENTS (palette)];
}

/* Outline pixels of a box: a pixel at (c, r) of a w x h rectangle placed at
 * (x, y) in the frame lies on the outline of the box (bx0, by0)-(bx1, by1)
 * when it is within lw of one of its sides. Dashes are laid out by frame
 * coordinate so that they run on across rectangles and corners. */
typedef struct
{
  gint bx0, by0, bx1, by1;
  guint32 argb;
  gboolean dashed;
  guint lw;
} Outline;

static GstVideoOverlayRectangle *
make_outline_rectangle (const Outline * o, gint x, gint y, guint w, guint h)
{
  GstVideoOverlayRectangle *rect;
  GstBuffer *buf;
  GstMapInfo map;
  gint lw = (gint) o->lw;
  guint dash = MAX (4, 3 * o->lw), period = dash + MAX (3, 2 * o->lw);
  guint r, c;

  buf = gst_buffer_new_allocate (NULL, (gsize) w * h * 4, NULL);
  if (!buf || !gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
    if (buf)
      gst_buffer_unref (buf);
    return NULL;
  }
  for (r = 0; r < h; r++) {
    guint32 *row = (guint32 *) (map.data + (gsize) r * w * 4);
    gint fy = y + (gint) r;
    gboolean hband = fy < o->by0 + lw || fy >= o->by1 - lw;

    for (c = 0; c < w; c++) {
      gint fx = x + (gint) c;
      guint pos;

      if (hband)
        pos = (guint) fx;
      else if (fx < o->bx0 + lw || fx >= o->bx1 - lw)
        pos = (guint) fy;
      else {
        row[c] = 0;
        continue;
      }
      row[c] = (!o->dashed || pos % period < dash) ? o->argb : 0;
    }
  }
  gst_buffer_unmap (buf, &map);
  gst_buffer_add_video_meta (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, w, h);
  rect = gst_video_overlay_rectangle_new_raw (buf, x, y, w, h,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref (buf);
  return rect;
}

static void
add_rectangle (GstVideoOverlayComposition ** comp,
    GstVideoOverlayRectangle * rect)
{
  if (!rect)
    return;
  if (*comp)
    gst_video_overlay_composition_add_rectangle (*comp, rect);
  else
    *comp = gst_video_overlay_composition_new (rect);
  gst_video_overlay_rectangle_unref (rect);
}

/* The outline, drawn inside the box so that boxes touching the frame's
 * border stay visible, as four thin rectangles. Both what blending costs
 * (gst_video_overlay_composition_blend() converts each rectangle's pixels,
 * then unpacks and repacks the frame rows it covers) and what a downstream
 * compositor uploads grow with the rectangles' area: a box-sized rectangle
 * measured 2.5x slower than four edges on 1080p I420, a full-frame one
 * would convert 2 million pixels per frame. */
static void
add_box (GstVideoOverlayComposition ** comp, const Outline * o)
{
  guint w = (guint) (o->bx1 - o->bx0), h = (guint) (o->by1 - o->by0);
  guint lw = o->lw;

  if (w <= 2 * lw || h <= 2 * lw) {
    /* too small for a hollow outline: a filled box */
    add_rectangle (comp, make_outline_rectangle (o, o->bx0, o->by0, w, h));
    return;
  }
  add_rectangle (comp, make_outline_rectangle (o, o->bx0, o->by0, w, lw));
  add_rectangle (comp, make_outline_rectangle (o, o->bx0, o->by1 - (gint) lw,
          w, lw));
  add_rectangle (comp, make_outline_rectangle (o, o->bx0, o->by0 + (gint) lw,
          lw, h - 2 * lw));
  add_rectangle (comp, make_outline_rectangle (o, o->bx1 - (gint) lw,
          o->by0 + (gint) lw, lw, h - 2 * lw));
}

/* A label: the text on a background of the object's colour, placed above
 * the box, or inside it at the top when there is no room above. */
static void
add_label (GstDetectionOverlay * self, GstVideoOverlayComposition ** comp,
    const gchar * text, gint box_x, gint box_y, guint32 argb, gint frame_w,
    gint frame_h)
{
  PangoRectangle logical;
  cairo_surface_t *surface;
  cairo_t *cr;
  GstBuffer *buf;
  GstMapInfo map;
  gint tw, th, stride, x, y;
  gsize offset[GST_VIDEO_MAX_PLANES] = { 0, };
  gint strides[GST_VIDEO_MAX_PLANES] = { 0, };
  gdouble r = ((argb >> 16) & 0xff) / 255.0, g = ((argb >> 8) & 0xff) / 255.0,
      b = (argb & 0xff) / 255.0;

  pango_layout_set_text (self->layout, text, -1);
  pango_layout_get_pixel_extents (self->layout, NULL, &logical);
  tw = MIN (logical.width + 2 * LABEL_PADDING, frame_w);
  th = MIN (logical.height + 2 * LABEL_PADDING, frame_h);
  if (tw <= 0 || th <= 0)
    return;
  stride = cairo_format_stride_for_width (CAIRO_FORMAT_ARGB32, tw);
  buf = gst_buffer_new_allocate (NULL, (gsize) stride * th, NULL);
  if (!buf || !gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
    if (buf)
      gst_buffer_unref (buf);
    return;
  }
  surface = cairo_image_surface_create_for_data (map.data,
      CAIRO_FORMAT_ARGB32, tw, th, stride);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, r, g, b);
  cairo_paint (cr);
  /* dark text on light colours, white text on dark ones */
  if (0.299 * r + 0.587 * g + 0.114 * b > 0.55)
    cairo_set_source_rgb (cr, 0, 0, 0);
  else
    cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_move_to (cr, LABEL_PADDING - logical.x, LABEL_PADDING - logical.y);
  pango_cairo_update_layout (cr, self->layout);
  pango_cairo_show_layout (cr, self->layout);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  cairo_surface_destroy (surface);
  gst_buffer_unmap (buf, &map);

  strides[0] = stride;
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, tw, th, 1, offset, strides);

  x = CLAMP (box_x, 0, frame_w - tw);
  y = box_y - th >= 0 ? box_y - th : box_y;
  y = CLAMP (y, 0, frame_h - th);
  add_rectangle (comp, gst_video_overlay_rectangle_new_raw (buf, x, y, tw, th,
          GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA));
  gst_buffer_unref (buf);
}

typedef struct
{
  guint line_width;
  gboolean show_labels;
  gboolean show_confidence;
  gboolean show_track_id;
} DrawSettings;

static GstVideoOverlayComposition *
gst_detection_overlay_build (GstDetectionOverlay * self, GstBuffer * buf,
    const DrawSettings * ds, gint fw, gint fh)
{
  GstVideoOverlayComposition *comp = NULL;
  GArray *entries = gst_detection_meta_collect (buf);
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < entries->len; i++) {
    const GstDetectionEntry *e = &g_array_index (entries, GstDetectionEntry, i);
    gint x0, y0, x1, y1;
    Outline o;

    x0 = CLAMP (e->x, 0, fw);
    y0 = CLAMP (e->y, 0, fh);
    x1 = (gint) CLAMP ((gint64) e->x + e->w, 0, fw);
    y1 = (gint) CLAMP ((gint64) e->y + e->h, 0, fh);
    if (x1 <= x0 || y1 <= y0)
      continue;

    o.bx0 = x0;
    o.by0 = y0;
    o.bx1 = x1;
    o.by1 = y1;
    o.argb = pick_colour (e);
    o.dashed = e->predicted;
    o.lw = ds->line_width;
    add_box (&comp, &o);

    g_string_truncate (text, 0);
    if (ds->show_labels && e->label && *e->label)
      g_string_append (text, e->label);
    if (ds->show_confidence && e->has_detection)
      g_string_append_printf (text, "%s%.2f", text->len ? " " : "",
          e->confidence);
    if (ds->show_track_id && e->track_id >= 0)
      g_string_append_printf (text, "%s#%d", text->len ? " " : "", e->track_id);
    if (text->len)
      add_label (self, &comp, text->str, x0, y0, o.argb, fw, fh);
  }
  g_array_unref (entries);
  g_string_free (text, TRUE);
  return comp;
}

static GstFlowReturn
gst_detection_overlay_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstDetectionOverlay *self = GST_DETECTION_OVERLAY (trans);
  GstVideoFilter *filter = GST_VIDEO_FILTER (trans);
  GstVideoOverlayComposition *comp;
  GstVideoOverlayCompositionMeta *upstream;
  DrawSettings ds;
  gchar *font = NULL;

  if (!gst_detection_meta_has_any (buf))
    return GST_FLOW_OK;
  if (G_UNLIKELY (!self->layout))
    goto not_started;

  if (g_atomic_int_compare_and_exchange (&self->recheck_downstream, TRUE,
          FALSE))
    gst_detection_overlay_check_downstream (self);

  GST_OBJECT_LOCK (self);
  ds.line_width = self->line_width;
  ds.show_labels = self->show_labels;
  ds.show_confidence = self->show_confidence;
  ds.show_track_id = self->show_track_id;
  if (self->font_changed) {
    font = g_strdup (self->font_desc);
    self->font_changed = FALSE;
  }
  GST_OBJECT_UNLOCK (self);

  if (font) {
    PangoFontDescription *desc = pango_font_description_from_string (font);

    pango_layout_set_font_description (self->layout, desc);
    pango_font_description_free (desc);
    g_free (font);
  }

  comp = gst_detection_overlay_build (self, buf, &ds,
      GST_VIDEO_INFO_WIDTH (&filter->in_info),
      GST_VIDEO_INFO_HEIGHT (&filter->in_info));
  if (!comp)
    return GST_FLOW_OK;

  if (self->attach) {
    /* keep what upstream attached and draw ours on top of it */
    upstream = gst_buffer_get_video_overlay_composition_meta (buf);
    if (upstream) {
      GstVideoOverlayComposition *merged =
          gst_video_overlay_composition_copy (upstream->overlay);
      guint i, n = gst_video_overlay_composition_n_rectangles (comp);

      for (i = 0; i < n; i++)
        gst_video_overlay_composition_add_rectangle (merged,
            gst_video_overlay_composition_get_rectangle (comp, i));
      gst_video_overlay_composition_unref (comp);
      comp = merged;
      gst_buffer_remove_video_overlay_composition_meta (buf, upstream);
    }
    gst_buffer_add_video_overlay_composition_meta (buf, comp);
  } else {
    GstVideoFrame frame;

    if (!gst_video_frame_map (&frame, &filter->in_info, buf,
            GST_MAP_READWRITE))
      goto map_failed;
    gst_video_overlay_composition_blend (comp, &frame);
    gst_video_frame_unmap (&frame);
  }
  gst_video_overlay_composition_unref (comp);
  return GST_FLOW_OK;

  /* ERRORS */
not_started:
  {
    /* a buffer that raced start() on an activating pad */
    GST_DEBUG_OBJECT (self, "not started yet, refusing %" GST_PTR_FORMAT, buf);
    return GST_FLOW_FLUSHING;
  }
map_failed:
  {
    gst_video_overlay_composition_unref (comp);
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not map a video frame."),
        ("gst_video_frame_map() failed on %" GST_PTR_FORMAT, buf));
    return GST_FLOW_ERROR;
  }
}

static void
gst_detection_overlay_class_init (GstDetectionOverlayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_detection_overlay_debug, "detectionoverlay", 0,
      "Draws detections and tracks");

  gobject_class->set_property = gst_detection_overlay_set_property;
  gobject_class->get_property = gst_detection_overlay_get_property;
  gobject_class->finalize = gst_detection_overlay_finalize;

  /**
   * GstDetectionOverlay:line-width:
   *
   * Thickness in pixels of the box outlines, drawn inside each box.
   */
  g_object_class_install_property (gobject_class, PROP_LINE_WIDTH,
      g_param_spec_uint ("line-width", "Line width",
          "Thickness in pixels of the box outlines", MIN_LINE_WIDTH,
          MAX_LINE_WIDTH, DEFAULT_LINE_WIDTH,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));
  /**
   * GstDetectionOverlay:font-desc:
   *
   * Pango font description of the labels, e.g. "Sans Bold 12"; NULL
   * restores the default.
   */
  g_object_class_install_property (gobject_class, PROP_FONT_DESC,
      g_param_spec_string ("font-desc", "Font description",
          "Pango font description of the labels", DEFAULT_FONT_DESC,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));
  /**
   * GstDetectionOverlay:show-labels:
   *
   * Write the class name of each object in its label.
   */
  g_object_class_install_property (gobject_class, PROP_SHOW_LABELS,
      g_param_spec_boolean ("show-labels", "Show labels",
          "Write the class name of each object", DEFAULT_SHOW_LABELS,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));
  /**
   * GstDetectionOverlay:show-confidence:
   *
   * Write the detection confidence (0-1, two decimals) in each label.
   */
  g_object_class_install_property (gobject_class, PROP_SHOW_CONFIDENCE,
      g_param_spec_boolean ("show-confidence", "Show confidence",
          "Write the detection confidence of each object",
          DEFAULT_SHOW_CONFIDENCE, G_PARAM_READWRITE |
          GST_PARAM_MUTABLE_PLAYING | G_PARAM_STATIC_STRINGS));
  /**
   * GstDetectionOverlay:show-track-id:
   *
   * Write the track id ("#7") of each tracked object in its label.
   */
  g_object_class_install_property (gobject_class, PROP_SHOW_TRACK_ID,
      g_param_spec_boolean ("show-track-id", "Show track id",
          "Write the track id of each tracked object", DEFAULT_SHOW_TRACK_ID,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
          G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Detection overlay",
      "Filter/Effect/Video",
      "Draws detected and tracked objects (boxes, labels, confidence, "
      "track ids) as an overlay composition",
      "yolov7-opencl");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_detection_overlay_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_detection_overlay_stop);
  trans_class->transform_caps =
      GST_DEBUG_FUNCPTR (gst_detection_overlay_transform_caps);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_detection_overlay_src_event);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_detection_overlay_transform_ip);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_detection_overlay_set_info);
}

static void
gst_detection_overlay_init (GstDetectionOverlay * self)
{
  self->line_width = DEFAULT_LINE_WIDTH;
  self->font_desc = g_strdup (DEFAULT_FONT_DESC);
  self->font_changed = TRUE;
  self->show_labels = DEFAULT_SHOW_LABELS;
  self->show_confidence = DEFAULT_SHOW_CONFIDENCE;
  self->show_track_id = DEFAULT_SHOW_TRACK_ID;
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
