/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mqttpublisher.c: see mqttpublisher.h.
 *
 * The worker thread is the only one that calls libmosquitto, through its
 * "external loop" interface (mosquitto_socket, loop_read, loop_write,
 * loop_misc) under a poll() that also watches a wake-up pipe, so a new
 * message is sent at once and stopping never waits for a timeout.  Each
 * connection attempt gets a fresh mosquitto instance: libmosquitto keeps the
 * QoS > 0 messages of a lost connection in a queue of its own and would send
 * them again after a reconnect, next to ours; with a new instance our queue
 * is the only copy and decides the order. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "mqttpublisher.h"

#include <string.h>

gboolean
mqtt_uri_parse (const gchar * uri, MqttUri * out, gchar ** problem)
{
  GUri *u = NULL;
  GError *err = NULL;
  const gchar *path, *sep;
  gchar *scheme = NULL;

  memset (out, 0, sizeof (*out));
  if (!uri || !*uri)
    goto empty;
  sep = strstr (uri, "://");
  if (!sep)
    goto not_a_uri;
  scheme = g_ascii_strdown (uri, sep - uri);
  if (strcmp (scheme, "mqtt") != 0)
    goto bad_scheme;
  u = g_uri_parse (uri, G_URI_FLAGS_HAS_PASSWORD, &err);
  if (!u)
    goto parse_failed;
  if (!g_uri_get_host (u) || !*g_uri_get_host (u))
    goto no_host;
  if (g_uri_get_port (u) == 0)
    goto bad_port;
  if (g_uri_get_query (u))
    goto has_query;
  if (g_uri_get_fragment (u))
    goto wildcard;
  path = g_uri_get_path (u);
  while (*path == '/')
    path++;
  if (!*path)
    goto no_topic;
  if (strpbrk (path, "+#"))
    goto wildcard;
  if (path[0] == '$')
    goto reserved_topic;
  if (strlen (path) > G_MAXUINT16)
    goto long_topic;

  out->host = g_strdup (g_uri_get_host (u));
  out->port = g_uri_get_port (u) > 0 ? g_uri_get_port (u) : MQTT_DEFAULT_PORT;
  out->topic = g_strdup (path);
  out->username = g_strdup (g_uri_get_user (u));
  out->password = g_strdup (g_uri_get_password (u));
  g_uri_unref (u);
  g_free (scheme);
  return TRUE;

  /* ERRORS */
empty:
  *problem = g_strdup ("the MQTT URI is empty");
  goto fail;
not_a_uri:
  *problem = g_strdup_printf ("\"%s\" is not a URI: expected "
      "mqtt://host[:port]/topic", uri);
  goto fail;
bad_scheme:
  *problem = g_strdup_printf ("unsupported scheme \"%s\" in \"%s\": only "
      "mqtt:// is supported", scheme, uri);
  goto fail;
parse_failed:
  *problem = g_strdup_printf ("%s in \"%s\"", err->code == G_URI_ERROR_BAD_PORT
      ? "bad port" : err->message, uri);
  g_clear_error (&err);
  goto fail;
no_host:
  *problem = g_strdup_printf ("no host in \"%s\"", uri);
  goto fail;
bad_port:
  *problem = g_strdup_printf ("bad port 0 in \"%s\": ports are 1-65535", uri);
  goto fail;
has_query:
  *problem = g_strdup_printf ("a query (\"?%s\") in \"%s\": the topic cannot "
      "hold '?'", g_uri_get_query (u), uri);
  goto fail;
no_topic:
  *problem = g_strdup_printf ("no topic in \"%s\": the path after the host is "
      "the topic, e.g. mqtt://host/cams/front", uri);
  goto fail;
wildcard:
  *problem = g_strdup_printf ("wildcard '+' or '#' in the topic of \"%s\": "
      "messages are published to one topic, wildcards are for subscribers",
      uri);
  goto fail;
reserved_topic:
  *problem = g_strdup_printf ("topic \"%s\" starts with '$', which brokers "
      "reserve for themselves", path);
  goto fail;
long_topic:
  *problem = g_strdup_printf ("the topic of \"%s\" is longer than MQTT's "
      "65535 bytes", uri);
  goto fail;
fail:
  if (u)
    g_uri_unref (u);
  g_free (scheme);
  return FALSE;
}

