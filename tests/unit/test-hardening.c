/* The five holes of issue 22, each closed at its root: a NUL in a ledger
   line, a config file whose read fails, the ledger lock held forever, the
   spec's numbers against their own runtime-spec types.  (The symlink race
   on config.json is tested end to end in tests/04-errors-input.bats.)  */
#include <config.h>

#include "unit.h"

#include "conf.h"
#include "ledger-fixtures.h"
#include "ledger_lock.h"
#include "request.h"
#include "spec_numbers.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a NUL in a ledger file is damage --------------------------------- */

static void
write_text (const char *path, const char *text, size_t len)
{
  assert_int_equal (write_file_atomic (path, text, len, 0600, false, NULL), 0);
}

/* A shard line with a NUL inside, in a ledger whose shard count is not
   64 (so that the next commit copies every line into a new shard): the
   copy once stopped at the NUL but kept the line's length, and readers
   went past the end of the buffer.  Now the shard is damage, found when
   it is read.  */
static void
a_nul_in_a_shard_is_damage (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  cleanup_free char *shard_dir = xasprintf ("%s/ledger.json.d", dir);
  cleanup_free char *s0 = xasprintf ("%s/0-5.json", shard_dir);
  static const char index[] =
      "{\"version\":2,\"boot_id\":\"b\",\"generation\":5,\"reclaim_cursor\":0,\"shard_count\":2,"
      "\"nodes\":[{\"node\":0,\"containers\":1,\"load\":100}],\"shards\":["
      "{\"shard\":0,\"entries\":1,\"file\":\"ledger.json.d/0-5.json\"}]}\n";
  static const char zero[] = "{\"containers\":[\n{\"id\":\"p\",\"nodes\":\"0\",\"load\":100,"
                             "\"root\":\"/r\0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n]}\n";
  struct nr_ledger *l;

  assert_int_equal (mkdir (shard_dir, 0700), 0);
  write_text (path, index, sizeof (index) - 1);
  write_text (s0, zero, sizeof (zero) - 1);

  l = open_ledger (path, "b");
  nr_ledger_load_all (l);
  assert_int_equal (rebuilds_asked, 1);
  assert_int_equal (nr_ledger_count (l), 0);
  commit (l);
  nr_ledger_close (l);
  remove_tree (dir);
}

/* The same in the index.  */
static void
a_nul_in_the_index_is_damage (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  static const char index[] =
      "{\"version\":2,\"boot_id\":\"b\0\",\"generation\":5,\"reclaim_cursor\":0,\"shard_count\":64,"
      "\"nodes\":[],\"shards\":[]}\n";
  struct nr_ledger *l;

  write_text (path, index, sizeof (index) - 1);
  l = open_ledger (path, "b");
  assert_non_null (nr_ledger_moved_aside (l));
  nr_ledger_close (l);
  remove_tree (dir);
}

/* ---- a config file whose read fails is refused -------------------------- */

/* procfs calls /proc/self/mem a regular file, and its first read fails
   (EIO at address 0): inih took that for the end of an empty file.  */
static void
a_config_whose_read_fails_is_refused (void **state)
{
  struct nr_config c;
  nr_error_t err = NULL;

  assert_int_equal (nr_config_load_file (&c, "/proc/self/mem", true, &err), -1);
  assert_non_null (strstr (err->msg, "read config `/proc/self/mem`"));
  nr_error_release (&err);
  nr_config_free (&c);
}

static int
load_config_text (const char *text, struct nr_config *c, nr_error_t *err)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/numa-runtime.conf", dir);
  int r;

  write_text (path, text, strlen (text));
  r = nr_config_load_file (c, path, true, err);
  remove_tree (dir);
  return r;
}

static void
lock_timeout_is_read_within_bounds (void **state)
{
  static const char *const refused[] = {
    "0", "-1", "3601", "1.5", "10s", "", "99999999999999999999"
  };
  struct nr_config c;
  nr_error_t err = NULL;

  assert_int_equal (load_config_text ("[placement]\n", &c, &err), 0);
  assert_int_equal (c.ledger_lock_timeout, NR_LEDGER_LOCK_TIMEOUT_DEFAULT);
  nr_config_free (&c);
  assert_int_equal (load_config_text ("[ledger]\nlock_timeout = 3600\n", &c, &err), 0);
  assert_int_equal (c.ledger_lock_timeout, 3600);
  nr_config_free (&c);
  for (size_t i = 0; i < NR_N_ELEMENTS (refused); i++)
    {
      cleanup_free char *text = xasprintf ("[ledger]\nlock_timeout = %s\n", refused[i]);
      assert_int_equal (load_config_text (text, &c, &err), -1);
      assert_non_null (strstr (err->msg, "lock_timeout"));
      nr_error_release (&err);
      nr_config_free (&c);
    }
}

