/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_corrupt.c: corrupt and lossy input ahead of the decoder.
 *
 * An MJPEG/AVI file is written first, then played through
 *   ... ! identity name=corrupt ! identity drop-probability=0.05 !
 *   decodebin ! videoconvert ! yolov7 ! objecttracker ! detectionoverlay !
 *   detectionjson ! fakesink
 * where a pad probe on the first identity flips random bytes of the
 * encoded data (real corruption, from a fixed seed), either in the file's
 * bytes (container and frames) or in the demuxed JPEG frames.  The
 * pipeline must reach EOS or stop with an ERROR message, never crash;
 * whatever got through must be well formed: one JSON line per frame that
 * reached detectionjson, in order, with boxes inside the frame. */
#include "reliability.h"

#include <json-glib/json-glib.h>

#define N_FRAMES 45
#define N_SEEDS 4

/* One flipped byte per this many bytes on average: several a frame. */
#define FLIP_EVERY 400

typedef struct
{
  GRand *rand;
  guint flipped;
  GMutex lock;
  GArray *pts;                  /* of the frames reaching detectionjson */
} Corruption;

static GstPadProbeReturn
corrupt_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Corruption *c = data;
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstMapInfo map;

  (void) pad;
  if (gst_buffer_map (buf, &map, GST_MAP_READWRITE)) {
    g_mutex_lock (&c->lock);
    for (gsize i = 0; i < map.size; i++)
      if (g_rand_int_range (c->rand, 0, FLIP_EVERY) == 0) {
        map.data[i] ^= (guint8) g_rand_int_range (c->rand, 1, 256);
        c->flipped++;
      }
    g_mutex_unlock (&c->lock);
    gst_buffer_unmap (buf, &map);
  }
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
record_probe (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Corruption *c = data;
  guint64 pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

  (void) pad;
  g_mutex_lock (&c->lock);
  g_array_append_val (c->pts, pts);
  g_mutex_unlock (&c->lock);
  return GST_PAD_PROBE_OK;
}

static void
add_probe (GstElement * pipeline, const gchar * name, const gchar * pad,
    GstPadProbeCallback cb, Corruption * c)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstPad *p;

  fail_unless (e != NULL, "no element %s", name);
  p = gst_element_get_static_pad (e, pad);
  gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_BUFFER, cb, c, NULL);
  gst_object_unref (p);
  gst_object_unref (e);
}

/* Each line of the detectionjson output is a JSON object whose timestamp
 * is the next frame's and whose boxes lie in its resolution. */