void
mqtt_uri_clear (MqttUri * uri)
{
  g_clear_pointer (&uri->host, g_free);
  g_clear_pointer (&uri->topic, g_free);
  g_clear_pointer (&uri->username, g_free);
  g_clear_pointer (&uri->password, g_free);
  uri->port = 0;
}

#ifdef HAVE_MOSQUITTO

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <glib-unix.h>
#include <mosquitto.h>

#define KEEPALIVE_S 30
/* a TCP connect or a CONNACK that takes longer is given up and retried */
#define CONNECT_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define RETRY_MIN_US (G_USEC_PER_SEC / 2)
#define RETRY_MAX_US (8 * G_USEC_PER_SEC)
/* messages handed to one connection and not yet acknowledged */
#define MAX_INFLIGHT 20

typedef struct
{
  gchar *payload;
  gint mid;                     /* this connection's message id once sent */
} Message;

struct _MqttPublisher
{
  /* set at creation, read-only after */
  MqttUri uri;
  gchar *client_id;
  gint qos;
  guint queue_size;
  MqttPublisherNotify notify;
  gpointer user_data;
  gint wake[2];                 /* a byte in wake[1] wakes the worker */
  GThread *thread;

  /* under lock */
  GMutex lock;
  GCond changed;                /* a message was acknowledged */
  GQueue queue;                 /* Message, oldest first; the worker removes */
  guint connections;            /* accepted connections so far */
  gboolean quit;

  /* worker thread only */
  struct mosquitto *mosq;
  guint n_sent;                 /* head messages sent on this connection */
  gboolean connected;           /* this connection's CONNACK accepted it */
  gchar *lost;                  /* why the connection must go, or NULL */
  gint64 retry_delay, next_attempt, connect_deadline;
  gboolean outage_reported;
};

static void
message_free (Message * m)
{
  g_free (m->payload);
  g_free (m);
}

static void
set_lost (MqttPublisher * pub, gchar * why)
{
  if (pub->lost)
    g_free (why);
  else
    pub->lost = why;
}

static gchar *
describe_rc (int rc)
{
  if (rc == MOSQ_ERR_ERRNO)
    return g_strdup (g_strerror (errno));
  return g_strdup (mosquitto_strerror (rc));
}

static void
on_connect (struct mosquitto *mosq, void *data, int rc)
{
  MqttPublisher *pub = data;

  (void) mosq;
  if (rc != 0) {
    set_lost (pub, g_strdup_printf ("the broker refused the connection: %s",
            mosquitto_connack_string (rc)));
    return;
  }
  pub->connected = TRUE;
  pub->outage_reported = FALSE;
  pub->retry_delay = RETRY_MIN_US;
  g_mutex_lock (&pub->lock);
  pub->connections++;
  g_mutex_unlock (&pub->lock);
  if (pub->notify)
    pub->notify (MQTT_EVENT_CONNECTED, "connected", pub->user_data);
}

static void
on_disconnect (struct mosquitto *mosq, void *data, int rc)
{
  (void) mosq;
  set_lost (data, g_strdup_printf ("disconnected: %s", rc == MOSQ_ERR_ERRNO ?
          g_strerror (errno) : mosquitto_strerror (rc)));
}

/* The broker acknowledged message @mid: it leaves the queue. */
static void
on_publish (struct mosquitto *mosq, void *data, int mid)
{
  MqttPublisher *pub = data;
  Message *done = NULL;
  GList *l;
  guint i;

  (void) mosq;
  g_mutex_lock (&pub->lock);
  for (l = pub->queue.head, i = 0; l && i < pub->n_sent; l = l->next, i++) {
    Message *m = l->data;

    if (m->mid == mid) {
      done = m;
      g_queue_delete_link (&pub->queue, l);
      pub->n_sent--;
      g_cond_broadcast (&pub->changed);
      break;
    }
  }
  g_mutex_unlock (&pub->lock);
  if (done)
    message_free (done);
}

