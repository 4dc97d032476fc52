#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ecsfs/cluster.h"
#include "ecsfs/store.h"
#include "ecsfs/util.h"
#include "tap.h"

static int count_cb(void *data, const char *name)
{
	(*(int *)data)++;
	return 0;
}

/* Run SQL on the state database of `dir` behind the store's back. */
static int raw_sql(const char *dir, const char *sql)
{
	char path[256];
	sqlite3 *db;
	int rc;

	snprintf(path, sizeof(path), "%s/state.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static int collect_name(void *data, const char *name)
{
	ecsfs_buf *b = data;
	ecsfs_buf_addf(b, "%s;", name);
	return 0;
}

/* Migration 6: the list of draining clusters an older daemon kept in meta
 * becomes a mark on their rows. Migration 15: a service's task-definition
 * names are taken from its state. */
static void test_deleting_migration(const char *dir)
{
	ecsfs_buf why = ECSFS_BUF_INIT, v = ECSFS_BUF_INIT;
	ecsfs_store *s;

	is_int(ecsfs_store_open(dir, &s, &why), 0, "a store for the migration");
	ecsfs_store_cluster_insert(s, "old", 1);
	ecsfs_store_cluster_insert(s, "kept", 1);
	ecsfs_store_service_put(s, "kept", "web",
				"{\"spec\":{\"taskDefinition\":\"arn:aws:ecs:r:1:task-definition/"
				"front:3\"},\"deployments\":[{\"family\":\"back\"}],"
				"\"note\":\"other\"}");
	ecsfs_store_close(s);
	/* back to version 5's shape */
	is_int(raw_sql(dir, "ALTER TABLE clusters DROP COLUMN deleting;"
			    "DROP TRIGGER services_names;"
			    "DROP TRIGGER services_names_new;"
			    "ALTER TABLE services DROP COLUMN names;"
			    "DROP INDEX files_kind;"
			    "INSERT INTO meta VALUES ('deleting-clusters', '[\"old\",\"gone\"]');"
			    "PRAGMA user_version = 5;"),
	       0, "a version-5 store with two draining clusters in meta");
	is_int(ecsfs_store_open(dir, &s, &why), 0, "opens, migrating");
	ok(ecsfs_store_cluster_deleting(s, "old"), "the listed cluster is marked");
	ok(!ecsfs_store_cluster_deleting(s, "kept"), "the other is not");
	is_int(ecsfs_store_meta_get(s, "deleting-clusters", &v), -ENOENT, "the meta row is gone");
	is_int(ecsfs_store_cluster_set_deleting(s, "nope", true), -ENOENT, "no such cluster");
	ecsfs_buf_reset(&v);
	ecsfs_store_service_list_naming(s, "front", collect_name, &v);
	ecsfs_store_service_list_naming(s, "back", collect_name, &v);
	ecsfs_store_service_list_naming(s, "other", collect_name, &v);
	is_str(v.data, "kept/web;kept/web;",
	       "the migrated service is found by the family of its spec's ARN and of a "
	       "deployment, not by other text of its state");
	ecsfs_store_close(s);
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&v);
}

int main(void)
{
	ecsfs_err err = ECSFS_ERR_INIT;
	char dir[] = "/tmp/ecsfs-test-store-XXXXXX";
	ecsfs_buf why = ECSFS_BUF_INIT, out = ECSFS_BUF_INIT;
	ecsfs_store *s;
	ecsfs_file_meta meta = {.kind = ECSFS_FILE_SCRATCH,
				.mode = 0640,
				.uid = 7,
				.gid = 8,
				.mtime_ns = 1234567890123456789ll};
	uint64_t size;
	int64_t mtime;
	int n;

	if (!mkdtemp(dir))
		return 1;
	is_int(ecsfs_store_open(dir, &s, &why), 0, "open a new store");
	is_int(ecsfs_cluster_create(s, "prod", &err), 0, "create a cluster");
	is_int(ecsfs_cluster_create(s, "prod", &err), -EEXIST, "a taken name is EEXIST");
	is_int(ecsfs_cluster_create(s, "bad name!", &err), -EINVAL, "a bad name is EINVAL");
	ok(ecsfs_store_cluster_exists(s, "prod"), "the cluster exists");

	/* files keep bytes and metadata */
	is_int(ecsfs_store_file_put(s, "/spec/clusters/prod", "notes.txt", &meta, "abc", 3), 0,
	       "put a scratch file");
	ecsfs_file_meta got;
	is_int(ecsfs_store_file_get(s, "/spec/clusters/prod", "notes.txt", &got, &out), 0,
	       "get it back");
	ok(got.mode == 0640 && got.uid == 7 && got.gid == 8 && got.mtime_ns == meta.mtime_ns &&
	       got.size == 3 && got.kind == ECSFS_FILE_SCRATCH,
	   "metadata kept to the nanosecond");
	is_str(out.data, "abc", "bytes kept");
	is_int(ecsfs_store_file_rename(s, "/spec/clusters/prod", "notes.txt", "/spec", "n2"), 0,
	       "rename across directories");
	is_int(ecsfs_store_file_get(s, "/spec", "n2", NULL, NULL), 0, "found at the new name");
	is_int(ecsfs_store_file_get(s, "/spec/clusters/prod", "notes.txt", NULL, NULL), -ENOENT,
	       "gone from the old one");

	/* counts of a directory's rows, by kind, with and without their bytes */
	{
		ecsfs_file_meta m = meta;
		uint64_t c = 0, b = 0;
		m.kind = ECSFS_FILE_SCRATCH;
		ecsfs_store_file_put(s, "/spec/x", "a", &m, "12345", 5);
		ecsfs_store_file_put(s, "/spec/x", "b", &m, "67", 2);
		m.kind = ECSFS_FILE_SPEC;
		ecsfs_store_file_put(s, "/spec/x", "web.json", &m, "{}", 2);
		m.kind = ECSFS_FILE_DIR;
		ecsfs_store_file_put(s, "/spec/x", "sub", &m, NULL, 0);
		ecsfs_store_file_put(s, "/spec/x/sub", "c", &m, NULL, 0);
		is_int(ecsfs_store_file_count(s, "/spec/x", ECSFS_FILE_SCRATCH, &c, NULL), 0,
		       "count the scratch rows");
		is_int((int)c, 2, "two scratch rows, the other kinds and the subdirectory's not");
		ecsfs_store_file_count(s, "/spec/x", 0, &c, NULL);
		is_int((int)c, 4, "four rows of any kind");
		ecsfs_store_file_count(s, "/spec/x", ECSFS_FILE_SCRATCH, &c, &b);
		ok(c == 2 && b == 7, "with their bytes: 2 rows, 7 bytes");
		ecsfs_store_file_count(s, "/spec/x", 0, &c, &b);
		ok(c == 4 && b == 9, "any kind with bytes: 4 rows, 9 bytes");
		ecsfs_store_file_delete_tree(s, "/spec/x");
		ecsfs_store_file_count(s, "/spec/x", 0, &c, NULL);
		is_int((int)c, 0, "none once the tree is deleted");
	}

	/* cluster.json */
	const char *doc = "{\"tags\":[{\"key\":\"a\",\"value\":\"b\"}]}\n";
	meta.kind = ECSFS_FILE_SPEC;
	is_int(ecsfs_cluster_settings_apply(s, "prod", doc, strlen(doc), &meta, &err), 0,
	       "apply cluster.json");
	ecsfs_buf_reset(&out);
	json_t *described = NULL;
	is_int(ecsfs_cluster_describe(s, "prod", NULL, NULL, &described, &err), 0, "describe");
	ecsfs_json_pretty(described, &out);
	json_decref(described);
	ok(strstr(out.data, "\"key\": \"a\"") && strstr(out.data, "cluster/prod"),
	   "describe shows tags and the ARN");
	is_int(ecsfs_store_file_put(s, "/spec/clusters/prod", "tmp", &meta, "x", 1), 0,
	       "a file in the spec directory");
	is_int(ecsfs_cluster_delete(s, "prod", true, &err), -ENOTEMPTY,
	       "rmdir of the spec directory with files is ENOTEMPTY");

	/* journals */
	for (int i = 0; i < 3; i++)
		ecsfs_cluster_event(s, "prod", "line %d", i);
	is_int(ecsfs_store_journal_stat(s, "cluster/prod", &size, &mtime), 0, "journal stat");
	ecsfs_buf_reset(&out);
	ecsfs_store_journal_read(s, "cluster/prod", 0, 1 << 20, &out);
	is_int(out.len, size, "the size is the bytes a read returns");
	ecsfs_buf all = ECSFS_BUF_INIT;
	ecsfs_buf_add(&all, out.data, out.len);
	bool agree = true;
	for (uint64_t off = 0; off < size; off += 7) {
		ecsfs_buf_reset(&out);
		ecsfs_store_journal_read(s, "cluster/prod", off, 11, &out);
		agree = agree && out.len == (size - off < 11 ? size - off : 11) &&
			memcmp(out.data, all.data + off, out.len) == 0;
	}
	ok(agree, "reads at any offset agree with the whole");
	ecsfs_buf_release(&all);

	/* the journal limit: oldest lines go, size stays bounded */
	char line[1024];
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	is_int(ecsfs_store_begin(s), 0, "begin");
	for (int i = 0; i < 5000; i++)
		ecsfs_store_journal_append(s, "errors", line);
	is_int(ecsfs_store_commit(s), 0, "commit");
	ecsfs_store_journal_stat(s, "errors", &size, &mtime);
	ok(size <= ECSFS_JOURNAL_MAX && size > ECSFS_JOURNAL_MAX / 4, "journal bounded: %llu",
	   (unsigned long long)size);
	ecsfs_buf_reset(&out);
	ecsfs_store_journal_read(s, "errors", 0, 2048, &out);
	ok(out.len == 2048 && out.data[1023] == '\n', "a trimmed journal starts at a line");
	ecsfs_buf_reset(&out);
	is_int(ecsfs_store_journal_read(s, "errors", UINT64_MAX - 1, 16, &out), 0,
	       "a read near 2^64 past a trimmed start");
	is_int(out.len, 0, "is plain EOF");

	/* secrets */
	is_int(ecsfs_store_secret_put(s, "db", "pw", 2), 0, "put a secret");
	n = 0;
	ecsfs_store_secret_list(s, count_cb, &n);
	is_int(n, 1, "listed by name");

	/* durability across close/open, and transactions that roll back */
	ecsfs_store_close(s);
	is_int(ecsfs_store_open(dir, &s, &why), 0, "reopen");
	ok(ecsfs_store_cluster_exists(s, "prod"), "the cluster survived");
	ecsfs_store_begin(s);
	ecsfs_store_cluster_insert(s, "gone", 1);
	ecsfs_store_rollback(s);
	ok(!ecsfs_store_cluster_exists(s, "gone"), "a rolled-back insert left nothing");
	is_int(ecsfs_cluster_delete(s, "prod", false, &err), 0, "delete-cluster");
	is_int(ecsfs_store_file_get(s, "/spec/clusters/prod", "cluster.json", NULL, NULL), -ENOENT,
	       "its spec files went with it");
	ecsfs_store_journal_stat(s, "cluster/prod", &size, &mtime);
	is_int(size, 0, "its events went with it");
	n = 0;
	ecsfs_store_cluster_list(s, count_cb, &n);
	is_int(n, 0, "no clusters left");
	ecsfs_store_close(s);

	tap_rmtree(dir);
	char dir2[] = "/tmp/ecsfs-test-store-XXXXXX";
	if (mkdtemp(dir2)) {
		test_deleting_migration(dir2);
		tap_rmtree(dir2);
	}
	ecsfs_buf_release(&why);
	ecsfs_buf_release(&out);
	ecsfs_err_release(&err);
	return tap_done();
}
