/* numa-runtime: devices a container is handed by environment.
 *
 * Kubernetes device plugins often hand a device over without putting it
 * in linux.devices: the NVIDIA plugin's default strategy sets
 * NVIDIA_VISIBLE_DEVICES (and a hook of the NVIDIA runtime adds the device
 * nodes later); the SR-IOV network plugin sets PCIDEVICE_<RESOURCE> to the
 * PCI addresses of the VFs it allocated.  Those values come from the pod
 * spec as much as from the plugin, so each is checked whole, with limits,
 * before anything is looked up.  */
#include <config.h>

#include "locality_env.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NVIDIA_VARIABLE "NVIDIA_VISIBLE_DEVICES"
#define PCIDEVICE_PREFIX "PCIDEVICE_"
/* A GPU index beyond this is a typo or an attack, not a GPU.  */
#define MAX_GPU_INDEX 1023

/* N (1 to 4) decimal digits and nothing else, the value into *OUT.  */
static bool
small_number (const char *s, size_t n, unsigned *out)
{
  unsigned value = 0;

  if (n == 0 || n > 4)
    return false;
  for (size_t i = 0; i < n; i++)
    {
      if (! isdigit ((unsigned char) s[i]))
        return false;
      value = value * 10 + (unsigned) (s[i] - '0');
    }
  *out = value;
  return true;
}

/* "GPU-" and 1-59 of hex digits and dashes, ending at END (or NUL).  */
static bool
gpu_uuid_into (const char *s, const char *end, struct nr_gpu_ref *out)
{
  size_t len = end ? (size_t) (end - s) : strlen (s);

  if (len <= 4 || len >= sizeof (out->uuid) || strncmp (s, "GPU-", 4) != 0
      || strspn (s + 4, "0123456789abcdefABCDEF-") < len - 4)
    return false;
  memcpy (out->uuid, s, len);
  out->uuid[len] = '\0';
  out->by_uuid = true;
  return true;
}

/* "GI/CI" after a legacy MIG UUID: two small numbers.  */
static bool
mig_instances (const char *s)
{
  const char *slash = strchr (s, '/');
  unsigned unused;

  return slash && small_number (s, (size_t) (slash - s), &unused)
         && small_number (slash + 1, strlen (slash + 1), &unused);
}

int
nr_nvidia_id_parse (const char *id, struct nr_gpu_ref *out, nr_error_t *err)
{
  const char *colon = strchr (id, ':');
  unsigned minor_unused;

  memset (out, 0, sizeof (*out));
  if (small_number (id, strlen (id), &out->index)
      || (colon && small_number (id, (size_t) (colon - id), &out->index)
          && small_number (colon + 1, strlen (colon + 1), &minor_unused)))
    {
      if (out->index > MAX_GPU_INDEX)
        return nr_make_error (err, 0, "GPU index %u is over %d", out->index, MAX_GPU_INDEX);
      return 0;
    }
  if (gpu_uuid_into (id, NULL, out))
    return 0;
  if (strncmp (id, "MIG-GPU-", 8) == 0)
    {
      const char *slash = strchr (id + 8, '/');
      if (slash && gpu_uuid_into (id + 4, slash, out) && mig_instances (slash + 1))
        return 0;
    }
  else if (strncmp (id, "MIG-", 4) == 0)
    return nr_make_error (err, 0, "a MIG UUID names its GPU only through NVML");
  return nr_make_error (err, 0, "not a GPU index or UUID");
}

/* DDDD:BB:DD.F as sysfs spells it (a domain of 4-8 hex digits), into OUT
   in lower case.  */
static bool
pci_address_into (const char *s, char out[32])
{
  size_t domain = strspn (s, "0123456789abcdefABCDEF");
  const char *p = s + domain;

  if (domain < 4 || domain > 8 || p[0] != ':' || strspn (p + 1, "0123456789abcdefABCDEF") != 2
      || p[3] != ':' || strspn (p + 4, "0123456789abcdefABCDEF") != 2 || p[6] != '.' || p[7] < '0'
      || p[7] > '7' || p[8] != '\0')
    return false;
  for (size_t i = 0; s[i]; i++)
    out[i] = (char) tolower ((unsigned char) s[i]);
  out[p + 8 - s] = '\0';
  return true;
}

/* Which variables name devices, and how each names one.  */
typedef int (*parse_one_fn) (const char *item, struct nr_env_device *out, nr_error_t *err);

static int
parse_gpu (const char *item, struct nr_env_device *out, nr_error_t *err)
{
  out->is_gpu = true;
  return nr_nvidia_id_parse (item, &out->gpu, err);
}

static int
parse_pci (const char *item, struct nr_env_device *out, nr_error_t *err)
{
  out->is_gpu = false;
  if (! pci_address_into (item, out->pci))
    return nr_make_error (err, 0, "not a PCI address");
  return 0;
}

