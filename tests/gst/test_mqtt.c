/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_mqtt.c: detectionjson's mqtt-uri against a real mosquitto broker on
 * 127.0.0.1 (a free port, a config of the test's own), read back by a real
 * mosquitto_sub.  Every test compares what arrived with the JSON Lines file
 * the same element wrote: every line must arrive, exactly, in the order of
 * first arrival (QoS 1 is at least once, so a repeat after a reconnect is
 * allowed and counted, a loss or a reordering is not).
 *
 * The outages stop the broker with SIGTERM and the broker keeps persistence:
 * the subscriber's session (-c, a fixed id) and the messages queued for it
 * survive the restart.  So the only messages that can go missing are those
 * our element lost, which is what is tested; with SIGKILL and no persistence
 * the broker itself would drop what it had acknowledged but not delivered,
 * and a subscriber reconnecting after the element would miss what the
 * element published first: flaky oracles of someone else's guarantee. */
#include <signal.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#define SUB_ID "detectionjson-test-sub"

static gchar *tmpdir;
static guint16 port;
static GSubprocess *broker, *subscriber;
static guint probes;

static gchar *
tmp_path (const gchar * name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static guint16
free_port (void)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *any = g_inet_socket_address_new (lo, 0), *bound;
  guint16 p;

  fail_unless (s && g_socket_bind (s, any, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  p = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (any);
  g_object_unref (lo);
  g_object_unref (s);
  return p;
}

static GSubprocess *
spawn (const gchar * stdout_path, const gchar * const *argv)
{
  GSubprocessLauncher *l = g_subprocess_launcher_new (stdout_path ?
      G_SUBPROCESS_FLAGS_STDERR_SILENCE : G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  GError *err = NULL;
  GSubprocess *p;

  if (stdout_path)
    g_subprocess_launcher_set_stdout_file_path (l, stdout_path);
  p = g_subprocess_launcher_spawnv (l, argv, &err);
  fail_unless (p != NULL, "%s: %s", argv[0], err ? err->message : "");
  g_object_unref (l);
  return p;
}

/* Starts the broker and returns once it accepts connections. */
static void
broker_start (void)
{
  gchar *conf = tmp_path ("broker.conf");
  gchar *text = g_strdup_printf ("listener %u 127.0.0.1\n"
      "allow_anonymous true\n"
      "persistence true\npersistence_location %s/\npersistence_file broker.db\n"
      "max_queued_messages 100000\n", port, tmpdir);
  const gchar *argv[] = { MOSQUITTO, "-c", conf, NULL };
  GSocketClient *client = g_socket_client_new ();
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  fail_unless (g_file_set_contents (conf, text, -1, NULL));
  broker = spawn (NULL, argv);
  for (;;) {
    GSocketConnection *c = g_socket_client_connect_to_host (client,
        "127.0.0.1", port, NULL, NULL);

    if (c) {
      g_object_unref (c);
      break;
    }
    fail_unless (g_get_monotonic_time () < end, "no broker on port %u", port);
    g_usleep (20000);
  }
  g_object_unref (client);
  g_free (text);
  g_free (conf);
}

/* SIGTERM: the broker saves its sessions and queued messages, then exits. */
static void
broker_stop (void)
{
  g_subprocess_send_signal (broker, SIGTERM);
  fail_unless (g_subprocess_wait (broker, NULL, NULL));
  g_clear_object (&broker);
}

static gchar *
read_text (const gchar * name)
{
  gchar *path = tmp_path (name), *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    text = g_strdup ("");
  g_free (path);
  return text;
}

/* Starts mosquitto_sub on test/# with a persistent session and returns once
 * a message published after it arrived: it is subscribed. */
static void
subscriber_start (void)
{
  gchar *out = tmp_path ("sub.txt"), *p = g_strdup_printf ("%u", port);
  const gchar *argv[] = { MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", p,
    "-t", "test/#", "-q", "1", "-c", "-i", SUB_ID, "-v", NULL
  };
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gchar *probe = g_strdup_printf ("probe-%u", ++probes);
  gchar *seen = g_strdup_printf ("test/probe %s\n", probe);
  const gchar *pub[] = { MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", p,
    "-t", "test/probe", "-q", "1", "-m", probe, NULL
  };

  subscriber = spawn (out, argv);
  for (;;) {
    GSubprocess *pp = spawn (NULL, pub);
    gchar *text;
    gboolean ok;

    g_subprocess_wait (pp, NULL, NULL);
    g_object_unref (pp);
    g_usleep (100000);
    text = read_text ("sub.txt");
    ok = strstr (text, seen) != NULL;
    g_free (text);
    if (ok)
      break;
    fail_unless (g_get_monotonic_time () < end, "the subscriber never "
        "received the probe");
  }
  g_free (seen);
  g_free (probe);
  g_free (p);
  g_free (out);
}

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("mqtt-XXXXXX", NULL);
  fail_unless (tmpdir != NULL);
  /* a broker started as root runs as the user "mosquitto" and must still
   * write its persistence file here */
  g_chmod (tmpdir, 0777);
  port = free_port ();
}

static void
teardown (void)
{
  GDir *d;
  const gchar *name;

  if (subscriber) {
    g_subprocess_force_exit (subscriber);
    g_subprocess_wait (subscriber, NULL, NULL);
    g_clear_object (&subscriber);
  }
  if (broker)
    broker_stop ();
  d = g_dir_open (tmpdir, 0, NULL);
  while (d && (name = g_dir_read_name (d))) {
    gchar *p = tmp_path (name);

    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* The lines of a file in tmpdir, without newlines. */
static GPtrArray *
file_lines (const gchar * name)
{
  gchar *text = read_text (name);
  gchar **lines = g_strsplit (text, "\n", -1);
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);
  guint i;

  for (i = 0; lines[i]; i++)
    if (lines[i][0])
      g_ptr_array_add (a, g_strdup (lines[i]));
  g_strfreev (lines);
  g_free (text);
  return a;
}

/* The distinct messages received on @topic, in the order of their first
 * arrival; *n_repeats counts the others. */
static GPtrArray *
received (const gchar * topic, guint * n_repeats)
{
  gchar *text = read_text ("sub.txt");
  gchar **lines = g_strsplit (text, "\n", -1);
  gchar *prefix = g_strdup_printf ("%s ", topic);
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);
  guint i;

  *n_repeats = 0;
  for (i = 0; lines[i]; i++) {
    const gchar *payload;

    if (!g_str_has_prefix (lines[i], prefix))
      continue;
    payload = lines[i] + strlen (prefix);
    if (g_hash_table_contains (seen, payload)) {
      (*n_repeats)++;
      continue;
    }
    g_hash_table_add (seen, (gpointer) payload);
    g_ptr_array_add (a, g_strdup (payload));
  }
  g_hash_table_destroy (seen);
  g_free (prefix);
  g_strfreev (lines);
  g_free (text);
  return a;
}

/* Waits up to 10 s for every line of @expected to arrive on @topic, then
 * checks they arrived exactly and in order; returns the repeats. */
static guint
check_delivered (GPtrArray * expected, const gchar * topic)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  GPtrArray *got;
  guint i, repeats;

  fail_unless (expected->len > 0);
  for (;;) {
    got = received (topic, &repeats);
    if (got->len >= expected->len || g_get_monotonic_time () > end)
      break;
    g_ptr_array_unref (got);
    g_usleep (50000);
  }
  fail_unless_equals_int (got->len, expected->len);
  /* (the lines are too long for check's own message) */
  for (i = 0; i < expected->len; i++)
    fail_unless (strcmp (g_ptr_array_index (got, i),
            g_ptr_array_index (expected, i)) == 0,
        "message %u on %s differs from line %u: %.120s", i, topic, i,
        (gchar *) g_ptr_array_index (got, i));
  g_ptr_array_unref (got);
  return repeats;
}

/* After an outage: the file has @n_lines, every one arrived on test/cam,
 * and the warnings say @warning. Returns the repeats. */
static guint
check_outage (const gchar * file, guint n_lines, GString * warnings,
    const gchar * warning)
{
  GPtrArray *lines = file_lines (file);
  guint repeats;

  fail_unless_equals_int (lines->len, n_lines);
  repeats = check_delivered (lines, "test/cam");
  fail_unless (strstr (warnings->str, warning) != NULL, "%s", warnings->str);
  fail_if (strstr (warnings->str, "dropped") != NULL, "%s", warnings->str);
  g_ptr_array_unref (lines);
  return repeats;
}

/* videotestsrc through the random-weight test model into detectionjson
 * (named "json"), or into @tail; @live paces it at 25 fps. */
static GstElement *
new_pipeline (gboolean live, guint frames, const gchar * tail)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=%d num-buffers=%u ! "
      "video/x-raw,width=64,height=48,framerate=25/1 ! videoconvert ! "
      "yolov7 model=\"%s\" ! objecttracker ! %s", live, frames, TEST_MODEL,
      tail ? tail : "detectionjson name=json ! fakesink");
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);

  fail_unless (p != NULL, "%s", err ? err->message : "");
  g_free (desc);
  return p;
}