static void
start_connection (MqttPublisher * pub)
{
  int rc;

  pub->mosq = mosquitto_new (pub->client_id, true, pub);
  if (!pub->mosq) {
    set_lost (pub, g_strdup ("out of memory"));
    return;
  }
  mosquitto_int_option (pub->mosq, MOSQ_OPT_SEND_MAXIMUM, MAX_INFLIGHT);
  mosquitto_connect_callback_set (pub->mosq, on_connect);
  mosquitto_disconnect_callback_set (pub->mosq, on_disconnect);
  mosquitto_publish_callback_set (pub->mosq, on_publish);
  if (pub->uri.username)
    mosquitto_username_pw_set (pub->mosq, pub->uri.username,
        pub->uri.password);
  pub->connect_deadline = g_get_monotonic_time () + CONNECT_TIMEOUT_US;
  rc = mosquitto_connect_async (pub->mosq, pub->uri.host, pub->uri.port,
      KEEPALIVE_S);
  if (rc != MOSQ_ERR_SUCCESS)
    set_lost (pub, describe_rc (rc));
}

/* Forgets the connection; what it had sent and not had acknowledged goes
 * again, from the oldest, on the next one. */
static void
drop_connection (MqttPublisher * pub)
{
  gboolean was_connected = pub->connected;
  gchar *why = pub->lost ? pub->lost : g_strdup ("connection closed");

  mosquitto_destroy (pub->mosq);
  pub->mosq = NULL;
  pub->connected = FALSE;
  pub->lost = NULL;
  g_mutex_lock (&pub->lock);
  pub->n_sent = 0;
  g_mutex_unlock (&pub->lock);
  pub->next_attempt = g_get_monotonic_time () + pub->retry_delay;
  pub->retry_delay = MIN (pub->retry_delay * 2, RETRY_MAX_US);

  if (pub->notify && was_connected)
    pub->notify (MQTT_EVENT_CONNECTION_LOST, why, pub->user_data);
  else if (pub->notify && !pub->outage_reported)
    pub->notify (MQTT_EVENT_CONNECT_FAILED, why, pub->user_data);
  pub->outage_reported = TRUE;
  g_free (why);
}

/* Sends the queued messages this connection has not sent, oldest first,
 * while fewer than MAX_INFLIGHT wait for an acknowledgement. */
static void
publish_pending (MqttPublisher * pub)
{
  while (!pub->lost) {
    Message *m;
    int rc;

    g_mutex_lock (&pub->lock);
    m = pub->n_sent < MAX_INFLIGHT ? g_queue_peek_nth (&pub->queue,
        pub->n_sent) : NULL;
    g_mutex_unlock (&pub->lock);
    if (!m)
      return;
    /* the message stays where it is: only this thread removes messages */
    rc = mosquitto_publish (pub->mosq, &m->mid, pub->uri.topic,
        strlen (m->payload), m->payload, pub->qos, false);
    if (rc != MOSQ_ERR_SUCCESS) {
      set_lost (pub, describe_rc (rc));
      return;
    }
    g_mutex_lock (&pub->lock);
    if (pub->qos == 0) {
      /* at most once: nothing will acknowledge it */
      g_queue_pop_nth (&pub->queue, pub->n_sent);
      g_cond_broadcast (&pub->changed);
    } else {
      pub->n_sent++;
      m = NULL;
    }
    g_mutex_unlock (&pub->lock);
    if (m)
      message_free (m);
  }
}

static gint
poll_timeout_ms (MqttPublisher * pub, gint64 now)
{
  /* loop_misc (keepalive) at least once a second */
  gint64 until = now + G_USEC_PER_SEC;

  if (!pub->mosq)
    until = MIN (until, pub->next_attempt);
  else if (!pub->connected)
    until = MIN (until, pub->connect_deadline);
  return until > now ? (gint) ((until - now + 999) / 1000) : 0;
}

