/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_device_spec: the `device` option names a device by a word of its
 * platform's name, its platform's vendor or its own name, whatever the
 * driver's version calls it.  PoCL 3.1 names its device "pthread-..." and
 * PoCL 6 "cpu-...", on the platform "Portable Computing Language" of "The
 * pocl project": "pocl" must select it on both.  The oracle is the OpenCL
 * API itself, enumerated here.
 *
 *   test-device-spec MODEL.onnx */
#define _GNU_SOURCE             /* strcasestr */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <yolov7/yolov7.h>

#include "check.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The platform names whose name or vendor holds `word` (case-insensitive),
 * and the devices' names of those platforms, as one string each. */
static int
platforms_with (const char *word, char *names, size_t nsize, char *devices, size_t dsize)
{
  cl_platform_id plats[16];
  cl_uint np = 0;
  int found = 0;

  names[0] = devices[0] = '\0';
  if (clGetPlatformIDs (16, plats, &np) != CL_SUCCESS)
    return 0;
  for (cl_uint p = 0; p < np && p < 16; p++) {
    char name[128] = "", vendor[128] = "";
    cl_device_id devs[16];
    cl_uint nd = 0;

    clGetPlatformInfo (plats[p], CL_PLATFORM_NAME, sizeof name - 1, name, NULL);
    clGetPlatformInfo (plats[p], CL_PLATFORM_VENDOR, sizeof vendor - 1, vendor, NULL);
    if (!strcasestr (name, word) && !strcasestr (vendor, word))
      continue;
    found++;
    strncat (names, name, nsize - strlen (names) - 1);
    if (clGetDeviceIDs (plats[p], CL_DEVICE_TYPE_ALL, 16, devs, &nd) != CL_SUCCESS)
      continue;
    for (cl_uint d = 0; d < nd && d < 16; d++) {
      char dname[128] = "";
      clGetDeviceInfo (devs[d], CL_DEVICE_NAME, sizeof dname - 1, dname, NULL);
      strncat (devices, dname, dsize - strlen (devices) - 1);
      strncat (devices, "\n", dsize - strlen (devices) - 1);
    }
  }
  return found;
}

/* Load the model on `spec`; the device's name, or "" with err set. */
static bool
load_on (const char *model, const char *spec, char *device, size_t size, yv7_error *err)
{
  yv7_options opt;
  yv7_engine *e;

  yv7_options_init (&opt);
  opt.device = spec;
  memset (err, 0, sizeof *err);
  device[0] = '\0';
  e = yv7_engine_load (model, &opt, err);
  if (!e)
    return false;
  snprintf (device, size, "%s", yv7_engine_device_name (e));
  yv7_engine_free (e);
  return true;
}

/* "pthread-x (Portable ...)" -> "pthread-x": the device part of a name. */
static void
device_part (const char *full, char *out, size_t size)
{
  const char *paren = strstr (full, " (");
  size_t n = paren ? (size_t) (paren - full) : strlen (full);
  snprintf (out, size, "%.*s", (int) (n < size ? n : size - 1), full);
}

int
main (int argc, char **argv)
{
  char names[512], devices[2048], got[256], dev[256], line[768];
  yv7_error err;
  int npocl;

  if (argc != 2) {
    fprintf (stderr, "usage: %s MODEL.onnx\n", argv[0]);
    return 2;
  }

  /* PoCL by its vendor's name, in any case */
  npocl = platforms_with ("pocl", names, sizeof names, devices, sizeof devices);
  check (npocl > 0, "the OpenCL ICD loader lists a PoCL platform",
      npocl > 0 ? NULL : "install pocl-opencl-icd");
  if (npocl > 0) {
    const char *specs[] = { "pocl", "POCL", "Portable Computing" };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
      bool ok = load_on (argv[1], specs[i], got, sizeof got, &err);
      device_part (got, dev, sizeof dev);
      snprintf (line, sizeof line, "device=%s selects a device of PoCL's (%s)", specs[i],
          ok ? got : err.message);
      check (ok && strstr (got, "Portable Computing Language") && *dev
          && strstr (devices, dev), line, NULL);
    }
    /* and by its device's own name, as the driver reports it (pthread-... or cpu-...) */
    if (load_on (argv[1], "pocl", got, sizeof got, &err)) {
      char spec[256];
      device_part (got, spec, sizeof spec);
      bool ok = load_on (argv[1], spec, got, sizeof got, &err);
      snprintf (line, sizeof line, "device=%s (the device's own name) selects it", spec);
      check (ok && strncmp (got, spec, strlen (spec)) == 0, line, ok ? got : err.message);
    }
  }

  /* "cpu" is a device type, not a name */
  {
    bool ok = load_on (argv[1], "cpu", got, sizeof got, &err);
    check (ok, "device=cpu selects a CPU device", ok ? got : err.message);
  }

  /* a spec that matches nothing: an error that lists what exists */
  {
    bool ok = load_on (argv[1], "no-such-device-xyz", got, sizeof got, &err);
    platforms_with ("", names, sizeof names, devices, sizeof devices);
    snprintf (line, sizeof line, "device=no-such-device-xyz fails with YV7_E_NO_DEVICE, "
        "naming the spec and the devices there are");
    device_part (strtok (devices, "\n") ? devices : "", dev, sizeof dev);
    check (!ok && err.code == YV7_E_NO_DEVICE && strstr (err.message, "no-such-device-xyz")
        && *dev && strstr (err.message, dev) && strstr (err.message, "pocl"), line,
        err.message);
  }
  return check_summary ();
}
