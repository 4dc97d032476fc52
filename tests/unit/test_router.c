#include <errno.h>

#include "fs.h"
#include "tap.h"

static const char *route_of(const char *path, const char **cap0)
{
	static ecsfs__match m;
	static char cap[256];
	ecsfs__match_init(&m);
	int r = ecsfs__route_match(path, &m);
	const char *pat = r == 0 ? m.route->pattern : "(none)";
	snprintf(cap, sizeof(cap), "%s", m.ncap > 0 ? m.cap[0] : "");
	if (cap0)
		*cap0 = cap;
	ecsfs__match_release(&m);
	return pat;
}

int main(void)
{
	const char *cap;

	is_str(route_of("/", NULL), "/", "root");
	is_str(route_of("/README", NULL), "/README", "README");
	is_str(route_of("/clusters/prod/status", &cap), "/clusters/*/status", "cluster status");
	is_str(cap, "prod", "the cluster name is captured");
	is_str(route_of("/spec/clusters/prod/cluster.json", &cap), "/spec/clusters/*/cluster.json",
	       "spec cluster.json");
	is_str(route_of("/spec/clusters/prod/.cluster.json.Ab12Cd", &cap), "(scratch)",
	       "rsync's temp file is scratch");
	is_str(cap, "prod", "a scratch file keeps its directory's captures");
	is_str(route_of("/spec/clusters/prod/services/sedX1y2Z3", NULL), "(scratch)",
	       "sed -i's temp file is scratch");
	is_str(route_of("/spec/taskdefs/web.json~", NULL), "(scratch)", "vim's backup is scratch");
	is_str(route_of("/spec/notes.md", NULL), "(scratch)", "spec root takes scratch files");
	is_str(route_of("/clusters/prod/nope", NULL), "(none)", "no scratch in the live tree");
	is_str(route_of("/spec/clusters/x.txt", NULL), "/spec/clusters/*",
	       "a name in spec/clusters is a cluster directory, never a scratch file");
	is_str(route_of("/clusters/prod/status/x", NULL), "(none)", "below a file: nothing");
	is_str(route_of("/secrets/db", &cap), "/secrets/*", "secrets");
	is_str(route_of("relative", NULL), "(none)", "relative paths are refused");
	is_str(route_of("/clusters/", NULL), "(none)", "a trailing slash is refused");

	ecsfs__match m;
	ecsfs__match_init(&m);
	ok(ecsfs__pattern_match("/spec/taskdefs/*.json", "/spec/taskdefs/web.json", &m) &&
	       strcmp(m.cap[0], "web") == 0,
	   "suffix globs match and capture what the star stands for");
	ok(!ecsfs__pattern_match("/spec/taskdefs/*.json", "/spec/taskdefs/.json", &m),
	   "a glob's star matches at least one character");
	ok(!ecsfs__pattern_match("/a/*", "/a//", &m), "empty components never match");
	ecsfs__match_release(&m);

	/* nodes */
	struct ecsfs__nodes *n = ecsfs__nodes_new();
	ecsfs__node *a = ecsfs__nodes_ref(n, "/spec/x");
	uint64_t ino = a->ino;
	ok(ino > FUSE_ROOT_ID, "new nodes get fresh numbers");
	ok(ecsfs__nodes_ref(n, "/spec/x") == a && a->nlookup == 2, "same path, same node");
	ecsfs__nodes_rename(n, "/spec/x", "/spec/y");
	ok(ecsfs__nodes_by_path(n, "/spec/y") == a && !ecsfs__nodes_by_path(n, "/spec/x"),
	   "rename moves the node");
	ecsfs__nodes_forget(n, ino, 2);
	ok(!ecsfs__nodes_by_ino(n, ino), "forgotten when the kernel drops it");
	for (int i = 0; i < 5000; i++) {
		char p[32];
		snprintf(p, sizeof(p), "/n/%d", i);
		ecsfs__nodes_ref(n, p);
	}
	ok(ecsfs__nodes_by_path(n, "/n/4321") != NULL && ecsfs__nodes_count(n) == 5001,
	   "the table grows");
	ok(ecsfs__nodes_by_ino(n, FUSE_ROOT_ID) &&
	       strcmp(ecsfs__nodes_by_ino(n, 1)->path, "/") == 0,
	   "the root is node 1");
	ecsfs__nodes_free(n);
	return tap_done();
}