static gpointer
mqtt_publisher_thread (gpointer data)
{
  MqttPublisher *pub = data;

  pub->retry_delay = RETRY_MIN_US;
  pub->next_attempt = g_get_monotonic_time ();
  for (;;) {
    struct pollfd fds[2] = { {pub->wake[0], POLLIN, 0}, {-1, 0, 0} };
    gint64 now = g_get_monotonic_time ();
    gboolean quit;
    int rc = MOSQ_ERR_SUCCESS;

    g_mutex_lock (&pub->lock);
    quit = pub->quit;
    g_mutex_unlock (&pub->lock);
    if (quit)
      break;

    if (!pub->mosq && now >= pub->next_attempt)
      start_connection (pub);
    if (pub->mosq && pub->connected)
      publish_pending (pub);
    if (pub->mosq && !pub->lost) {
      fds[1].fd = mosquitto_socket (pub->mosq);
      fds[1].events = POLLIN | (mosquitto_want_write (pub->mosq) ? POLLOUT : 0);
      if (fds[1].fd < 0)
        set_lost (pub, g_strdup ("no socket"));
    }
    if (pub->mosq && pub->lost) {
      drop_connection (pub);
      continue;
    }

    if (poll (fds, 2, poll_timeout_ms (pub, now)) < 0 && errno != EINTR)
      g_usleep (G_USEC_PER_SEC / 10);   /* not expected; do not spin */
    if (fds[0].revents & POLLIN) {
      gchar buf[64];

      while (read (pub->wake[0], buf, sizeof (buf)) > 0);
    }
    if (!pub->mosq)
      continue;
    if (fds[1].revents & (POLLIN | POLLERR | POLLHUP))
      rc = mosquitto_loop_read (pub->mosq, 1);
    if (rc == MOSQ_ERR_SUCCESS && (fds[1].revents & POLLOUT))
      rc = mosquitto_loop_write (pub->mosq, 1);
    if (rc == MOSQ_ERR_SUCCESS)
      rc = mosquitto_loop_misc (pub->mosq);
    if (rc != MOSQ_ERR_SUCCESS)
      set_lost (pub, describe_rc (rc));
    else if (!pub->connected && g_get_monotonic_time () > pub->connect_deadline)
      set_lost (pub, g_strdup_printf ("no answer within %d s",
              (gint) (CONNECT_TIMEOUT_US / G_USEC_PER_SEC)));
    if (pub->lost)
      drop_connection (pub);
  }

  if (pub->mosq) {
    /* a DISCONNECT tells the broker this was no failure; best effort */
    if (pub->connected && mosquitto_disconnect (pub->mosq) == MOSQ_ERR_SUCCESS)
      mosquitto_loop_write (pub->mosq, 1);
    mosquitto_destroy (pub->mosq);
    pub->mosq = NULL;
  }
  g_free (pub->lost);
  pub->lost = NULL;
  return NULL;
}

static gpointer
init_library (gpointer unused)
{
  (void) unused;
  mosquitto_lib_init ();
  return NULL;
}

static void
wake_worker (MqttPublisher * pub)
{
  /* a full pipe already holds a wake-up */
  if (write (pub->wake[1], "", 1) < 0 && errno != EAGAIN)
    g_warning ("mqttpublisher: could not wake the worker: %s",
        g_strerror (errno));
}

/**
 * mqtt_publisher_new:
 *
 * Starts the worker, which connects in the background: an unreachable broker
 * is no error here, messages queue until it answers.  Returns NULL only if
 * the thread or its pipe cannot be made.
 */