/* ---- the ledger lock is waited for within the timeout ------------------- */

static void
a_held_lock_times_out_naming_the_lock_and_its_holder (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  cleanup_free char *lock = xasprintf ("%s.lock", path);
  cleanup_free char *holder = xasprintf ("held by pid %d after 1 s", (int) getpid ());
  cleanup_close int fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  struct nr_ledger *l = NULL;
  nr_error_t err = NULL;

  /* Another open file description: its flock conflicts with ours.  */
  assert_true (fd >= 0);
  assert_int_equal (flock (fd, LOCK_EX), 0);
  nr_ledger_set_lock_timeout (1);
  assert_int_equal (nr_ledger_open (path, "b", NULL, &l, &err), -1);
  assert_null (l);
  assert_non_null (strstr (err->msg, lock));
  assert_non_null (strstr (err->msg, holder));
  nr_error_release (&err);
  assert_int_equal (access (path, F_OK), -1); /* nothing written */

  /* Released: taken at once.  */
  assert_int_equal (flock (fd, LOCK_UN), 0);
  assert_int_equal (nr_ledger_open (path, "b", NULL, &l, &err), 0);
  nr_ledger_close (l);
  nr_ledger_set_lock_timeout (NR_LEDGER_LOCK_TIMEOUT_DEFAULT);
  remove_tree (dir);
}

static void
the_lock_holder_is_read_from_proc_locks (void **state)
{
  static const char locks[] = "1: POSIX  ADVISORY  WRITE 77 08:01:1234 0 EOF\n"
                              "2: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF\n"
                              "2: -> FLOCK  ADVISORY  WRITE 999 fd:01:1234 0 EOF\n"
                              "3: FLOCK  ADVISORY  WRITE 31 fd:01:99 0 EOF\n";

  assert_int_equal (ledger_lock_holder_in (locks, 0xfd, 1, 1234), 4242);
  assert_int_equal (ledger_lock_holder_in (locks, 0xfd, 1, 99), 31);
  assert_int_equal (ledger_lock_holder_in (locks, 8, 1, 1234), -1); /* POSIX only */
  assert_int_equal (ledger_lock_holder_in (locks, 0xfd, 1, 5), -1);
  assert_int_equal (ledger_lock_holder_in ("", 0xfd, 1, 5), -1);
}

/* ---- the spec's numbers, each against its own Go type ------------------- */

static bool
accepts (const char *json, enum nr_go_int type)
{
  cleanup_json yajl_val v = NULL;
  nr_error_t err = NULL;

  if (nr_json_parse (json, strlen (json), &v, &err) < 0)
    fail_msg ("bad JSON in test: %s", json);
  return nr_go_int_accepts (v, type);
}

/* Go's encoding/json into int64, uint64, uint32, uint16: each type's
   extremes and one past them, and what no integer type takes.  */
static void
go_integer_types_take_what_go_takes (void **state)
{
  static const struct
  {
    enum nr_go_int type;
    const char *min, *below_min, *max, *above_max;
  } types[] = {
    { NR_GO_INT64, "-9223372036854775808", "-9223372036854775809", "9223372036854775807",
      "9223372036854775808" },
    { NR_GO_UINT64, "0", "-1", "18446744073709551615", "18446744073709551616" },
    { NR_GO_UINT32, "0", "-1", "4294967295", "4294967296" },
    { NR_GO_UINT16, "0", "-1", "65535", "65536" },
  };
  static const char *const never[] = {
    "1.0",  "1e3", "1E0", "-1.5", "\"1\"",
    "true", "[]",  "{}",  "0.0",  "100000000000000000000000000000"
  };

  for (size_t i = 0; i < NR_N_ELEMENTS (types); i++)
    {
      assert_true (accepts (types[i].min, types[i].type));
      assert_true (accepts (types[i].max, types[i].type));
      assert_false (accepts (types[i].below_min, types[i].type));
      assert_false (accepts (types[i].above_max, types[i].type));
      assert_true (accepts ("null", types[i].type));
      assert_true (accepts ("0", types[i].type));
      for (size_t j = 0; j < NR_N_ELEMENTS (never); j++)
        assert_false (accepts (never[j], types[i].type));
    }
  /* strconv.ParseInt takes "-0"; ParseUint takes no sign at all.  */
  assert_true (accepts ("-0", NR_GO_INT64));
  assert_false (accepts ("-0", NR_GO_UINT64));
}

/* A spec with VALUE in place of the "%s" in FMT makes a request (true)
   or is refused naming FIELD (false).  */
