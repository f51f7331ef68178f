/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_yolov7.c: GstHarness tests of the yolov7 detector element.
 *
 * TEST_MODEL is a small generated YOLOv7-tiny (--grid, 64x64, 3 classes,
 * random weights): its boxes mean nothing, but with a low confidence
 * threshold every frame gets some, which is what the metadata checks need.
 * Where the engine's header is on the include path the detections are also
 * compared with the engine run directly on the same frame. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "gstdetectionmeta.h"

#if defined (__has_include)
#if __has_include (<yolov7/yolov7.h>)
#include <yolov7/yolov7.h>

/* GObject reports a property value out of its range as a warning in GLib
 * 2.74 (Debian 12) and as a critical in 2.84 (Debian 13). */
#if GLIB_CHECK_VERSION (2, 76, 0)
#define ASSERT_OUT_OF_RANGE(stmt) ASSERT_CRITICAL (stmt)
#else
#define ASSERT_OUT_OF_RANGE(stmt) ASSERT_WARNING (stmt)
#endif
#define HAVE_ENGINE 1
#endif
#endif

#define WIDTH 385
#define HEIGHT 289
#define N_CLASSES 3
#define LOW_CONF 0.01f

static const gchar *const formats[] = {
  "RGB", "BGR", "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB",
  "ABGR", "NV12", "I420",
};

/* ---- helpers ---- */

/* The plugin's gstdetectionmeta.c is not linked into the tests: read the
 * conventions of gstdetectionmeta.h directly. */
static gboolean
was_inferred (GstBuffer * buf)
{
  return gst_buffer_get_custom_meta (buf, GST_DETECTION_INFERENCE_META) !=
      NULL;
}

static gint
roi_class (GstVideoRegionOfInterestMeta * roi, const gchar ** label)
{
  GstStructure *s = gst_video_region_of_interest_meta_get_param (roi,
      GST_DETECTION_PARAM);
  gint id = -1;

  fail_unless (s != NULL);
  fail_unless (gst_structure_get_int (s, "label_id", &id));
  if (label)
    *label = gst_structure_get_string (s, "label");
  return id;
}

static GstCaps *
make_caps (const gchar * format, gint width, gint height)
{
  return gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, format,
      "width", G_TYPE_INT, width, "height", G_TYPE_INT, height,
      "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
}

/* A frame of pseudo-random bytes (the same for the same seed). */
static GstBuffer *
make_frame (const gchar * format, gint width, gint height, guint32 seed,
    GstClockTime pts)
{
  GstVideoInfo info;
  GstCaps *caps = make_caps (format, width, height);
  GstBuffer *buf;
  GstMapInfo map;
  GRand *rand = g_rand_new_with_seed (seed);

  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = (guint8) g_rand_int_range (rand, 0, 256);
  gst_buffer_unmap (buf, &map);
  g_rand_free (rand);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

static GstHarness *
new_harness (const gchar * first_prop, ...)
{
  GstElement *e = gst_element_factory_make ("yolov7", NULL);
  GstHarness *h;
  va_list args;

  fail_unless (e != NULL, "no yolov7 element: is GST_PLUGIN_PATH set?");
  g_object_set (e, "model", TEST_MODEL, "conf-threshold", LOW_CONF, NULL);
  va_start (args, first_prop);
  if (first_prop)
    g_object_set_valist (G_OBJECT (e), first_prop, args);
  va_end (args);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  return h;
}

static GstElement *
harness_element (GstHarness * h)
{
  return h->element;
}

/* Checks every ROI meta of buf against the detection conventions; returns
 * how many there are.  want_class >= 0: all must have that class. */
static guint
check_rois (GstBuffer * buf, gint width, gint height, gfloat conf,
    gint want_class)
{
  gpointer state = NULL;
  GstMeta *meta;
  guint n = 0;

  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    GstStructure *s =
        gst_video_region_of_interest_meta_get_param (roi, "detection");
    gdouble x0, y0, x1, y1, c;
    gint id;
    const gchar *label;

    fail_unless (s != NULL, "ROI meta without a \"detection\" param");
    fail_unless (gst_structure_get_double (s, "x_min", &x0)
        && gst_structure_get_double (s, "y_min", &y0)
        && gst_structure_get_double (s, "x_max", &x1)
        && gst_structure_get_double (s, "y_max", &y1), "missing box fields");
    fail_unless (gst_structure_get_double (s, "confidence", &c));
    fail_unless (gst_structure_get_int (s, "label_id", &id));
    label = gst_structure_get_string (s, "label");
    fail_unless (label != NULL && *label);

    fail_unless (0.0 <= x0 && x0 <= x1 && x1 <= 1.0, "x %f..%f", x0, x1);
    fail_unless (0.0 <= y0 && y0 <= y1 && y1 <= 1.0, "y %f..%f", y0, y1);
    fail_unless (fabs (x0 * width - roi->x) <= 1.0, "x %u vs %f", roi->x,
        x0 * width);
    fail_unless (fabs (y0 * height - roi->y) <= 1.0, "y %u vs %f", roi->y,
        y0 * height);
    fail_unless (fabs (x1 * width - (roi->x + roi->w)) <= 1.0);
    fail_unless (fabs (y1 * height - (roi->y + roi->h)) <= 1.0);
    fail_unless (roi->x + roi->w <= (guint) width);
    fail_unless (roi->y + roi->h <= (guint) height);
    fail_unless (c >= conf && c <= 1.0, "confidence %f", c);
    fail_unless (id >= 0 && id < N_CLASSES, "label_id %d", id);
    fail_unless (want_class < 0 || id == want_class, "class %d kept", id);
    fail_unless_equals_int (roi->roi_type, g_quark_from_string (label));
    n++;
  }
  return n;
}

