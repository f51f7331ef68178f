/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clrt.c: OpenCL device choice, context, queue and the embedded program. */
#include "clrt.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern const char yv7_cl_source[];

const char *
yv7_cl_strerror (cl_int rc)
{
  switch (rc) {
#define E(x) case x: return #x;
    E (CL_SUCCESS) E (CL_DEVICE_NOT_FOUND) E (CL_DEVICE_NOT_AVAILABLE)
    E (CL_COMPILER_NOT_AVAILABLE) E (CL_MEM_OBJECT_ALLOCATION_FAILURE)
    E (CL_OUT_OF_RESOURCES) E (CL_OUT_OF_HOST_MEMORY) E (CL_BUILD_PROGRAM_FAILURE)
    E (CL_INVALID_VALUE) E (CL_INVALID_PLATFORM) E (CL_INVALID_DEVICE)
    E (CL_INVALID_CONTEXT) E (CL_INVALID_COMMAND_QUEUE) E (CL_INVALID_MEM_OBJECT)
    E (CL_INVALID_PROGRAM) E (CL_INVALID_KERNEL_NAME) E (CL_INVALID_KERNEL)
    E (CL_INVALID_ARG_INDEX) E (CL_INVALID_ARG_VALUE) E (CL_INVALID_ARG_SIZE)
    E (CL_INVALID_KERNEL_ARGS) E (CL_INVALID_WORK_DIMENSION)
    E (CL_INVALID_WORK_GROUP_SIZE) E (CL_INVALID_GLOBAL_OFFSET)
    E (CL_INVALID_EVENT_WAIT_LIST) E (CL_INVALID_BUFFER_SIZE)
    E (CL_INVALID_GLOBAL_WORK_SIZE)
    E (CL_MISALIGNED_SUB_BUFFER_OFFSET) E (CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
#undef E
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "unknown OpenCL error";
  }
}

yv7_status
yv7_cl_check (cl_int rc, const char *what, yv7_error *err)
{
  if (rc == CL_SUCCESS)
    return YV7_OK;
  if (rc == CL_MEM_OBJECT_ALLOCATION_FAILURE || rc == CL_OUT_OF_HOST_MEMORY
      || rc == CL_OUT_OF_RESOURCES)
    return yv7_set_error (err, YV7_E_NOMEM, "%s failed: %s (%d)", what,
        yv7_cl_strerror (rc), rc);
  return yv7_set_error (err, YV7_E_DEVICE, "%s failed: %s (%d)", what,
      yv7_cl_strerror (rc), rc);
}

/* ---- fault injection (YV7_CL_FAULT, see clrt.h) ---- */

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static char fault_value[64];        /* the value the count belongs to */
static unsigned long fault_calls;   /* matching calls since it was seen */

cl_int
yv7_cl_fault (yv7_cl_fault_site site)
{
  static const struct { const char *name; cl_int rc; } kinds[] = {
    [YV7_CL_FAULT_BUILD] = { "build", CL_BUILD_PROGRAM_FAILURE },
    [YV7_CL_FAULT_ENQUEUE] = { "enqueue", CL_OUT_OF_RESOURCES },
    [YV7_CL_FAULT_ALLOC] = { "alloc", CL_MEM_OBJECT_ALLOCATION_FAILURE },
  };
  const char *env = getenv ("YV7_CL_FAULT");
  size_t len = strlen (kinds[site].name);
  unsigned long nth = 0;
  cl_int rc = CL_SUCCESS;

  if (!env || strncmp (env, kinds[site].name, len) != 0
      || (env[len] != '\0' && env[len] != ':'))
    return CL_SUCCESS;
  if (env[len] == ':') {
    char *end;
    nth = strtoul (env + len + 1, &end, 10);
    if (*end != '\0' || nth == 0)
      return CL_SUCCESS;   /* not a count: no fault */
  }
  pthread_mutex_lock (&fault_lock);
  if (strncmp (fault_value, env, sizeof fault_value) != 0) {
    snprintf (fault_value, sizeof fault_value, "%s", env);
    fault_calls = 0;
  }
  fault_calls++;
  if (nth == 0 || fault_calls == nth)
    rc = kinds[site].rc;
  pthread_mutex_unlock (&fault_lock);
  return rc;
}

cl_mem
yv7_cl_buffer (yv7_cl *cl, cl_mem_flags flags, size_t size, void *host, cl_int *rc)
{
  if ((*rc = yv7_cl_fault (YV7_CL_FAULT_ALLOC)) != CL_SUCCESS)
    return NULL;
  return clCreateBuffer (cl->ctx, flags, size, host, rc);
}

static bool
contains_nocase (const char *hay, const char *needle)
{
  size_t n = strlen (needle);
  for (; *hay; hay++)
    if (strncasecmp (hay, needle, n) == 0)
      return true;
  return n == 0;
}

typedef struct {
  cl_platform_id platform;
  cl_device_id device;
  cl_device_type type;
  char name[256];      /* "device (platform)", as the engine reports it */
  char vendors[200];   /* "platform vendor; device vendor": matched, listed */
  int pi, di;
} candidate;

#define MAX_CANDIDATES 64

static int
list_devices (candidate *c, int max)
{
  cl_platform_id plats[16];
  cl_uint np = 0;
  int n = 0;

  if (clGetPlatformIDs (16, plats, &np) != CL_SUCCESS)
    return 0;
  for (cl_uint p = 0; p < np && p < 16; p++) {
    cl_device_id devs[16];
    cl_uint nd = 0;
    char pname[96] = "", pvendor[96] = "";
    clGetPlatformInfo (plats[p], CL_PLATFORM_NAME, sizeof pname - 1, pname, NULL);
    clGetPlatformInfo (plats[p], CL_PLATFORM_VENDOR, sizeof pvendor - 1, pvendor, NULL);
    if (clGetDeviceIDs (plats[p], CL_DEVICE_TYPE_ALL, 16, devs, &nd) != CL_SUCCESS)
      continue;
    for (cl_uint d = 0; d < nd && d < 16 && n < max; d++) {
      char dname[128] = "", dvendor[96] = "";
      cl_bool avail = CL_FALSE;
      clGetDeviceInfo (devs[d], CL_DEVICE_NAME, sizeof dname - 1, dname, NULL);
      clGetDeviceInfo (devs[d], CL_DEVICE_VENDOR, sizeof dvendor - 1, dvendor, NULL);
      clGetDeviceInfo (devs[d], CL_DEVICE_AVAILABLE, sizeof avail, &avail, NULL);
      if (!avail)
        continue;
      c[n].platform = plats[p];
      c[n].device = devs[d];
      clGetDeviceInfo (devs[d], CL_DEVICE_TYPE, sizeof c[n].type, &c[n].type, NULL);
      snprintf (c[n].name, sizeof c[n].name, "%s (%s)", dname, pname);
      snprintf (c[n].vendors, sizeof c[n].vendors, "%s; %s", pvendor, dvendor);
      c[n].pi = (int) p;
      c[n].di = (int) d;
      n++;
    }
  }
  return n;
}

static int
pick_device (const candidate *c, int n, const char *spec)
{
  int p, d;
  char tail;

  if (!spec || !*spec || strcasecmp (spec, "auto") == 0) {
    for (int i = 0; i < n; i++)
      if (c[i].type & CL_DEVICE_TYPE_GPU)
        return i;
    for (int i = 0; i < n; i++)
      if (c[i].type & CL_DEVICE_TYPE_CPU)
        return i;
    return n > 0 ? 0 : -1;
  }
  if (strcasecmp (spec, "gpu") == 0 || strcasecmp (spec, "cpu") == 0) {
    cl_device_type want = tolower ((unsigned char) spec[0]) == 'g'
        ? CL_DEVICE_TYPE_GPU : CL_DEVICE_TYPE_CPU;
    for (int i = 0; i < n; i++)
      if (c[i].type & want)
        return i;
    return -1;
  }
  if (sscanf (spec, "%d:%d%c", &p, &d, &tail) == 2) {
    for (int i = 0; i < n; i++)
      if (c[i].pi == p && c[i].di == d)
        return i;
    return -1;
  }
  /* a word of the device's name, its platform's name or either's vendor:
   * PoCL's device is "pthread-..." (3.x) or "cpu-..." (6.x) on the platform
   * "Portable Computing Language" of "The pocl project" */
  for (int i = 0; i < n; i++)
    if (contains_nocase (c[i].name, spec) || contains_nocase (c[i].vendors, spec))
      return i;
  return -1;
}

/* ---- program binaries cached per device ----
 *
 * The first start on a device builds the embedded source and writes the
 * driver's binary to $YV7_CACHE_DIR or $XDG_CACHE_HOME/yolov7-opencl (else
 * ~/.cache/yolov7-opencl), named by a hash of the source, the build options,
 * the device, its driver and platform versions.  Later starts load it; any
 * trouble with the file (missing, short, rejected by the driver) falls back
 * to building from source.  YV7_CACHE_DIR=off disables the cache. */

/* -w: Debian's PoCL compiles for a "haswell" target and its clang notes, for
 * every float16 argument of its own builtins, that AVX-512 would change the
 * ABI ("369 warnings generated." on stderr at each cold start); the kernels
 * themselves compile warning-free under clang -Wall.  A failed build still
 * returns its errors in the build log. */
#define BUILD_OPTIONS "-cl-std=CL1.2 -w"
#define HALF_OPTIONS BUILD_OPTIONS " -DYV7_HALF_WEIGHTS=1"
#define CACHE_MAGIC "YV7CLBN1"
#define CACHE_MAX_BYTES ((size_t) 512 << 20)

static const char *
build_options (const yv7_cl *cl)
{
  return cl->half_weights ? HALF_OPTIONS : BUILD_OPTIONS;
}

static uint64_t
fnv1a (uint64_t h, const void *data, size_t n)
{
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

static uint64_t
cache_key (const yv7_cl *cl)
{
  char info[512];
  uint64_t h = 0xcbf29ce484222325ull;
  h = fnv1a (h, yv7_cl_source, strlen (yv7_cl_source));
  h = fnv1a (h, build_options (cl), strlen (build_options (cl)) + 1);
  h = fnv1a (h, cl->name, strlen (cl->name));
  info[0] = '\0';
  clGetDeviceInfo (cl->device, CL_DRIVER_VERSION, sizeof info - 1, info, NULL);
  h = fnv1a (h, info, strlen (info));
  info[0] = '\0';
  clGetDeviceInfo (cl->device, CL_DEVICE_VERSION, sizeof info - 1, info, NULL);
  h = fnv1a (h, info, strlen (info));
  info[0] = '\0';
  clGetPlatformInfo (cl->platform, CL_PLATFORM_VERSION, sizeof info - 1, info, NULL);
  h = fnv1a (h, info, strlen (info));
  return h;
}

/* The cache file's path, or false when caching is off or has no home. */
bool
yv7_cl_cache_file (const yv7_cl *cl, const char *suffix, char *path, size_t size,
    char *dir, size_t dsize)
{
  const char *env = getenv ("YV7_CACHE_DIR"), *base;
  int n;
  if (env && (strcmp (env, "off") == 0 || strcmp (env, "0") == 0))
    return false;
  if (env && *env)
    n = snprintf (dir, dsize, "%s", env);
  else if ((base = getenv ("XDG_CACHE_HOME")) && *base)
    n = snprintf (dir, dsize, "%s/yolov7-opencl", base);
  else if ((base = getenv ("HOME")) && *base)
    n = snprintf (dir, dsize, "%s/.cache/yolov7-opencl", base);
  else
    return false;
  if (n < 0 || (size_t) n >= dsize)
    return false;
  n = snprintf (path, size, "%s/%016llx%s", dir, (unsigned long long) cache_key (cl), suffix);
  return n > 0 && (size_t) n < size;
}

void
yv7_cl_mkdirs (const char *dir)
{
  char parent[4096];
  snprintf (parent, sizeof parent, "%s", dir);
  for (char *slash = parent + 1; (slash = strchr (slash, '/')); slash++) {
    *slash = '\0';
    mkdir (parent, 0700);
    *slash = '/';
  }
  mkdir (parent, 0700);
}

/* Read a cached binary; NULL when there is none or it is not ours. */
static unsigned char *
cache_read (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  char magic[8];
  uint64_t n = 0;
  unsigned char *buf = NULL;
  if (!f)
    return NULL;
  if (fread (magic, 1, 8, f) != 8 || memcmp (magic, CACHE_MAGIC, 8) != 0
      || fread (&n, sizeof n, 1, f) != 1 || n == 0 || n > CACHE_MAX_BYTES)
    goto out;
  buf = malloc ((size_t) n);
  if (buf && fread (buf, 1, (size_t) n, f) != (size_t) n) {
    free (buf);
    buf = NULL;
  }
  *len = (size_t) n;
out:
  fclose (f);
  return buf;
}

/* Write the built program's binary: to a temporary name first, renamed
 * into place, so concurrent starts never see a half-written file.  A cache
 * that cannot be written is not an error. */
static void
cache_write (const yv7_cl *cl, const char *path, const char *dir)
{
  size_t len = 0;
  unsigned char *bin = NULL;
  char tmp[4200];
  FILE *f;
  uint64_t n;

  if (clGetProgramInfo (cl->program, CL_PROGRAM_BINARY_SIZES, sizeof len, &len, NULL) != CL_SUCCESS
      || len == 0 || len > CACHE_MAX_BYTES || !(bin = malloc (len)))
    goto out;
  if (clGetProgramInfo (cl->program, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) != CL_SUCCESS)
    goto out;
  yv7_cl_mkdirs (dir);
  snprintf (tmp, sizeof tmp, "%s.%ld.tmp", path, (long) getpid ());
  if (!(f = fopen (tmp, "wb")))
    goto out;
  n = len;
  if (fwrite (CACHE_MAGIC, 1, 8, f) != 8 || fwrite (&n, sizeof n, 1, f) != 1
      || fwrite (bin, 1, len, f) != len) {
    fclose (f);
    remove (tmp);
    goto out;
  }
  if (fclose (f) != 0 || rename (tmp, path) != 0)
    remove (tmp);
out:
  free (bin);
}

static cl_int
build (yv7_cl *cl)
{
  cl_int rc = yv7_cl_fault (YV7_CL_FAULT_BUILD);
  if (rc != CL_SUCCESS)
    return rc;
  return clBuildProgram (cl->program, 1, &cl->device, build_options (cl), NULL, NULL);
}

static yv7_status
build_program (yv7_cl *cl, yv7_error *err)
{
  char path[4096], dir[4000];
  bool cached = yv7_cl_cache_file (cl, ".bin", path, sizeof path, dir, sizeof dir);
  cl_int rc;

  if (cached) {
    size_t len = 0;
    unsigned char *bin = cache_read (path, &len);
    if (bin) {
      const unsigned char *b = bin;
      cl_int st = CL_SUCCESS;
      cl->program = clCreateProgramWithBinary (cl->ctx, 1, &cl->device, &len, &b, &st, &rc);
      free (bin);
      if (rc == CL_SUCCESS && st == CL_SUCCESS && build (cl) == CL_SUCCESS)
        return YV7_OK;
      if (cl->program)
        clReleaseProgram (cl->program);
      cl->program = NULL;
    }
  }
  {
    const char *src = yv7_cl_source;
    cl->program = clCreateProgramWithSource (cl->ctx, 1, &src, NULL, &rc);
  }
  if (yv7_cl_check (rc, "clCreateProgramWithSource", err) != YV7_OK) {
    cl->program = NULL;
    return err ? err->code : YV7_E_DEVICE;
  }
  rc = build (cl);
  if (rc != CL_SUCCESS) {
    char log[2048] = "";
    clGetProgramBuildInfo (cl->program, cl->device, CL_PROGRAM_BUILD_LOG,
        sizeof log - 1, log, NULL);
    return yv7_set_error (err, YV7_E_DEVICE, "building the OpenCL kernels for %s "
        "failed: %s: %.400s", cl->name, yv7_cl_strerror (rc), log);
  }
  if (cached)
    cache_write (cl, path, dir);
  return YV7_OK;
}

yv7_status
yv7_cl_open (yv7_cl *cl, const char *spec, bool half_weights, yv7_error *err)
{
  candidate cands[MAX_CANDIDATES];
  cl_uint np = 0;
  cl_int rc;
  int n, i;
  yv7_status s;

  memset (cl, 0, sizeof *cl);
  rc = clGetPlatformIDs (0, NULL, &np);
  if (rc != CL_SUCCESS || np == 0)
    return yv7_set_error (err, YV7_E_NO_DEVICE,
        "no OpenCL platform found: install pocl-opencl-icd (CPU) or a GPU's "
        "OpenCL driver");
  n = list_devices (cands, MAX_CANDIDATES);
  if (n == 0)
    return yv7_set_error (err, YV7_E_NO_DEVICE,
        "OpenCL platforms exist but none has an available device: install "
        "pocl-opencl-icd (CPU) or a GPU's OpenCL driver");
  i = pick_device (cands, n, spec);
  if (i < 0) {
    char list[2048];
    size_t off = 0;
    list[0] = '\0';
    for (int k = 0; k < n && off < sizeof list; k++)
      off += (size_t) snprintf (list + off, sizeof list - off, "%s%d:%d %s [%s]",
          k ? "; " : "", cands[k].pi, cands[k].di, cands[k].name, cands[k].vendors);
    return yv7_set_error (err, YV7_E_NO_DEVICE,
        "no OpenCL device matches '%s' (devices: %s)", spec, list);
  }
  cl->platform = cands[i].platform;
  cl->device = cands[i].device;
  cl->type = cands[i].type;
  snprintf (cl->name, sizeof cl->name, "%s", cands[i].name);
  clGetDeviceInfo (cl->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof cl->max_wg,
      &cl->max_wg, NULL);
  clGetDeviceInfo (cl->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof cl->global_mem,
      &cl->global_mem, NULL);
  clGetDeviceInfo (cl->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof cl->max_alloc,
      &cl->max_alloc, NULL);
  clGetDeviceInfo (cl->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cl->compute_units,
      &cl->compute_units, NULL);
  cl->half_weights = half_weights;
  /* Kernel family by device type: CPUs (PoCL) want one work-item per big
   * register tile and no barriers, GPUs want work-groups sharing __local
   * tiles.  YV7_KERNELS=gpu|cpu forces a family (tests run the GPU
   * kernels on PoCL this way). */
  {
    const char *k = getenv ("YV7_KERNELS");
    if (k && !strcasecmp (k, "gpu"))
      cl->gpu_kernels = true;
    else if (k && !strcasecmp (k, "cpu"))
      cl->gpu_kernels = false;
    else
      cl->gpu_kernels = (cl->type & (CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_ACCELERATOR)) != 0;
  }

  {
    cl_context_properties props[] = {
      CL_CONTEXT_PLATFORM, (cl_context_properties) cl->platform, 0
    };
    cl->ctx = clCreateContext (props, 1, &cl->device, NULL, NULL, &rc);
  }
  if ((s = yv7_cl_check (rc, "clCreateContext", err)) != YV7_OK)
    goto fail;
  cl->queue = clCreateCommandQueue (cl->ctx, cl->device, 0, &rc);
  if ((s = yv7_cl_check (rc, "clCreateCommandQueue", err)) != YV7_OK)
    goto fail;
  if ((s = build_program (cl, err)) != YV7_OK)
    goto fail;
  return YV7_OK;

  /* ERRORS */
fail:
  yv7_cl_close (cl);
  return s;
}

void
yv7_cl_close (yv7_cl *cl)
{
  for (int i = 0; i < cl->n_kernels; i++)
    clReleaseKernel (cl->kernels[i].k);
  if (cl->staging)
    clReleaseMemObject (cl->staging);
  if (cl->program)
    clReleaseProgram (cl->program);
  if (cl->queue) {
    clFinish (cl->queue);
    clReleaseCommandQueue (cl->queue);
  }
  if (cl->ctx)
    clReleaseContext (cl->ctx);
  memset (cl, 0, sizeof *cl);
}

cl_kernel
yv7_cl_kernel (yv7_cl *cl, const char *name, yv7_error *err)
{
  cl_int rc;
  cl_kernel k;

  for (int i = 0; i < cl->n_kernels; i++)
    if (strcmp (cl->kernels[i].name, name) == 0)
      return cl->kernels[i].k;
  if (cl->n_kernels == YV7_CL_MAX_KERNELS) {
    yv7_set_error (err, YV7_E_DEVICE, "too many OpenCL kernels (asked for %s)", name);
    return NULL;
  }
  k = clCreateKernel (cl->program, name, &rc);
  if (yv7_cl_check (rc, name, err) != YV7_OK)
    return NULL;
  cl->kernels[cl->n_kernels].name = name;
  cl->kernels[cl->n_kernels].k = k;
  cl->n_kernels++;
  return k;
}

yv7_status
yv7_cl_launch_local (yv7_cl *cl, const char *kernel, int work_dim,
    const size_t *global, const size_t *local, ...)
{
  /* errors from here are reported by the caller's context; keep a local one */
  yv7_error e;
  cl_kernel k = yv7_cl_kernel (cl, kernel, &e);
  va_list ap;
  cl_int rc = CL_SUCCESS;

  if (!k)
    return e.code;
  if (cl->trace) {
    int i = 0;
    while (i < cl->n_launched && strcmp (cl->launched[i], kernel))
      i++;
    if (i == cl->n_launched && i < YV7_CL_TRACE)
      cl->launched[cl->n_launched++] = kernel;
  }
  va_start (ap, local);
  for (int i = 0; rc == CL_SUCCESS; i++) {
    size_t size = va_arg (ap, size_t);
    if (size == 0)
      break;
    rc = clSetKernelArg (k, (cl_uint) i, size, va_arg (ap, const void *));
  }
  va_end (ap);
  if (rc != CL_SUCCESS) {
    cl->launch_error = rc;
    return YV7_E_DEVICE;
  }
  for (int d = 0; d < work_dim; d++)
    if (global[d] == 0)
      return YV7_OK;   /* empty tensor: nothing to do */
  rc = yv7_cl_fault (YV7_CL_FAULT_ENQUEUE);
  if (rc == CL_SUCCESS)
    rc = clEnqueueNDRangeKernel (cl->queue, k, (cl_uint) work_dim, NULL, global,
        local, 0, NULL, NULL);
  if (rc != CL_SUCCESS)
    cl->launch_error = rc;
  return rc == CL_SUCCESS ? YV7_OK
      : (rc == CL_OUT_OF_RESOURCES || rc == CL_MEM_OBJECT_ALLOCATION_FAILURE
          ? YV7_E_NOMEM : YV7_E_DEVICE);
}

yv7_status
yv7_cl_staging (yv7_cl *cl, size_t size, yv7_error *err)
{
  cl_int rc;
  if (cl->staging_size >= size)
    return YV7_OK;
  if (cl->staging)
    clReleaseMemObject (cl->staging);
  cl->staging_size = 0;
  cl->staging = yv7_cl_buffer (cl, CL_MEM_READ_ONLY, size, NULL, &rc);
  if (yv7_cl_check (rc, "allocating the frame staging buffer", err) != YV7_OK) {
    cl->staging = NULL;
    return err ? err->code : YV7_E_DEVICE;
  }
  cl->staging_size = size;
  return YV7_OK;
}

double
yv7_cl_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