static bool
spec_accepted (const char *fmt, const char *value, const char *field)
{
  const char *hole = strstr (fmt, "%s");
  cleanup_free char *text = xasprintf ("%.*s%s%s", (int) (hole - fmt), fmt, value, hole + 2);
  cleanup_json yajl_val doc = NULL;
  struct nr_request r;
  nr_error_t err = NULL;
  bool ok;

  assert_int_equal (nr_json_parse (text, strlen (text), &doc, &err), 0);
  ok = nr_request_from_spec (doc, "c", &r, &err) == 0;
  if (! ok)
    {
      assert_non_null (strstr (err->msg, field));
      nr_error_release (&err);
    }
  nr_request_free (&r);
  return ok;
}

/* Every number numa-runtime reads from a spec, at its runtime-spec type's
   extremes and one past them (the table in docs/CONTRACT.md).  */
static void
every_spec_number_is_checked_against_its_own_type (void **state)
{
  static const char i64_min[] = "-9223372036854775808", i64_below[] = "-9223372036854775809",
                    i64_max[] = "9223372036854775807", i64_above[] = "9223372036854775808",
                    u64_max[] = "18446744073709551615", u64_above[] = "18446744073709551616";
  static const struct
  {
    const char *fmt, *field;
    bool is_unsigned;
  } fields[] = {
    { "{\"linux\":{\"resources\":{\"cpu\":{\"shares\":%s}}}}", "linux.resources.cpu.shares", true },
    { "{\"linux\":{\"resources\":{\"cpu\":{\"quota\":%s}}}}", "linux.resources.cpu.quota", false },
    { "{\"linux\":{\"resources\":{\"cpu\":{\"quota\":1,\"period\":%s}}}}",
      "linux.resources.cpu.period", true },
    { "{\"linux\":{\"resources\":{\"memory\":{\"limit\":%s}}}}", "linux.resources.memory.limit",
      false },
    { "{\"linux\":{\"resources\":{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":1},"
      "{\"pageSize\":\"1GB\",\"limit\":%s}]}}}",
      "linux.resources.hugepageLimits[].limit", true },
    { "{\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":%s,\"minor\":1}]}}",
      "linux.devices[].major", false },
    { "{\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1,\"minor\":%s}]}}",
      "linux.devices[].minor", false },
  };

  for (size_t i = 0; i < NR_N_ELEMENTS (fields); i++)
    {
      const char *fmt = fields[i].fmt, *field = fields[i].field;
      bool u = fields[i].is_unsigned;

      assert_true (spec_accepted (fmt, "0", field));
      assert_true (spec_accepted (fmt, "null", field));
      assert_true (spec_accepted (fmt, u ? u64_max : i64_max, field));
      assert_false (spec_accepted (fmt, u ? u64_above : i64_above, field));
      assert_true (spec_accepted (fmt, u ? "0" : i64_min, field));
      assert_false (spec_accepted (fmt, u ? "-1" : i64_below, field));
      assert_false (spec_accepted (fmt, "1.0", field));
      assert_false (spec_accepted (fmt, "\"1\"", field));
    }
}

/* The largest values of uint64 fields count as "as much as there is",
   not as a wrap to negative.  */
static void
uint64_extremes_read_as_saturated_values (void **state)
{
  static const char spec[] =
      "{\"linux\":{\"resources\":{\"cpu\":{\"quota\":200000,\"period\":18446744073709551615},"
      "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":18446744073709551615}]}}}";
  cleanup_json yajl_val doc = NULL;
  struct nr_request r;
  nr_error_t err = NULL;

  assert_int_equal (nr_json_parse (spec, strlen (spec), &doc, &err), 0);
  assert_int_equal (nr_request_from_spec (doc, "c", &r, &err), 0);
  assert_int_equal (r.hugepages, INT64_MAX);
  assert_int_equal (r.millicpus, 1); /* 200000 us in an enormous period */
  nr_request_free (&r);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (a_nul_in_a_shard_is_damage),
    cmocka_unit_test (a_nul_in_the_index_is_damage),
    cmocka_unit_test (a_config_whose_read_fails_is_refused),
    cmocka_unit_test (lock_timeout_is_read_within_bounds),
    cmocka_unit_test (a_held_lock_times_out_naming_the_lock_and_its_holder),
    cmocka_unit_test (the_lock_holder_is_read_from_proc_locks),
    cmocka_unit_test (go_integer_types_take_what_go_takes),
    cmocka_unit_test (every_spec_number_is_checked_against_its_own_type),
    cmocka_unit_test (uint64_extremes_read_as_saturated_values),
  };
  return cmocka_run_group_tests_name ("issue 22 hardening", tests, NULL, remove_temp_dirs);
}