MqttPublisher *
mqtt_publisher_new (const MqttUri * uri, const gchar * client_id, gint qos,
    guint queue_size, MqttPublisherNotify notify, gpointer user_data)
{
  static GOnce once = G_ONCE_INIT;
  MqttPublisher *pub = g_new0 (MqttPublisher, 1);

  g_once (&once, init_library, NULL);
  pub->uri.host = g_strdup (uri->host);
  pub->uri.port = uri->port;
  pub->uri.topic = g_strdup (uri->topic);
  pub->uri.username = g_strdup (uri->username);
  pub->uri.password = g_strdup (uri->password);
  pub->client_id = g_strdup (client_id);
  pub->qos = CLAMP (qos, 0, 2);
  pub->queue_size = MAX (queue_size, 1);
  pub->notify = notify;
  pub->user_data = user_data;
  g_mutex_init (&pub->lock);
  g_cond_init (&pub->changed);
  g_queue_init (&pub->queue);
  if (!g_unix_open_pipe (pub->wake, FD_CLOEXEC, NULL)
      || !g_unix_set_fd_nonblocking (pub->wake[0], TRUE, NULL)
      || !g_unix_set_fd_nonblocking (pub->wake[1], TRUE, NULL))
    goto failed;
  pub->thread = g_thread_try_new ("mqttpublisher", mqtt_publisher_thread, pub,
      NULL);
  if (!pub->thread)
    goto failed;
  return pub;

  /* ERRORS */
failed:
  {
    mqtt_publisher_free (pub);
    return NULL;
  }
}

/**
 * mqtt_publisher_push:
 *
 * Queues @payload (taken) for publishing; never waits on the network.
 * Returns FALSE, and frees @payload, when the queue is full.
 */
gboolean
mqtt_publisher_push (MqttPublisher * pub, gchar * payload)
{
  Message *m;

  g_mutex_lock (&pub->lock);
  if (g_queue_get_length (&pub->queue) >= pub->queue_size)
    goto full;
  m = g_new (Message, 1);
  m->payload = payload;
  m->mid = -1;
  g_queue_push_tail (&pub->queue, m);
  g_mutex_unlock (&pub->lock);
  wake_worker (pub);
  return TRUE;

  /* ERRORS */
full:
  {
    g_mutex_unlock (&pub->lock);
    g_free (payload);
    return FALSE;
  }
}

/**
 * mqtt_publisher_flush:
 *
 * Waits up to @timeout_us for every queued message to be acknowledged.
 * Returns TRUE when the queue is empty.
 */
gboolean
mqtt_publisher_flush (MqttPublisher * pub, gint64 timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  gboolean empty;

  g_mutex_lock (&pub->lock);
  while (!g_queue_is_empty (&pub->queue)
      && g_cond_wait_until (&pub->changed, &pub->lock, end));
  empty = g_queue_is_empty (&pub->queue);
  g_mutex_unlock (&pub->lock);
  return empty;
}

/* How many connections the broker has accepted so far: a new value means
 * an outage ended. */
guint
mqtt_publisher_connections (MqttPublisher * pub)
{
  guint n;

  g_mutex_lock (&pub->lock);
  n = pub->connections;
  g_mutex_unlock (&pub->lock);
  return n;
}

/**
 * mqtt_publisher_free:
 *
 * Stops the worker (it sends DISCONNECT when connected) without waiting for
 * the queue: call mqtt_publisher_flush() first for that.  Returns how many
 * messages were never acknowledged.
 */
guint
mqtt_publisher_free (MqttPublisher * pub)
{
  guint left;

  if (pub->thread) {
    g_mutex_lock (&pub->lock);
    pub->quit = TRUE;
    g_mutex_unlock (&pub->lock);
    wake_worker (pub);
    g_thread_join (pub->thread);
  }
  left = g_queue_get_length (&pub->queue);
  g_queue_clear_full (&pub->queue, (GDestroyNotify) message_free);
  if (pub->wake[0] > 0)
    close (pub->wake[0]);
  if (pub->wake[1] > 0)
    close (pub->wake[1]);
  g_mutex_clear (&pub->lock);
  g_cond_clear (&pub->changed);
  mqtt_uri_clear (&pub->uri);
  g_free (pub->client_id);
  g_free (pub);
  return left;
}

#endif /* HAVE_MOSQUITTO */