/* NAME (up to '=') is PCIDEVICE_<RESOURCE>, and not the plugin's
   PCIDEVICE_<RESOURCE>_INFO (JSON about the same devices).  */
static bool
is_pcidevice_name (const char *name, size_t len)
{
  static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
  size_t prefix = sizeof (PCIDEVICE_PREFIX) - 1;

  if (len <= prefix || strncmp (name, PCIDEVICE_PREFIX, prefix) != 0)
    return false;
  for (size_t i = prefix; i < len; i++)
    if (! strchr (allowed, name[i]))
      return false;
  return ! (len - prefix >= 5 && strncmp (name + len - 5, "_INFO", 5) == 0);
}

static bool
is_nvidia_name (const char *name, size_t len)
{
  return len == sizeof (NVIDIA_VARIABLE) - 1 && strncmp (name, NVIDIA_VARIABLE, len) == 0;
}

static const struct
{
  bool (*names) (const char *name, size_t len);
  parse_one_fn parse_one;
  const char *const *no_devices; /* whole values that name none */
} env_classes[] = {
  { is_nvidia_name, parse_gpu, (const char *const[]){ "", "all", "none", "void", NULL } },
  { is_pcidevice_name, parse_pci, (const char *const[]){ "", NULL } },
};

static bool
in_list (const char *value, const char *const *list)
{
  for (; *list; list++)
    if (strcmp (value, *list) == 0)
      return true;
  return false;
}

/* Split VALUE at commas, each item trimmed of blanks, through PARSE_ONE.  */
static int
parse_items (const char *value, parse_one_fn parse_one, struct nr_env_devices *out, nr_error_t *err)
{
  cleanup_free char *copy = xstrdup (value);
  char *next = copy;

  while (next)
    {
      char *item = next + strspn (next, " \t");
      char *end;

      next = strchr (item, ',');
      if (next)
        *next++ = '\0';
      end = item + strlen (item);
      while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
      if (*item == '\0')
        continue;
      if (out->n == NR_ENV_DEVICES_MAX)
        return nr_make_error (err, 0, "more than %d devices", NR_ENV_DEVICES_MAX);
      if (parse_one (item, &out->items[out->n], err) < 0)
        return nr_error_wrap (err, "item %zu", out->n + 1);
      out->n++;
    }
  return 0;
}

int
nr_env_devices_parse (const char *entry, struct nr_env_devices *out, nr_error_t *err)
{
  const char *equals = strchr (entry, '=');
  const char *value;
  size_t name_len;

  out->n = 0;
  if (equals == NULL)
    return 0;
  name_len = (size_t) (equals - entry);
  value = equals + 1;
  for (size_t c = 0; c < NR_N_ELEMENTS (env_classes); c++)
    {
      if (! env_classes[c].names (entry, name_len))
        continue;
      if (in_list (value, env_classes[c].no_devices))
        return 0;
      if (strlen (value) > NR_ENV_DEVICES_VALUE_MAX)
        return nr_make_error (err, 0, "a value over %d bytes", NR_ENV_DEVICES_VALUE_MAX);
      if (parse_items (value, env_classes[c].parse_one, out, err) < 0)
        {
          out->n = 0;
          return -1;
        }
      return 0;
    }
  return 0;
}

/* ---- privileged containers ----------------------------------------- */

/* The capabilities every kernel since 3.16 has, CAP_CHOWN (0) to
   CAP_AUDIT_READ (37): an engine's "privileged" grants all it knows, and
   a container granted these is one.  */
static const char *const all_capabilities[] = {
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
};

bool
nr_spec_privileged (yajl_val spec)
{
  static const char *const bounding_path[] = { "process", "capabilities", "bounding", NULL };
  static const char *const masked_path[] = { "linux", "maskedPaths", NULL };
  yajl_val bounding = nr_json_get_path (spec, bounding_path);
  yajl_val masked = nr_json_get_path (spec, masked_path);
  uint64_t held = 0;

  if (masked && (! YAJL_IS_ARRAY (masked) || masked->u.array.len > 0))
    return false;
  if (bounding == NULL || ! YAJL_IS_ARRAY (bounding))
    return false;
  for (size_t i = 0; i < bounding->u.array.len; i++)
    {
      const char *name = YAJL_GET_STRING (bounding->u.array.values[i]);
      for (size_t c = 0; name && c < NR_N_ELEMENTS (all_capabilities); c++)
        if (strcmp (name, all_capabilities[c]) == 0)
          held |= UINT64_C (1) << c;
    }
  return held == (UINT64_C (1) << NR_N_ELEMENTS (all_capabilities)) - 1;
}
