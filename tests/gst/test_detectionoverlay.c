/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_detectionoverlay.c: GstHarness tests of the detectionoverlay element,
 * fed ROI metas made by the test. */
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

/* The shared ROI conventions, compiled in: the test binary does not link
 * the plugin. */
#include "gstdetectionmeta.c"

#define WIDTH 385
#define HEIGHT 289
/* the test box: x, y, w, h in frame pixels */
#define BX 100
#define BY 80
#define BW 120
#define BH 90

static guint32 rgba_at (GstBuffer * buf, const GstVideoInfo * info, gint x,
    gint y);

static gchar *
caps_string (const gchar * format, const gchar * feature)
{
  return g_strdup_printf ("video/x-raw%s%s%s,format=%s,width=%d,height=%d,"
      "framerate=25/1", feature ? "(" : "", feature ? feature : "",
      feature ? ")" : "", format, WIDTH, HEIGHT);
}

/* A frame of @info filled with zero bytes (and the default palette where
 * the format has one), so that any drawn colour shows. */
static GstBuffer *
new_frame (const GstVideoInfo * info)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info),
      NULL);
  GstVideoFrame frame;

  gst_buffer_memset (buf, 0, 0, GST_VIDEO_INFO_SIZE (info));
  if (GST_VIDEO_FORMAT_INFO_HAS_PALETTE (info->finfo)) {
    gsize size;
    gconstpointer pal = gst_video_format_get_palette (GST_VIDEO_INFO_FORMAT
        (info), &size);

    fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_WRITE));
    memcpy (GST_VIDEO_FRAME_PLANE_DATA (&frame, 1), pal, size);
    gst_video_frame_unmap (&frame);
  }
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 25;
  return buf;
}

static GstVideoRegionOfInterestMeta *
add_box (GstBuffer * buf, gint track_id)
{
  GstVideoRegionOfInterestMeta *m = gst_detection_meta_add (buf, "person", 0,
      0.875, BX, BY, BX + BW, BY + BH, WIDTH, HEIGHT);

  if (track_id >= 0)
    gst_detection_meta_set_track_id (m, track_id);
  return m;
}

/* Row @y of @buf unpacked to the format's 8- or 16-bit unpack format: a way
 * to compare pixels that works for every format. */
static guint8 *
unpack_row (const GstVideoInfo * info, GstBuffer * buf, gint y, gsize * len)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  const GstVideoFormatInfo *uinfo =
      gst_video_format_get_info (finfo->unpack_format);
  GstVideoFrame frame;
  gsize n = (gsize) WIDTH * (GST_VIDEO_FORMAT_INFO_BITS (uinfo) > 8 ? 8 : 4);
  /* tiled formats unpack whole tiles: leave room */
  guint8 *row = g_malloc0 (n + 1024);

  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_READ));
  finfo->unpack_func (finfo, GST_VIDEO_PACK_FLAG_NONE, row, frame.data,
      frame.info.stride, 0, y, WIDTH);
  gst_video_frame_unmap (&frame);
  *len = n;
  return row;
}

static gboolean
rows_equal (const GstVideoInfo * info, GstBuffer * a, GstBuffer * b, gint y)
{
  gsize la, lb;
  guint8 *ra = unpack_row (info, a, y, &la);
  guint8 *rb = unpack_row (info, b, y, &lb);
  gboolean eq = memcmp (ra, rb, la) == 0;

  g_free (ra);
  g_free (rb);
  return eq;
}

/* The unpacked pixel @x of row @y, as four 16-bit-or-less components. */
static void
unpacked_pixel (const GstVideoInfo * info, GstBuffer * buf, gint x, gint y,
    guint16 px[4])
{
  const GstVideoFormatInfo *uinfo =
      gst_video_format_get_info (info->finfo->unpack_format);
  gsize len;
  guint8 *row = unpack_row (info, buf, y, &len);
  gint i;

  for (i = 0; i < 4; i++) {
    if (GST_VIDEO_FORMAT_INFO_BITS (uinfo) > 8)
      px[i] = ((guint16 *) row)[x * 4 + i];
    else
      px[i] = row[x * 4 + i];
  }
  g_free (row);
}