static void
set_element (GstElement * pipeline, const gchar * name, const gchar * first,
    ...)
{
  GstElement *json = gst_bin_get_by_name (GST_BIN (pipeline), name);
  va_list args;

  va_start (args, first);
  g_object_set_valist (G_OBJECT (json), first, args);
  va_end (args);
  gst_object_unref (json);
}

static gchar *
uri (const gchar * topic)
{
  return g_strdup_printf ("mqtt://127.0.0.1:%u/%s", port, topic);
}

/* Appends the texts of the pipeline's warnings so far to @warnings; fails
 * on an error. Returns TRUE once EOS was seen. */
static gboolean
drain_bus (GstElement * pipeline, GString * warnings, GstClockTime wait)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *m;
  gboolean eos = FALSE;

  while (!eos && (m = gst_bus_timed_pop_filtered (bus, wait,
              GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING))) {
    GError *err = NULL;

    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (m, &err, NULL);
      fail ("error on the bus: %s", err->message);
    } else if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_WARNING) {
      gst_message_parse_warning (m, &err, NULL);
      GST_INFO ("warning: %s", err->message);
      g_string_append_printf (warnings, "%s\n", err->message);
      g_error_free (err);
    } else {
      eos = TRUE;
    }
    gst_message_unref (m);
  }
  gst_object_unref (bus);
  return eos;
}

