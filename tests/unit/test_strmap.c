/* The string map: against a plain array, through growth and many deletes
 * (the backward shift must keep every other key findable). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ecsfs/strmap.h"
#include "tap.h"

#define N 5000

int main(void)
{
	ecsfs_strmap m = ECSFS_STRMAP_INIT;
	static char keys[N][16];
	static bool in[N];
	size_t want = 0, bad = 0, pos = 0, seen = 0;
	const char *k;
	void *v;

	ok(ecsfs_strmap_get(&m, "x") == NULL && !ecsfs_strmap_has(&m, "x"), "empty: nothing");
	ok(ecsfs_strmap_del(&m, "x") == NULL, "empty: delete is nothing");
	for (int i = 0; i < N; i++)
		snprintf(keys[i], sizeof(keys[i]), "k%d", i * 7);
	srand(7);
	for (int step = 0; step < 40 * N; step++) {
		int i = rand() % N;
		if (rand() % 3) {
			void *was = ecsfs_strmap_put(&m, keys[i], keys[i]);
			bad += was != (in[i] ? keys[i] : NULL);
			want += !in[i];
			in[i] = true;
		} else {
			void *was = ecsfs_strmap_del(&m, keys[i]);
			bad += was != (in[i] ? keys[i] : NULL);
			want -= in[i];
			in[i] = false;
		}
	}
	is_int(bad, 0, "put and del return what was there");
	is_int(m.n, want, "the count follows");
	bad = 0;
	for (int i = 0; i < N; i++)
		bad += (ecsfs_strmap_get(&m, keys[i]) == keys[i]) != in[i];
	is_int(bad, 0, "every key there is found, no other one");
	while (ecsfs_strmap_next(&m, &pos, &k, &v))
		seen += strcmp(k, v) == 0;
	is_int(seen, want, "the walk sees each entry once");
	ecsfs_strmap_put(&m, "null", NULL);
	ok(ecsfs_strmap_has(&m, "null") && !ecsfs_strmap_get(&m, "null"), "a NULL value is there");
	ecsfs_strmap_release(&m);
	is_int(m.n, 0, "released: empty");
	return tap_done();
}