static gboolean
pixels_equal (const GstVideoInfo * info, GstBuffer * a, GstBuffer * b, gint x,
    gint y)
{
  guint16 pa[4], pb[4];

  unpacked_pixel (info, a, x, y, pa);
  unpacked_pixel (info, b, x, y, pb);
  return memcmp (pa, pb, sizeof (pa)) == 0;
}

/* The formats of the element's sink template (the blendable ones). */
static GPtrArray *
template_formats (void)
{
  GstElementFactory *f = gst_element_factory_find ("detectionoverlay");
  GPtrArray *formats = g_ptr_array_new_with_free_func (g_free);
  const GList *l;

  fail_unless (f != NULL);
  for (l = gst_element_factory_get_static_pad_templates (f); l; l = l->next) {
    GstStaticPadTemplate *t = l->data;
    GstCaps *caps;
    const GValue *list;
    guint i;

    if (t->direction != GST_PAD_SINK)
      continue;
    caps = gst_static_caps_get (&t->static_caps);
    list = gst_structure_get_value (gst_caps_get_structure (caps, 0),
        "format");
    fail_unless (GST_VALUE_HOLDS_LIST (list));
    for (i = 0; i < gst_value_list_get_size (list); i++)
      g_ptr_array_add (formats,
          g_value_dup_string (gst_value_list_get_value (list, i)));
    gst_caps_unref (caps);
  }
  gst_object_unref (f);
  return formats;
}

static GstHarness *
new_harness (const gchar * format, const gchar * sink_feature)
{
  GstHarness *h = gst_harness_new ("detectionoverlay");
  gchar *in = caps_string (format, NULL);
  gchar *out = caps_string (format, sink_feature);

  gst_harness_set_caps_str (h, in, out);
  g_free (in);
  g_free (out);
  return h;
}