static void
run_to_eos (GstElement * pipeline, GString * warnings)
{
  fail_unless (drain_bus (pipeline, warnings, 60 * GST_SECOND), "no EOS");
  /* stopping flushes the queue too; its warnings are read in READY, as
   * the pipeline's bus drops what it holds on the way to NULL */
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  drain_bus (pipeline, warnings, 0);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
}

static void
play (GstElement * pipeline)
{
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
}

/* Each QoS; the second element has no location: it writes no file and
 * publishes the same messages, one for each line of the first one's file.
 * The same pipeline runs three times: the elements are reused from NULL. */
GST_START_TEST (test_delivered_as_written)
{
  GstElement *pipeline = new_pipeline (FALSE, 30, "detectionjson name=json ! "
      "detectionjson name=only ! fakesink");
  GString *warnings = g_string_new (NULL);
  gchar *path = tmp_path ("written.jsonl");
  gint qos;

  broker_start ();
  subscriber_start ();
  for (qos = 0; qos <= 2; qos++) {
    gchar *topic = g_strdup_printf ("test/cam-qos%d", qos);
    gchar *only = g_strdup_printf ("test/only-qos%d", qos);
    gchar *u = uri (topic), *u_only = uri (only);
    GPtrArray *lines;
    GDir *d;
    const gchar *name;
    guint n_files = 0;

    set_element (pipeline, "json", "location", path, "mqtt-uri", u,
        "mqtt-qos", qos, NULL);
    set_element (pipeline, "only", "mqtt-uri", u_only, "mqtt-qos", qos, NULL);
    play (pipeline);
    run_to_eos (pipeline, warnings);
    lines = file_lines ("written.jsonl");
    fail_unless_equals_int (lines->len, 30);
    fail_unless_equals_int (check_delivered (lines, topic), 0);
    fail_unless_equals_int (check_delivered (lines, only), 0);
    g_ptr_array_unref (lines);

    /* the broker's files, the subscriber's and ours: nothing else */
    d = g_dir_open (tmpdir, 0, NULL);
    while ((name = g_dir_read_name (d)))
      n_files += !g_str_has_prefix (name, "broker.");
    g_dir_close (d);
    fail_unless_equals_int (n_files, 2);
    g_free (u_only);
    g_free (u);
    g_free (only);
    g_free (topic);
  }
  fail_unless_equals_string (warnings->str, "");

  g_free (path);
  g_string_free (warnings, TRUE);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* The broker goes away mid-stream and comes back 1.5 s later on the same
 * port: what the element queued meanwhile arrives, nothing is lost. */
GST_START_TEST (test_broker_restart)
{
  GstElement *pipeline = new_pipeline (TRUE, 125, NULL);
  GString *warnings = g_string_new (NULL);
  gchar *path = tmp_path ("restart.jsonl"), *u = uri ("test/cam");
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  GPtrArray *lines;
  guint before, repeats;

  broker_start ();
  subscriber_start ();
  set_element (pipeline, "json", "location", path, "mqtt-uri", u, NULL);
  play (pipeline);
  do {
    lines = file_lines ("restart.jsonl");
    before = lines->len;
    g_ptr_array_unref (lines);
    fail_unless (g_get_monotonic_time () < end, "no frames");
    drain_bus (pipeline, warnings, 20 * GST_MSECOND);
  } while (before < 25);
  broker_stop ();
  g_usleep (1500000);
  broker_start ();
  run_to_eos (pipeline, warnings);
  repeats = check_outage ("restart.jsonl", 125, warnings,
      "Lost the connection");
  GST_INFO ("125 lines, %u repeated", repeats);

  g_free (u);
  g_free (path);
  g_string_free (warnings, TRUE);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Cameras start before brokers: a broker that is down at start is a
 * warning, and what was queued arrives once it is up. */
GST_START_TEST (test_broker_down_at_start)
{
  GstElement *pipeline = new_pipeline (TRUE, 75, NULL);
  GString *warnings = g_string_new (NULL);
  gchar *path = tmp_path ("late.jsonl"), *u = uri ("test/cam");

  /* the subscriber's session is made first, kept by the broker's restart */
  broker_start ();
  subscriber_start ();
  broker_stop ();

  set_element (pipeline, "json", "location", path, "mqtt-uri", u, NULL);
  play (pipeline);
  drain_bus (pipeline, warnings, 800 * GST_MSECOND);
  broker_start ();
  run_to_eos (pipeline, warnings);
  check_outage ("late.jsonl", 75, warnings, "Could not connect");

  g_free (u);
  g_free (path);
  g_string_free (warnings, TRUE);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* No broker at all and a queue of 5: the rest is dropped with a warning
 * that counts it, and the stream goes on to EOS without an error. */
GST_START_TEST (test_queue_overflow)
{
  GstElement *pipeline = new_pipeline (FALSE, 40, NULL);
  GString *warnings = g_string_new (NULL);
  gchar *path = tmp_path ("overflow.jsonl"), *u = uri ("test/cam");
  GPtrArray *lines;

  set_element (pipeline, "json", "location", path, "mqtt-uri", u,
      "mqtt-queue-size", 5, NULL);
  play (pipeline);
  run_to_eos (pipeline, warnings);

  lines = file_lines ("overflow.jsonl");
  fail_unless_equals_int (lines->len, 40);
  fail_unless (strstr (warnings->str, "The MQTT queue is full (5 messages") !=
      NULL, "%s", warnings->str);
  fail_unless (strstr (warnings->str, "1 message(s) dropped") != NULL, "%s",
      warnings->str);
  fail_unless (strstr (warnings->str, "5 MQTT message(s) were not "
          "acknowledged") != NULL, "%s", warnings->str);

  g_ptr_array_unref (lines);
  g_free (u);
  g_free (path);
  g_string_free (warnings, TRUE);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* Each bad URI fails the start with an error naming the problem; the
 * element starts again once the URI is fixed. */
GST_START_TEST (test_bad_uris)
{
  static const struct
  {
    const gchar *uri, *problem;
  } cases[] = {
    {"", "empty"},
    {"127.0.0.1:1883/cams", "not a URI"},
    {"mqtts://127.0.0.1/cams", "unsupported scheme \"mqtts\""},
    {"tcp://127.0.0.1/cams", "unsupported scheme \"tcp\""},
    {"mqtt:///cams", "no host"},
    {"mqtt://127.0.0.1", "no topic"},
    {"mqtt://127.0.0.1:1883/", "no topic"},
    {"mqtt://127.0.0.1:0/cams", "bad port"},
    {"mqtt://127.0.0.1:65536/cams", "bad port"},
    {"mqtt://127.0.0.1:12ab/cams", "bad port"},
    {"mqtt://127.0.0.1/cams/+/detections", "wildcard"},
    {"mqtt://127.0.0.1/cams/#", "wildcard"},
    {"mqtt://127.0.0.1/cams/%23", "wildcard"},
    {"mqtt://127.0.0.1/$SYS/x", "reserve"},
    {"mqtt://127.0.0.1/cams?x=1", "query"},
  };
  GstElement *e = gst_element_factory_make ("detectionjson", NULL);
  GstBus *bus = gst_bus_new ();
  gchar *path = tmp_path ("bad.jsonl"), *u = uri ("test/cam");
  guint i;

  gst_element_set_bus (e, bus);
  g_object_set (e, "location", path, NULL);
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstMessage *msg;
    GError *err = NULL;

    g_object_set (e, "mqtt-uri", cases[i].uri, NULL);
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_unless (msg != NULL, "%s", cases[i].uri);
    gst_message_parse_error (msg, &err, NULL);
    fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_SETTINGS), "%s", err->message);
    fail_unless (strstr (err->message, cases[i].problem) != NULL,
        "\"%s\": \"%s\" does not say \"%s\"", cases[i].uri, err->message,
        cases[i].problem);
    g_error_free (err);
    gst_message_unref (msg);
    /* refused before the file was opened */
    fail_if (g_file_test (path, G_FILE_TEST_EXISTS));
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
  }

  /* fixed: it starts (no broker listens: a warning, no error) */
  g_object_set (e, "mqtt-uri", u, "mqtt-queue-size", 3, NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  fail_unless (g_file_test (path, G_FILE_TEST_EXISTS));

  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_object_unref (e);
  g_free (u);
  g_free (path);
}

GST_END_TEST;

static Suite *
mqtt_suite (void)
{
  Suite *s = suite_create ("mqtt");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_bad_uris);
  tcase_add_test (tc, test_delivered_as_written);
  tcase_add_test (tc, test_queue_overflow);
  tcase_add_test (tc, test_broker_down_at_start);
  tcase_add_test (tc, test_broker_restart);
  return s;
}

GST_CHECK_MAIN (mqtt);