static void
check_json (const gchar * path, GArray * pts)
{
  gchar *contents = NULL, **lines;
  guint n = 0;

  fail_unless (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (gchar ** l = lines; *l && **l; l++, n++) {
    JsonParser *parser = json_parser_new ();
    JsonObject *o, *res;
    JsonArray *objects;
    gint64 w, h;

    fail_unless (json_parser_load_from_data (parser, *l, -1, NULL),
        "line %u is not JSON: %.200s", n, *l);
    o = json_node_get_object (json_parser_get_root (parser));
    fail_unless (o != NULL && n < pts->len, "line %u", n);
    fail_unless_equals_uint64 (json_object_get_int_member (o, "timestamp"),
        g_array_index (pts, guint64, n));
    res = json_object_get_object_member (o, "resolution");
    w = json_object_get_int_member (res, "width");
    h = json_object_get_int_member (res, "height");
    objects = json_object_get_array_member (o, "objects");
    for (guint i = 0; i < json_array_get_length (objects); i++) {
      JsonObject *obj = json_array_get_object_element (objects, i);
      gint64 x = json_object_get_int_member (obj, "x");
      gint64 y = json_object_get_int_member (obj, "y");

      fail_unless (x >= 0 && y >= 0
          && x + json_object_get_int_member (obj, "w") <= w
          && y + json_object_get_int_member (obj, "h") <= h,
          "line %u: a box outside %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT, n,
          w, h);
    }
    g_object_unref (parser);
  }
  fail_unless_equals_int (n, pts->len);
  g_strfreev (lines);
  g_free (contents);
}

/* Plays the file with source (ending in "identity name=corrupt") ahead of
 * the drop and the decoder, corrupting from seed. */
static void
play_corrupted (const gchar * source_fmt, guint32 seed)
{
  gchar *dir = g_dir_make_tmp ("yolov7-corrupt-XXXXXX", NULL);
  gchar *video = rel_write_video (dir, "in.avi", N_FRAMES, 160, 120);
  gchar *json = g_build_filename (dir, "out.jsonl", NULL);
  gchar *source = g_strdup_printf (source_fmt, video);
  gchar *desc = g_strdup_printf ("%s ! identity drop-probability=0.05 ! "
      "decodebin ! videoconvert ! yolov7 model=\"%s\" conf-threshold=0.01 ! "
      "objecttracker ! detectionoverlay ! detectionjson name=json "
      "location=\"%s\" ! fakesink sync=false", source, TEST_MODEL, json);
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  Corruption c;
  GstMessage *msg;

  fail_unless (p != NULL && err == NULL, "%s: %s", desc,
      err ? err->message : "?");
  c.rand = g_rand_new_with_seed (seed);
  c.flipped = 0;
  g_mutex_init (&c.lock);
  c.pts = g_array_new (FALSE, FALSE, sizeof (guint64));
  add_probe (p, "corrupt", "src", corrupt_probe, &c);
  add_probe (p, "json", "sink", record_probe, &c);

  msg = rel_run (p, 120);
  GST_INFO ("seed %u: %u bytes flipped, %u frames analysed, %"
      GST_PTR_FORMAT, seed, c.flipped, c.pts->len, msg);
  fail_unless (c.flipped > 0, "nothing was corrupted");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *e = NULL;

    gchar *debug = NULL;
    GstObject *src = GST_MESSAGE_SRC (msg);

    gst_message_parse_error (msg, &e, &debug);
    GST_INFO ("seed %u: error from %s: %s (%s)", seed, GST_OBJECT_NAME (src),
        e->message, debug);
    fail_unless (e->message && *e->message, "an ERROR without a message");
    /* the stream broke upstream (demuxer, decoder): decoded frames, however
     * odd, must never make the elements under test fail */
    fail_if (g_str_has_prefix (GST_OBJECT_NAME (src), "yolov7")
        || g_str_has_prefix (GST_OBJECT_NAME (src), "objecttracker")
        || g_str_has_prefix (GST_OBJECT_NAME (src), "detection"),
        "%s failed on corrupt input: %s", GST_OBJECT_NAME (src), e->message);
    g_error_free (e);
    g_free (debug);
  }
  check_json (json, c.pts);

  gst_message_unref (msg);
  g_array_unref (c.pts);
  g_mutex_clear (&c.lock);
  g_rand_free (c.rand);
  gst_object_unref (p);
  g_free (desc);
  g_free (source);
  g_free (json);
  g_free (video);
  rel_remove_dir (dir);
}

/* The file's bytes corrupted: container structure and frames alike. */
GST_START_TEST (test_corrupt_file_bytes)
{
  play_corrupted ("filesrc location=\"%s\" ! identity name=corrupt",
      1000 + __i__);
}

GST_END_TEST;

/* The demuxed JPEG frames corrupted: the decoder sees broken frames. */
GST_START_TEST (test_corrupt_frames)
{
  play_corrupted ("filesrc location=\"%s\" ! avidemux ! identity name=corrupt",
      2000 + __i__);
}

GST_END_TEST;

static Suite *
corrupt_suite (void)
{
  Suite *s = suite_create ("corrupt");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_corrupt_file_bytes, 0, N_SEEDS);
  tcase_add_loop_test (tc, test_corrupt_frames, 0, N_SEEDS);
  return s;
}

GST_CHECK_MAIN (corrupt);