GST_START_TEST (test_negotiation_every_format)
{
  GPtrArray *formats = template_formats ();
  guint i;

  /* the GstVideoFormat list gst_video_overlay_composition_blend() takes */
  fail_unless (formats->len > 50);
  for (i = 0; i < formats->len; i++) {
    const gchar *format = g_ptr_array_index (formats, i);
    GstHarness *h = new_harness (format, NULL);
    GstVideoInfo info;
    GstBuffer *out;
    GstCaps *caps, *expected;
    gchar *s = caps_string (format, NULL);

    GST_INFO ("format %s", format);
    gst_video_info_set_format (&info, gst_video_format_from_string (format),
        WIDTH, HEIGHT);
    fail_unless_equals_int (gst_harness_push (h, new_frame (&info)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (out != NULL);
    gst_buffer_unref (out);

    caps = gst_pad_get_current_caps (h->sinkpad);
    expected = gst_caps_from_string (s);
    fail_unless (caps != NULL, "%s: no caps", format);
    fail_unless (gst_caps_is_equal (caps, expected), "%s: %" GST_PTR_FORMAT,
        format, caps);
    gst_caps_unref (caps);
    gst_caps_unref (expected);
    g_free (s);
    gst_harness_teardown (h);
  }
  g_ptr_array_unref (formats);
}

GST_END_TEST;

GST_START_TEST (test_blend_every_format)
{
  GPtrArray *formats = template_formats ();
  guint i;

  for (i = 0; i < formats->len; i++) {
    const gchar *format = g_ptr_array_index (formats, i);
    GstHarness *h = new_harness (format, NULL);
    GstVideoInfo info;
    GstBuffer *in, *ref, *out;

    GST_INFO ("format %s", format);
    gst_video_info_set_format (&info, gst_video_format_from_string (format),
        WIDTH, HEIGHT);
    in = new_frame (&info);
    ref = gst_buffer_copy_deep (in);
    add_box (in, 3);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);

    /* on the outline: the top, bottom, left and right edges */
    fail_if (pixels_equal (&info, ref, out, BX + BW / 2, BY), "%s top", format);
    fail_if (pixels_equal (&info, ref, out, BX + BW / 2, BY + BH - 1),
        "%s bottom", format);
    fail_if (pixels_equal (&info, ref, out, BX, BY + BH / 2), "%s left",
        format);
    fail_if (pixels_equal (&info, ref, out, BX + BW - 1, BY + BH / 2),
        "%s right", format);
    /* far from the box and its label: whole rows untouched */
    fail_unless (rows_equal (&info, ref, out, 4), "%s row 4", format);
    fail_unless (rows_equal (&info, ref, out, HEIGHT - 8), "%s low row",
        format);
    /* inside the box, away from the outline (chroma may be shared with the
     * outline in subsampled formats, so look well inside) */
    fail_unless (pixels_equal (&info, ref, out, BX + BW / 2, BY + BH / 2),
        "%s inside", format);
    fail_unless (gst_buffer_get_video_overlay_composition_meta (out) == NULL);

    gst_buffer_unref (ref);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
  g_ptr_array_unref (formats);
}

GST_END_TEST;

GST_START_TEST (test_attach_when_downstream_accepts_meta)
{
  const gchar *feature = GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION;
  GstHarness *h = new_harness ("I420", feature);
  GstVideoOverlayCompositionMeta *meta;
  GstVideoInfo info;
  GstBuffer *in, *ref, *out;
  GstMapInfo a, b;
  GstCaps *caps, *expected;
  gchar *s;

  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT);
  in = new_frame (&info);
  ref = gst_buffer_copy_deep (in);
  add_box (in, 1);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);

  /* pixels untouched, the drawing travels as meta */
  fail_unless (gst_buffer_map (ref, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (out, &b, GST_MAP_READ));
  fail_unless_equals_uint64 (a.size, b.size);
  fail_unless (memcmp (a.data, b.data, a.size) == 0);
  gst_buffer_unmap (ref, &a);
  gst_buffer_unmap (out, &b);
  meta = gst_buffer_get_video_overlay_composition_meta (out);
  fail_unless (meta != NULL);
  /* four outline edges and one label */
  fail_unless_equals_int (gst_video_overlay_composition_n_rectangles
      (meta->overlay), 5);

  s = caps_string ("I420", feature);
  caps = gst_pad_get_current_caps (h->sinkpad);
  expected = gst_caps_from_string (s);
  fail_unless (gst_caps_is_equal (caps, expected), "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);
  gst_caps_unref (expected);
  g_free (s);

  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_upstream_composition_kept)
{
  /* upstream negotiated the feature and attached a composition of its own:
   * ours joins it, whatever the ALLOCATION answer */
  const gchar *feature = GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION;
  GstHarness *h = gst_harness_new ("detectionoverlay");
  gchar *caps = caps_string ("RGBA", feature);
  GstVideoOverlayCompositionMeta *meta;
  GstVideoOverlayComposition *comp;
  GstVideoOverlayRectangle *rect;
  GstVideoInfo info;
  GstBuffer *in, *pixels, *out;

  gst_harness_set_caps_str (h, caps, caps);
  g_free (caps);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, WIDTH, HEIGHT);
  in = new_frame (&info);
  pixels = gst_buffer_new_allocate (NULL, 8 * 8 * 4, NULL);
  gst_buffer_memset (pixels, 0, 0xff, 8 * 8 * 4);
  gst_buffer_add_video_meta (pixels, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, 8, 8);
  rect = gst_video_overlay_rectangle_new_raw (pixels, 0, 0, 8, 8,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  comp = gst_video_overlay_composition_new (rect);
  gst_buffer_add_video_overlay_composition_meta (in, comp);
  gst_video_overlay_composition_unref (comp);
  gst_video_overlay_rectangle_unref (rect);
  gst_buffer_unref (pixels);
  add_box (in, 1);

  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  meta = gst_buffer_get_video_overlay_composition_meta (out);
  fail_unless (meta != NULL);
  /* upstream's rectangle first, then the outline and the label */
  fail_unless_equals_int (gst_video_overlay_composition_n_rectangles
      (meta->overlay), 6);
  fail_unless_equals_int (rgba_at (out, &info, BX + 5, BY), 0);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_feature_without_allocation_meta_blends)
{
  /* caps with the feature but no meta in the ALLOCATION answer: the
   * rendering must still reach the picture */
  GstHarness *h = new_harness ("RGBA",
      GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION);
  GstVideoInfo info;
  GstBuffer *in, *ref, *out;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, WIDTH, HEIGHT);
  in = new_frame (&info);
  ref = gst_buffer_copy_deep (in);
  add_box (in, 1);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_if (pixels_equal (&info, ref, out, BX + BW / 2, BY));
  fail_unless (gst_buffer_get_video_overlay_composition_meta (out) == NULL);
  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_no_meta_passes_unchanged)
{
  GstHarness *h = new_harness ("NV12", NULL);
  GstVideoInfo info;
  GstBuffer *in, *ref, *out;
  GstMapInfo a, b;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_NV12, WIDTH, HEIGHT);
  in = new_frame (&info);
  ref = gst_buffer_copy_deep (in);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (gst_buffer_map (ref, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (out, &b, GST_MAP_READ));
  fail_unless_equals_uint64 (a.size, b.size);
  fail_unless (memcmp (a.data, b.data, a.size) == 0);
  gst_buffer_unmap (ref, &a);
  gst_buffer_unmap (out, &b);
  fail_unless (gst_buffer_get_video_overlay_composition_meta (out) == NULL);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 0);
  gst_buffer_unref (ref);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_property_bounds)
{
  GstElement *e = gst_element_factory_make ("detectionoverlay", NULL);
  GParamSpec *p;
  GValue v = G_VALUE_INIT;
  guint lw;
  gchar *font;
  gboolean labels, conf, track;

  p = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "line-width");
  fail_unless (p != NULL);
  fail_unless_equals_int (G_PARAM_SPEC_UINT (p)->minimum, 1);
  fail_unless_equals_int (G_PARAM_SPEC_UINT (p)->maximum, 64);
  fail_unless_equals_int (G_PARAM_SPEC_UINT (p)->default_value, 2);
  /* out-of-range values are clamped by validation */
  g_value_init (&v, G_TYPE_UINT);
  g_value_set_uint (&v, 0);
  fail_unless (g_param_value_validate (p, &v));
  fail_unless_equals_int (g_value_get_uint (&v), 1);
  g_value_set_uint (&v, 1000);
  fail_unless (g_param_value_validate (p, &v));
  fail_unless_equals_int (g_value_get_uint (&v), 64);
  g_value_unset (&v);

  g_object_get (e, "line-width", &lw, "font-desc", &font, "show-labels",
      &labels, "show-confidence", &conf, "show-track-id", &track, NULL);
  fail_unless_equals_int (lw, 2);
  fail_unless_equals_string (font, "Sans 10");
  fail_unless (labels && conf && track);
  g_free (font);

  g_object_set (e, "line-width", 64, "font-desc", NULL, NULL);
  g_object_get (e, "line-width", &lw, "font-desc", &font, NULL);
  fail_unless_equals_int (lw, 64);
  /* NULL restores the default font */
  fail_unless_equals_string (font, "Sans 10");
  g_free (font);
  gst_object_unref (e);
}