static guint
count_rois (GstBuffer * buf)
{
  return gst_buffer_get_n_meta (buf,
      GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE);
}

static void
check_same_data (GstBuffer * out, GstBuffer * ref)
{
  GstMapInfo map;

  fail_unless (gst_buffer_map (ref, &map, GST_MAP_READ));
  fail_unless_equals_uint64 (gst_buffer_get_size (out), map.size);
  fail_unless (gst_buffer_memcmp (out, 0, map.data, map.size) == 0,
      "the element changed the frame's data");
  gst_buffer_unmap (ref, &map);
}

/* Pushes one frame and pulls it back, checking data and metadata. */
static guint
push_and_check (GstHarness * h, const gchar * format, gint width, gint height,
    guint32 seed)
{
  GstBuffer *in = make_frame (format, width, height, seed, 0);
  GstBuffer *ref = gst_buffer_copy_deep (in);
  GstBuffer *out;
  guint n;

  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  check_same_data (out, ref);
  fail_unless (was_inferred (out));
  n = check_rois (out, width, height, LOW_CONF, -1);
  gst_buffer_unref (out);
  gst_buffer_unref (ref);
  return n;
}

/* ---- formats and metadata ---- */

GST_START_TEST (test_formats_pass_unchanged)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstHarness *h = new_harness (NULL);
    GstCaps *caps = make_caps (formats[i], WIDTH, HEIGHT), *out_caps;
    guint n;

    gst_harness_set_src_caps (h, gst_caps_ref (caps));
    n = push_and_check (h, formats[i], WIDTH, HEIGHT, 1 + i);
    fail_unless (n > 0, "%s: no detections at conf %f", formats[i], LOW_CONF);
    out_caps = gst_pad_get_current_caps (h->sinkpad);
    fail_unless (out_caps && gst_caps_is_equal (out_caps, caps),
        "%s: caps changed", formats[i]);
    gst_caps_unref (out_caps);
    gst_caps_unref (caps);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_meta_fields)
{
  GstHarness *h = new_harness (NULL);
  guint n;

  gst_harness_set_src_caps (h, make_caps ("RGB", WIDTH, HEIGHT));
  n = push_and_check (h, "RGB", WIDTH, HEIGHT, 7);
  fail_unless (n > 0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Without a labels file, a 3-class model gets "class<N>" names. */
GST_START_TEST (test_default_labels)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  gpointer state = NULL;
  GstMeta *meta;

  gst_harness_set_src_caps (h, make_caps ("RGB", WIDTH, HEIGHT));
  fail_unless_equals_int (gst_harness_push (h, make_frame ("RGB", WIDTH,
              HEIGHT, 7, 0)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (count_rois (out) > 0);
  while ((meta = gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    const gchar *label;
    gint id;
    gchar *want;

    id = roi_class (roi, &label);
    want = g_strdup_printf ("class%d", id);
    fail_unless_equals_string (label, want);
    g_free (want);
  }
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_labels_file)
{
  static const gchar *const names[N_CLASSES] = { "cat", "dog", "traffic light" };
  gchar *dir = g_dir_make_tmp ("yolov7-test-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "labels.txt", NULL);
  GstHarness *h;
  GstBuffer *out;
  gpointer state = NULL;
  GstMeta *meta;

  fail_unless (g_file_set_contents (path, "cat\ndog\r\ntraffic light\n\n", -1,
          NULL));
  h = new_harness ("labels", path, NULL);
  gst_harness_set_src_caps (h, make_caps ("BGRx", WIDTH, HEIGHT));
  fail_unless_equals_int (gst_harness_push (h, make_frame ("BGRx", WIDTH,
              HEIGHT, 3, 0)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (check_rois (out, WIDTH, HEIGHT, LOW_CONF, -1) > 0);
  while ((meta = gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    const gchar *label;
    gint id;

    id = roi_class (roi, &label);
    fail_unless_equals_string (label, names[id]);
    fail_unless_equals_int (roi->roi_type, g_quark_from_string (names[id]));
  }
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

#ifdef HAVE_ENGINE
/* The element's detections are the engine's own on the same frame, with
 * fp32 and with fp16 weights (the property reaches the engine: fp16 moves
 * the scores, so the element's must match the engine loaded the same way;
 * that it moved them is checked too). */
GST_START_TEST (test_meta_matches_engine)
{
  static const struct
  {
    const gchar *format;
    yv7_pixel_format pix;
  } cases[] = {
    {"RGB", YV7_PIX_RGB}, {"BGRx", YV7_PIX_BGRX}, {"NV12", YV7_PIX_NV12},
    {"I420", YV7_PIX_I420},
  };
  yv7_options opt;
  yv7_error err = { 0 };
  yv7_engine *engine;
  gfloat score0[G_N_ELEMENTS (cases)];
  gboolean moved = FALSE;

  for (gint half = 0; half < 2; half++) {
    yv7_options_init (&opt);
    opt.fp16_weights = half;
    engine = yv7_engine_load (TEST_MODEL, &opt, &err);
    fail_unless (engine != NULL, "%s", err.message);
    for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
      GstHarness *h = new_harness ("conf-threshold", 0.05f, "iou-threshold",
          0.5f, "max-detections", 40, "fp16-weights", half, NULL);
      GstCaps *caps = make_caps (cases[c].format, WIDTH, HEIGHT);
      GstBuffer *in = make_frame (cases[c].format, WIDTH, HEIGHT, 11 + c, 0);
      GstBuffer *ref = gst_buffer_copy_deep (in), *out;
      GstVideoInfo info;
      GstVideoFrame frame;
      yv7_frame f = { 0 };
      yv7_detect_params p;
      const yv7_detection *dets;
      gint n;
      GPtrArray *rois = g_ptr_array_new ();
      gpointer state = NULL;
      GstMeta *meta;

      gst_harness_set_src_caps (h, gst_caps_ref (caps));
      fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
      out = gst_harness_pull (h);
      while ((meta = gst_buffer_iterate_meta_filtered (out, &state,
                  GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
        g_ptr_array_add (rois, meta);

      fail_unless (gst_video_info_from_caps (&info, caps));
      fail_unless (gst_video_frame_map (&frame, &info, ref, GST_MAP_READ));
      f.format = cases[c].pix;
      f.width = WIDTH;
      f.height = HEIGHT;
      for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES (&frame); i++) {
        f.planes[i] = GST_VIDEO_FRAME_PLANE_DATA (&frame, i);
        f.strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, i);
      }
      /* caps without colorimetry: SD sizes default to BT.601, video range */
      f.matrix = YV7_YUV_BT601;
      f.full_range = 0;
      yv7_detect_params_init (&p);
      p.conf_threshold = 0.05f;
      p.iou_threshold = 0.5f;
      p.max_detections = 40;
      fail_unless (yv7_engine_detect (engine, &f, &p, &dets, &n, &err) == YV7_OK,
          "%s", err.message);
      gst_video_frame_unmap (&frame);

      fail_unless (n > 0, "%s: the engine found nothing", cases[c].format);
      if (!half)
        score0[c] = dets[0].score;
      else if (dets[0].score != score0[c])
        moved = TRUE;
      fail_unless_equals_int (rois->len, n);
      for (gint i = 0; i < n; i++) {
        gboolean found = FALSE;

        for (guint j = 0; j < rois->len && !found; j++) {
          GstVideoRegionOfInterestMeta *roi = g_ptr_array_index (rois, j);
          GstStructure *s =
              gst_video_region_of_interest_meta_get_param (roi, "detection");
          gdouble x0, y0, x1, y1, conf;
          gint id;

          gst_structure_get (s, "x_min", G_TYPE_DOUBLE, &x0, "y_min",
              G_TYPE_DOUBLE, &y0, "x_max", G_TYPE_DOUBLE, &x1, "y_max",
              G_TYPE_DOUBLE, &y1, "confidence", G_TYPE_DOUBLE, &conf,
              "label_id", G_TYPE_INT, &id, NULL);
          found = id == dets[i].class_id && fabs (conf - dets[i].score) < 1e-5
              && fabs (x0 * WIDTH - CLAMP (dets[i].x0, 0, WIDTH)) < 1e-2
              && fabs (y0 * HEIGHT - CLAMP (dets[i].y0, 0, HEIGHT)) < 1e-2
              && fabs (x1 * WIDTH - CLAMP (dets[i].x1, 0, WIDTH)) < 1e-2
              && fabs (y1 * HEIGHT - CLAMP (dets[i].y1, 0, HEIGHT)) < 1e-2;
          if (found)
            g_ptr_array_remove_index (rois, j);
        }
        fail_unless (found, "%s: engine detection %d (class %d %.3f "
            "[%.1f %.1f %.1f %.1f]) has no ROI meta", cases[c].format, i,
            dets[i].class_id, dets[i].score, dets[i].x0, dets[i].y0,
            dets[i].x1, dets[i].y1);
      }

      g_ptr_array_unref (rois);
      gst_buffer_unref (out);
      gst_buffer_unref (ref);
      gst_caps_unref (caps);
      gst_harness_teardown (h);
    }
    yv7_engine_free (engine);
  }
  fail_unless (moved, "fp16 weights left every top score unchanged");
}

GST_END_TEST;
#endif

/* ---- properties ---- */

GST_START_TEST (test_property_defaults)
{
  GstElement *e = gst_element_factory_make ("yolov7", NULL);
  gchar *model, *labels, *classes, *device;
  gfloat conf, iou;
  gint max;
  guint interval;
  gboolean drop, fp16;
  gdouble latency;

  g_object_get (e, "fp16-weights", &fp16, NULL);
  fail_unless (!fp16);
  g_object_get (e, "model", &model, "labels", &labels, "conf-threshold",
      &conf, "iou-threshold", &iou, "max-detections", &max, "classes",
      &classes, "device", &device, "inference-interval", &interval,
      "drop-when-busy", &drop, "latency-ms", &latency, NULL);
  fail_unless (model == NULL);
  fail_unless (labels == NULL);
  fail_unless_equals_float (conf, 0.25f);
  fail_unless_equals_float (iou, 0.45f);
  fail_unless_equals_int (max, 300);
  fail_unless_equals_string (classes, "");
  fail_unless_equals_string (device, "auto");
  fail_unless_equals_int (interval, 1);
  fail_unless (!drop);
  fail_unless_equals_float (latency, 0.0);
  g_free (classes);
  g_free (device);
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_property_bounds)
{
  GstElement *e = gst_element_factory_make ("yolov7", NULL);
  gfloat f;
  gint i;
  guint u;

  /* GParamSpec refuses values out of range and keeps the old one */
  ASSERT_OUT_OF_RANGE (g_object_set (e, "conf-threshold", 1.5f, NULL));
  ASSERT_OUT_OF_RANGE (g_object_set (e, "conf-threshold", -0.1f, NULL));
  ASSERT_OUT_OF_RANGE (g_object_set (e, "iou-threshold", 2.0f, NULL));
  ASSERT_OUT_OF_RANGE (g_object_set (e, "max-detections", 0, NULL));
  ASSERT_OUT_OF_RANGE (g_object_set (e, "max-detections", 30001, NULL));
  ASSERT_OUT_OF_RANGE (g_object_set (e, "inference-interval", 0u, NULL));
  ASSERT_OUT_OF_RANGE (g_object_set (e, "inference-interval", 10001u, NULL));
  ASSERT_OUT_OF_RANGE (g_object_set (e, "latency-ms", 5.0, NULL));
  g_object_get (e, "conf-threshold", &f, NULL);
  fail_unless_equals_float (f, 0.25f);
  g_object_get (e, "iou-threshold", &f, NULL);
  fail_unless_equals_float (f, 0.45f);
  g_object_get (e, "max-detections", &i, NULL);
  fail_unless_equals_int (i, 300);
  g_object_get (e, "inference-interval", &u, NULL);
  fail_unless_equals_int (u, 1);

  /* the edges themselves are accepted */
  g_object_set (e, "conf-threshold", 0.0f, "iou-threshold", 1.0f,
      "max-detections", 30000, "inference-interval", 10000u, NULL);
  g_object_get (e, "conf-threshold", &f, NULL);
  fail_unless_equals_float (f, 0.0f);
  g_object_get (e, "max-detections", &i, NULL);
  fail_unless_equals_int (i, 30000);
  g_object_get (e, "inference-interval", &u, NULL);
  fail_unless_equals_int (u, 10000);
  gst_object_unref (e);
}

GST_END_TEST;

/* classes="k" keeps exactly the class-k detections of the unfiltered run
 * (NMS is per class, so filtering first changes nothing else). */
GST_START_TEST (test_classes_filter)
{
  GstHarness *h = new_harness (NULL);
  GstBuffer *out;
  gpointer state = NULL;
  GstMeta *meta;
  guint per_class[N_CLASSES] = { 0 }, best = 0, n;
  gchar *classes;

  gst_harness_set_src_caps (h, make_caps ("NV12", WIDTH, HEIGHT));
  fail_unless_equals_int (gst_harness_push (h, make_frame ("NV12", WIDTH,
              HEIGHT, 5, 0)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  while ((meta = gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    gint id = roi_class ((GstVideoRegionOfInterestMeta *) meta, NULL);

    fail_unless (id >= 0 && id < N_CLASSES);
    per_class[id]++;
  }
  gst_buffer_unref (out);
  for (guint c = 1; c < N_CLASSES; c++)
    if (per_class[c] > per_class[best])
      best = c;
  fail_unless (per_class[best] > 0);

  /* changed while playing: applies to the next frame */
  classes = g_strdup_printf (" %u ", best);
  g_object_set (harness_element (h), "classes", classes, NULL);
  g_free (classes);
  fail_unless_equals_int (gst_harness_push (h, make_frame ("NV12", WIDTH,
              HEIGHT, 5, GST_SECOND / 30)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  n = check_rois (out, WIDTH, HEIGHT, LOW_CONF, best);
  fail_unless_equals_int (n, per_class[best]);
  gst_buffer_unref (out);

  /* a list of all classes keeps everything */
  g_object_set (harness_element (h), "classes", "0,1,2", NULL);
  fail_unless_equals_int (gst_harness_push (h, make_frame ("NV12", WIDTH,
              HEIGHT, 5, 2 * GST_SECOND / 30)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless_equals_int (count_rois (out),
      per_class[0] + per_class[1] + per_class[2]);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_inference_interval)
{
  GstHarness *h = new_harness ("inference-interval", 3u, NULL);

  gst_harness_set_src_caps (h, make_caps ("I420", WIDTH, HEIGHT));
  for (guint i = 0; i < 9; i++) {
    GstBuffer *out;
    gboolean want = i % 3 == 0;

    fail_unless_equals_int (gst_harness_push (h, make_frame ("I420", WIDTH,
                HEIGHT, 20 + i, i * GST_SECOND / 30)), GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless_equals_int (was_inferred (out), want);
    if (want)
      fail_unless (check_rois (out, WIDTH, HEIGHT, LOW_CONF, -1) > 0,
          "frame %u has no detections", i);
    else
      fail_unless_equals_int (count_rois (out), 0);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- drop-when-busy ---- */

static GstPadProbeReturn
block_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  return GST_PAD_PROBE_OK;      /* stay blocked until removed */
}

/* While the analysed frame is held back (here: its push is blocked), the
 * frames behind it pass without detections, in order, and pushing them does
 * not wait for the inference. */
GST_START_TEST (test_drop_when_busy_order)
{
  GstHarness *h = new_harness ("drop-when-busy", TRUE, NULL);
  GstPad *srcpad = gst_element_get_static_pad (harness_element (h), "src");
  GstBuffer *refs[11];
  gulong probe;

  gst_harness_set_src_caps (h, make_caps ("RGBA", WIDTH, HEIGHT));
  probe = gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BLOCK |
      GST_PAD_PROBE_TYPE_BUFFER, block_probe, NULL, NULL);
  for (guint i = 0; i < 10; i++) {
    GstBuffer *in = make_frame ("RGBA", WIDTH, HEIGHT, 40 + i,
        i * GST_SECOND / 30);
    refs[i] = gst_buffer_copy_deep (in);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  }
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);
  gst_pad_remove_probe (srcpad, probe);

  for (guint i = 0; i < 10; i++) {
    GstBuffer *out = gst_harness_pull (h);

    fail_unless (out != NULL);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * GST_SECOND / 30);
    check_same_data (out, refs[i]);
    if (i == 0) {
      fail_unless (was_inferred (out));
      fail_unless (check_rois (out, WIDTH, HEIGHT, LOW_CONF, -1) > 0);
    } else {
      fail_unless (!was_inferred (out), "frame %u", i);
      fail_unless_equals_int (count_rois (out), 0);
    }
    gst_buffer_unref (out);
    gst_buffer_unref (refs[i]);
  }

  /* idle again: the next frame is analysed; EOS comes out behind it */
  refs[10] = make_frame ("RGBA", WIDTH, HEIGHT, 50, 10 * GST_SECOND / 30);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (refs[10])),
      GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_received (h), 11);
  {
    GstBuffer *out = gst_harness_pull (h);
    fail_unless (was_inferred (out));
    fail_unless (check_rois (out, WIDTH, HEIGHT, LOW_CONF, -1) > 0);
    check_same_data (out, refs[10]);
    gst_buffer_unref (out);
  }
  gst_buffer_unref (refs[10]);
  gst_object_unref (srcpad);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A flush drops the frames held behind a running inference, and the
 * element goes on afterwards. */
GST_START_TEST (test_drop_when_busy_flush)
{
  GstHarness *h = new_harness ("drop-when-busy", TRUE, NULL);
  GstPad *srcpad = gst_element_get_static_pad (harness_element (h), "src");
  GstSegment segment;
  GstBuffer *out;
  gulong probe;

  gst_harness_set_src_caps (h, make_caps ("BGR", WIDTH, HEIGHT));
  probe = gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BLOCK |
      GST_PAD_PROBE_TYPE_BUFFER, block_probe, NULL, NULL);
  for (guint i = 0; i < 5; i++)
    fail_unless_equals_int (gst_harness_push (h, make_frame ("BGR", WIDTH,
                HEIGHT, 60 + i, i * GST_SECOND / 30)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  gst_pad_remove_probe (srcpad, probe);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  fail_unless_equals_int (gst_harness_buffers_received (h), 0);

  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  for (guint i = 0; i < 3; i++)
    fail_unless_equals_int (gst_harness_push (h, make_frame ("BGR", WIDTH,
                HEIGHT, 70 + i, i * GST_SECOND / 30)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_received (h), 3);
  out = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 0);
  fail_unless (was_inferred (out));
  gst_buffer_unref (out);
  gst_object_unref (srcpad);
  gst_harness_teardown (h);
}

GST_END_TEST;

typedef struct
{
  GMutex lock;
  GArray *offsets;              /* videotestsrc numbers its frames */
  guint inferred;
  guint bad;                    /* analysed frames without good detections */
} SeenFrames;

static GstPadProbeReturn
record_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  SeenFrames *seen = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint64 offset = GST_BUFFER_OFFSET (buf);

  g_mutex_lock (&seen->lock);
  g_array_append_val (seen->offsets, offset);
  if (was_inferred (buf)) {
    seen->inferred++;
    if (count_rois (buf) == 0)
      seen->bad++;
  }
  g_mutex_unlock (&seen->lock);
  return GST_PAD_PROBE_OK;
}

/* A live source faster than inference: every frame arrives, in order; the
 * frames the model ran on carry detections.  (Which frames were skipped
 * depends on the machine's speed: test_drop_when_busy_order pins that
 * down.) */
GST_START_TEST (test_drop_when_busy_pipeline)
{
  const guint n_frames = 60;
  GstElement *pipeline, *det, *sink;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  SeenFrames seen = { 0 };
  gchar *desc;
  gdouble latency_ms;
  GError *error = NULL;

  if (!gst_registry_check_feature_version (gst_registry_get (),
          "videotestsrc", 1, 0, 0)) {
    GST_INFO ("no videotestsrc: skipped");
    return;
  }
  /* the host reference path is slower than a frame at 1000 fps anywhere */
  desc = g_strdup_printf ("videotestsrc is-live=true num-buffers=%u "
      "pattern=ball ! video/x-raw,format=RGB,width=%d,height=%d,"
      "framerate=1000/1 ! yolov7 name=det model=\"%s\" device=reference "
      "conf-threshold=%f drop-when-busy=true ! fakesink name=sink sync=true",
      n_frames, WIDTH, HEIGHT, TEST_MODEL, LOW_CONF);
  pipeline = gst_parse_launch (desc, &error);
  g_free (desc);
  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  det = gst_bin_get_by_name (GST_BIN (pipeline), "det");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_mutex_init (&seen.lock);
  seen.offsets = g_array_new (FALSE, FALSE, sizeof (guint64));
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, record_probe, &seen,
      NULL);
  gst_object_unref (pad);

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no EOS");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  g_object_get (det, "latency-ms", &latency_ms, NULL);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  fail_unless_equals_int (seen.offsets->len, n_frames);
  for (guint i = 0; i < n_frames; i++)
    fail_unless_equals_uint64 (g_array_index (seen.offsets, guint64, i), i);
  fail_unless (seen.inferred >= 1);
  fail_unless_equals_int (seen.bad, 0);
  fail_unless (latency_ms > 0.0);
  GST_INFO ("%u of %u frames analysed, last inference %.2f ms", seen.inferred,
      n_frames, latency_ms);

  g_array_unref (seen.offsets);
  g_mutex_clear (&seen.lock);
  gst_object_unref (bus);
  gst_object_unref (det);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* ---- latency ---- */

GST_START_TEST (test_latency_query)
{
  GstHarness *h = new_harness (NULL);
  GstClockTime min;
  gdouble ms;

  gst_harness_set_upstream_latency (h, 0);
  gst_harness_set_src_caps (h, make_caps ("RGB", WIDTH, HEIGHT));
  /* the estimate from the warm-up run counts from the start */
  min = gst_harness_query_latency (h);
  fail_unless (min > 0, "no inference time in the latency");
  fail_unless (push_and_check (h, "RGB", WIDTH, HEIGHT, 9) > 0);
  g_object_get (harness_element (h), "latency-ms", &ms, NULL);
  fail_unless (ms > 0.0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- errors ---- */

static GstElement *
new_element_on_bus (GstBus ** bus)
{
  GstElement *e = gst_element_factory_make ("yolov7", NULL);

  fail_unless (e != NULL);
  *bus = gst_bus_new ();
  gst_element_set_bus (e, *bus);
  return e;
}

/* The change to PAUSED fails and the bus holds an error naming the
 * cause. */
static void
expect_start_error (GstElement * e, GstBus * bus, GQuark domain,
    const gchar * needle)
{
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message on the bus");
  gst_message_parse_error (msg, &err, &debug);
  GST_INFO ("error: %s (%s)", err->message, debug);
  fail_unless (err->domain == domain, "error domain %s",
      g_quark_to_string (err->domain));
  fail_unless (strstr (err->message, needle) != NULL,
      "error \"%s\" does not name \"%s\"", err->message, needle);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
}

/* Back in NULL with good settings, the same element works. */
static void
expect_recovery (GstElement * e, GstBus * bus)
{
  GstHarness *h;

  g_object_set (e, "model", TEST_MODEL, "device", "auto", "classes", "",
      "labels", NULL, "conf-threshold", LOW_CONF, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_harness_set_src_caps (h, make_caps ("RGB", WIDTH, HEIGHT));
  fail_unless (push_and_check (h, "RGB", WIDTH, HEIGHT, 13) > 0);
  gst_harness_teardown (h);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

static gchar *
tmp_file (const gchar * name, const guint8 * data, gsize size)
{
  gchar *dir = g_dir_make_tmp ("yolov7-test-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, name, NULL);

  fail_unless (g_file_set_contents (path, (const gchar *) data, size, NULL));
  g_free (dir);
  return path;
}

static void
remove_tmp_file (gchar * path)
{
  gchar *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
  g_free (dir);
  g_free (path);
}

GST_START_TEST (test_error_no_model)
{
  GstBus *bus;
  GstElement *e = new_element_on_bus (&bus);

  expect_start_error (e, bus, GST_RESOURCE_ERROR, "No model");
  expect_recovery (e, bus);
}

GST_END_TEST;

GST_START_TEST (test_error_missing_model)
{
  GstBus *bus;
  GstElement *e = new_element_on_bus (&bus);

  g_object_set (e, "model", "/nonexistent/yolov7-missing.onnx", NULL);
  expect_start_error (e, bus, GST_RESOURCE_ERROR, "yolov7-missing.onnx");
  expect_recovery (e, bus);
}

GST_END_TEST;

GST_START_TEST (test_error_garbage_model)
{
  GstBus *bus;
  GstElement *e = new_element_on_bus (&bus);
  guint8 junk[4096];
  GRand *rand = g_rand_new_with_seed (99);
  gchar *path;

  for (gsize i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) g_rand_int_range (rand, 0, 256);
  g_rand_free (rand);
  path = tmp_file ("garbage.onnx", junk, sizeof junk);
  g_object_set (e, "model", path, NULL);
  expect_start_error (e, bus, GST_LIBRARY_ERROR, "Could not load model");
  remove_tmp_file (path);
  expect_recovery (e, bus);
}

GST_END_TEST;

/* TEST_MODEL with its LeakyRelu op type renamed (same length, so the
 * protobuf stays well-formed). */
GST_START_TEST (test_error_unsupported_op)
{
  static const gchar from[] = "\x22\x09LeakyRelu", to[] = "\x22\x09NotAnOpXX";
  GstBus *bus;
  GstElement *e = new_element_on_bus (&bus);
  gchar *data, *path;
  gsize size;
  guint replaced = 0;

  fail_unless (g_file_get_contents (TEST_MODEL, &data, &size, NULL));
  for (gsize i = 0; i + sizeof from - 1 <= size; i++)
    if (memcmp (data + i, from, sizeof from - 1) == 0) {
      memcpy (data + i, to, sizeof to - 1);
      replaced++;
    }
  fail_unless (replaced > 0, "TEST_MODEL has no LeakyRelu node");
  path = tmp_file ("unsupported.onnx", (const guint8 *) data, size);
  g_free (data);
  g_object_set (e, "model", path, NULL);
  expect_start_error (e, bus, GST_LIBRARY_ERROR, "NotAnOpXX");
  remove_tmp_file (path);
  expect_recovery (e, bus);
}

GST_END_TEST;

GST_START_TEST (test_error_no_device)
{
  GstBus *bus;
  GstElement *e = new_element_on_bus (&bus);

  g_object_set (e, "model", TEST_MODEL, "device", "no-such-device-yv7", NULL);
  expect_start_error (e, bus, GST_RESOURCE_ERROR, "No OpenCL device");
  expect_recovery (e, bus);
}

GST_END_TEST;

GST_START_TEST (test_error_bad_classes)
{
  GstBus *bus;
  GstElement *e = new_element_on_bus (&bus);

  g_object_set (e, "model", TEST_MODEL, "classes", "1,person", NULL);
  expect_start_error (e, bus, GST_RESOURCE_ERROR, "1,person");
  expect_recovery (e, bus);
}

GST_END_TEST;

GST_START_TEST (test_error_missing_labels)
{
  GstBus *bus;
  GstElement *e = new_element_on_bus (&bus);

  g_object_set (e, "model", TEST_MODEL, "labels", "/nonexistent/labels.txt",
      NULL);
  expect_start_error (e, bus, GST_RESOURCE_ERROR, "labels.txt");
  expect_recovery (e, bus);
}

GST_END_TEST;

/* ---- stream changes and state ---- */

/* Caps change mid-stream, on the streaming thread and on the worker. */
GST_START_TEST (test_resolution_change)
{
  static const gint sizes[][2] = { {640, 480}, {1280, 720}, {385, 289} };

  for (guint mode = 0; mode < 2; mode++) {
    GstHarness *h = new_harness ("drop-when-busy", mode == 1, NULL);

    for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
      const gchar *format = i == 1 ? "NV12" : "RGB";

      gst_harness_set_src_caps (h, make_caps (format, sizes[i][0],
              sizes[i][1]));
      fail_unless (push_and_check (h, format, sizes[i][0], sizes[i][1],
              80 + i) > 0, "no detections at %dx%d", sizes[i][0],
          sizes[i][1]);
    }
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* A new model or labels file set while playing applies from the next
 * analysed frame; a model that cannot load stops the stream with an
 * error. */
GST_START_TEST (test_settings_change_while_playing)
{
  GstHarness *h = new_harness (NULL);
  GstElement *e = harness_element (h);
  gchar *data, *model, *labels;
  gsize size;
  guint n_before, n_after;
  GstBuffer *out;
  gpointer state = NULL;
  GstMeta *meta;

  gst_harness_set_src_caps (h, make_caps ("RGB", WIDTH, HEIGHT));
  n_before = push_and_check (h, "RGB", WIDTH, HEIGHT, 30);

  /* the same model under another name: loaded again, same detections */
  fail_unless (g_file_get_contents (TEST_MODEL, &data, &size, NULL));
  model = tmp_file ("copy.onnx", (const guint8 *) data, size);
  g_free (data);
  g_object_set (e, "model", model, NULL);
  n_after = push_and_check (h, "RGB", WIDTH, HEIGHT, 30);
  fail_unless_equals_int (n_after, n_before);

  labels = tmp_file ("labels.txt", (const guint8 *) "a\nb\nc\n", 6);
  g_object_set (e, "labels", labels, NULL);
  fail_unless_equals_int (gst_harness_push (h, make_frame ("RGB", WIDTH,
              HEIGHT, 30, 0)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless_equals_int (count_rois (out), n_before);
  while ((meta = gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    const gchar *label;
    gint id = roi_class ((GstVideoRegionOfInterestMeta *) meta, &label);

    fail_unless_equals_int (label[0], 'a' + id);
  }
  gst_buffer_unref (out);

  g_object_set (e, "model", "/nonexistent/other.onnx", NULL);
  fail_unless_equals_int (gst_harness_push (h, make_frame ("RGB", WIDTH,
              HEIGHT, 31, 0)), GST_FLOW_ERROR);

  gst_harness_teardown (h);
  remove_tmp_file (model);
  remove_tmp_file (labels);
}

GST_END_TEST;

GST_START_TEST (test_state_cycles)
{
  GstHarness *h = new_harness (NULL);
  GstElement *e = harness_element (h);

  for (guint i = 0; i < 20; i++) {
    gchar *stream_id = g_strdup_printf ("cycle-%u", i);

    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    /* both paths: inference on the streaming thread and on the worker */
    g_object_set (e, "drop-when-busy", i % 2 == 1, NULL);
    fail_unless (gst_element_set_state (e, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    fail_unless (gst_harness_push_event (h,
            gst_event_new_stream_start (stream_id)));
    g_free (stream_id);
    gst_harness_set_src_caps (h, make_caps ("BGRA", WIDTH, HEIGHT));
    fail_unless (push_and_check (h, "BGRA", WIDTH, HEIGHT, 90 + i) > 0);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
yolov7_suite (void)
{
  Suite *s = suite_create ("yolov7");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_formats_pass_unchanged);
  tcase_add_test (tc, test_meta_fields);
  tcase_add_test (tc, test_default_labels);
  tcase_add_test (tc, test_labels_file);
#ifdef HAVE_ENGINE
  tcase_add_test (tc, test_meta_matches_engine);
#endif
  tcase_add_test (tc, test_property_defaults);
  tcase_add_test (tc, test_property_bounds);
  tcase_add_test (tc, test_classes_filter);
  tcase_add_test (tc, test_inference_interval);
  tcase_add_test (tc, test_drop_when_busy_order);
  tcase_add_test (tc, test_drop_when_busy_flush);
  tcase_add_test (tc, test_drop_when_busy_pipeline);
  tcase_add_test (tc, test_latency_query);
  tcase_add_test (tc, test_error_no_model);
  tcase_add_test (tc, test_error_missing_model);
  tcase_add_test (tc, test_error_garbage_model);
  tcase_add_test (tc, test_error_unsupported_op);
  tcase_add_test (tc, test_error_no_device);
  tcase_add_test (tc, test_error_bad_classes);
  tcase_add_test (tc, test_error_missing_labels);
  tcase_add_test (tc, test_resolution_change);
  tcase_add_test (tc, test_settings_change_while_playing);
  tcase_add_test (tc, test_state_cycles);
  return s;
}

GST_CHECK_MAIN (yolov7);
