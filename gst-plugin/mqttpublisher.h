/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mqttpublisher.h: detectionjson's MQTT side, plain GLib + libmosquitto.
 *
 * A bounded FIFO of messages and one thread of its own that owns the
 * connection: it connects (and reconnects with back-off), publishes the
 * queue in order and removes a message only when the broker acknowledged it
 * (PUBACK for QoS 1, PUBCOMP for QoS 2; QoS 0 when it is handed to the
 * socket).  After a reconnect the unacknowledged messages are published
 * again from the oldest, so delivery is at least once: a message whose
 * acknowledgement was lost with the connection arrives twice, never out of
 * the order of first arrival.  The caller's thread only appends under a
 * mutex: it never waits on the network. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What an mqtt:// URI names. */
typedef struct
{
  gchar *host;
  gint port;                    /* 1883 when the URI has none */
  gchar *topic;                 /* the path without its leading '/' */
  gchar *username;              /* NULL unless the URI has user[:password]@ */
  gchar *password;
} MqttUri;

#define MQTT_DEFAULT_PORT 1883

/* Parses mqtt://[user[:password]@]host[:port]/topic into @out.  On failure
 * returns FALSE and sets @problem to a sentence naming what is wrong. */
gboolean mqtt_uri_parse (const gchar * uri, MqttUri * out, gchar ** problem);
void mqtt_uri_clear (MqttUri * uri);

#ifdef HAVE_MOSQUITTO

typedef struct _MqttPublisher MqttPublisher;

typedef enum
{
  MQTT_EVENT_CONNECTED,         /* a CONNACK accepted the connection */
  MQTT_EVENT_CONNECT_FAILED,    /* the first failed attempt of an outage */
  MQTT_EVENT_CONNECTION_LOST,   /* an accepted connection went away */
} MqttEvent;

/* Called on the publisher's thread, no lock held; @detail says why. */
typedef void (*MqttPublisherNotify) (MqttEvent event, const gchar * detail,
    gpointer user_data);

MqttPublisher *mqtt_publisher_new (const MqttUri * uri, const gchar * client_id,
    gint qos, guint queue_size, MqttPublisherNotify notify, gpointer user_data);
gboolean mqtt_publisher_push (MqttPublisher * pub, gchar * payload);
gboolean mqtt_publisher_flush (MqttPublisher * pub, gint64 timeout_us);
guint mqtt_publisher_connections (MqttPublisher * pub);
guint mqtt_publisher_free (MqttPublisher * pub);

#endif /* HAVE_MOSQUITTO */

G_END_DECLS