GST_END_TEST;

/* Rectangles attached for one tracked box with the given label settings. */
static guint
n_rectangles_with (gboolean labels, gboolean conf, gboolean track)
{
  GstHarness *h = new_harness ("RGBA",
      GST_CAPS_FEATURE_META_GST_VIDEO_OVERLAY_COMPOSITION);
  GstVideoOverlayCompositionMeta *meta;
  GstVideoInfo info;
  GstBuffer *in, *out;
  guint n;

  g_object_set (h->element, "show-labels", labels, "show-confidence", conf,
      "show-track-id", track, NULL);
  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, WIDTH, HEIGHT);
  in = new_frame (&info);
  add_box (in, 4);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  meta = gst_buffer_get_video_overlay_composition_meta (out);
  fail_unless (meta != NULL);
  n = gst_video_overlay_composition_n_rectangles (meta->overlay);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  return n;
}

GST_START_TEST (test_label_switches)
{
  fail_unless_equals_int (n_rectangles_with (TRUE, TRUE, TRUE), 5);
  fail_unless_equals_int (n_rectangles_with (FALSE, FALSE, TRUE), 5);
  fail_unless_equals_int (n_rectangles_with (FALSE, TRUE, FALSE), 5);
  /* nothing to write: the outline only */
  fail_unless_equals_int (n_rectangles_with (FALSE, FALSE, FALSE), 4);
}

GST_END_TEST;

/* The blended RGBA pixel at (x, y). */
static guint32
rgba_at (GstBuffer * buf, const GstVideoInfo * info, gint x, gint y)
{
  GstVideoFrame f;
  guint32 px;

  fail_unless (gst_video_frame_map (&f, info, buf, GST_MAP_READ));
  memcpy (&px, (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&f, 0) +
      y * GST_VIDEO_FRAME_PLANE_STRIDE (&f, 0) + x * 4, 4);
  gst_video_frame_unmap (&f);
  return px;
}

static GstBuffer *
blend_rgba (GstHarness * h, const GstVideoInfo * info, gint track_id,
    gboolean predicted)
{
  GstBuffer *in = new_frame (info);
  GstVideoRegionOfInterestMeta *m = add_box (in, track_id);

  if (predicted)
    gst_video_region_of_interest_meta_add_param (m,
        gst_structure_new (GST_TRACKING_PARAM, "predicted", G_TYPE_BOOLEAN,
            TRUE, NULL));
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  return gst_harness_pull (h);
}

GST_START_TEST (test_colour_per_track)
{
  GstHarness *h = new_harness ("RGBA", NULL);
  GstVideoInfo info;
  GstBuffer *a, *b, *c;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, WIDTH, HEIGHT);
  a = blend_rgba (h, &info, 1, FALSE);
  b = blend_rgba (h, &info, 2, FALSE);
  c = blend_rgba (h, &info, 1, FALSE);
  /* same class, different tracks: different colours; same track: same */
  fail_if (rgba_at (a, &info, BX + 5, BY + BH - 1) ==
      rgba_at (b, &info, BX + 5, BY + BH - 1));
  fail_unless (rgba_at (a, &info, BX + 5, BY + BH - 1) ==
      rgba_at (c, &info, BX + 5, BY + BH - 1));
  gst_buffer_unref (a);
  gst_buffer_unref (b);
  gst_buffer_unref (c);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Pixels of the bottom edge that the outline changed. */
static guint
changed_on_bottom_edge (GstBuffer * buf, const GstVideoInfo * info)
{
  guint n = 0;
  gint x;

  for (x = BX; x < BX + BW; x++)
    n += rgba_at (buf, info, x, BY + BH - 1) != 0;
  return n;
}

GST_START_TEST (test_predicted_box_dashed)
{
  GstHarness *h = new_harness ("RGBA", NULL);
  GstVideoInfo info;
  GstBuffer *solid, *dashed;
  guint n;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, WIDTH, HEIGHT);
  solid = blend_rgba (h, &info, 5, FALSE);
  dashed = blend_rgba (h, &info, 5, TRUE);
  fail_unless_equals_int (changed_on_bottom_edge (solid, &info), BW);
  n = changed_on_bottom_edge (dashed, &info);
  /* gaps, but still mostly drawn */
  fail_unless (n > BW / 3 && n < BW, "%u of %d pixels drawn", n, BW);
  gst_buffer_unref (solid);
  gst_buffer_unref (dashed);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_line_width_mid_stream)
{
  GstHarness *h = new_harness ("RGBA", NULL);
  GstVideoInfo info;
  GstBuffer *thin, *thick;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, WIDTH, HEIGHT);
  thin = blend_rgba (h, &info, 1, FALSE);
  g_object_set (h->element, "line-width", 6, NULL);
  thick = blend_rgba (h, &info, 1, FALSE);
  /* the fourth column inside the left edge */
  fail_unless_equals_int (rgba_at (thin, &info, BX + 1, BY + BH / 2) != 0, 1);
  fail_unless_equals_int (rgba_at (thin, &info, BX + 3, BY + BH / 2), 0);
  fail_unless (rgba_at (thick, &info, BX + 3, BY + BH / 2) != 0);
  fail_unless_equals_int (rgba_at (thick, &info, BX + 7, BY + BH / 2), 0);
  gst_buffer_unref (thin);
  gst_buffer_unref (thick);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_box_at_frame_border)
{
  GstHarness *h = new_harness ("I420", NULL);
  GstVideoInfo info;
  GstBuffer *in, *out;

  /* boxes touching or leaving the frame must neither crash nor be lost */
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, WIDTH, HEIGHT);
  in = new_frame (&info);
  gst_detection_meta_add (in, "car", 2, 0.5, 0, 0, WIDTH, HEIGHT, WIDTH,
      HEIGHT);
  gst_detection_meta_add (in, "car", 2, 0.5, WIDTH - 3, HEIGHT - 2, WIDTH,
      HEIGHT, WIDTH, HEIGHT);
  gst_buffer_add_video_region_of_interest_meta (in, "bare", WIDTH - 10,
      HEIGHT - 10, 500, 500);
  gst_buffer_add_video_region_of_interest_meta (in, "outside", WIDTH + 10,
      HEIGHT + 10, 5, 5);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_state_cycles)
{
  GstElement *e = gst_element_factory_make ("detectionoverlay", NULL);
  gint i;

  for (i = 0; i < 5; i++) {
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PLAYING),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_READY),
        GST_STATE_CHANGE_SUCCESS);
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
  }
  gst_object_unref (e);

  /* and a harness that streams after each restart */
  {
    GstHarness *h = new_harness ("RGBA", NULL);
    GstVideoInfo info;

    gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGBA, WIDTH, HEIGHT);
    for (i = 0; i < 3; i++) {
      GstBuffer *out = blend_rgba (h, &info, 1, FALSE);

      fail_unless (rgba_at (out, &info, BX + 5, BY) != 0);
      gst_buffer_unref (out);
      fail_unless_equals_int (gst_element_set_state (h->element,
              GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
      fail_unless_equals_int (gst_element_set_state (h->element,
              GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
      gst_harness_set_src_caps_str (h, "video/x-raw,format=RGBA,width=385,"
          "height=289,framerate=25/1");
    }
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

static Suite *
detectionoverlay_suite (void)
{
  Suite *s = suite_create ("detectionoverlay");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_negotiation_every_format);
  tcase_add_test (tc, test_blend_every_format);
  tcase_add_test (tc, test_attach_when_downstream_accepts_meta);
  tcase_add_test (tc, test_upstream_composition_kept);
  tcase_add_test (tc, test_feature_without_allocation_meta_blends);
  tcase_add_test (tc, test_no_meta_passes_unchanged);
  tcase_add_test (tc, test_property_bounds);
  tcase_add_test (tc, test_label_switches);
  tcase_add_test (tc, test_colour_per_track);
  tcase_add_test (tc, test_predicted_box_dashed);
  tcase_add_test (tc, test_line_width_mid_stream);
  tcase_add_test (tc, test_box_at_frame_border);
  tcase_add_test (tc, test_state_cycles);
  return s;
}

GST_CHECK_MAIN (detectionoverlay);
