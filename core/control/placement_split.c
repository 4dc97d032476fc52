/*
 * ecsfs — capacity-provider strategies: how tasks split between
 * providers, as ECS documents it. The provider with a base gets tasks
 * until it has `base`; past that every task goes where the share by
 * weight is furthest behind: with A weight 1 and B weight 4, for every
 * task on A four go to B (so FARGATE base 1 weight 1 and FARGATE_SPOT
 * weight 4 run 6 tasks as 2 + 4 and 11 as 3 + 8). A weight of 0 gets
 * nothing past its base.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/placement_private.h"

static long long item_int(const json_t *item, const char *key)
{
	return json_integer_value(json_object_get(item, key));
}

/* The item a next task goes to, given `cur[i]` tasks past the base on
 * each; the lowest (cur + 1) / weight wins, the first on ties. */
static size_t by_weight(const json_t *strategy, const size_t *cur, size_t n)
{
	size_t best = n;

	for (size_t i = 0; i < n; i++) {
		long long w = item_int(json_array_get(strategy, i), "weight");
		if (w <= 0)
			continue;
		/* (cur[i]+1)/w < (cur[b]+1)/wb, without division */
		if (best == n ||
		    (long long)(cur[i] + 1) * item_int(json_array_get(strategy, best), "weight") <
			(long long)(cur[best] + 1) * w)
			best = i;
	}
	return best;
}

int ecsfs_place_split(const json_t *strategy, const size_t *have, size_t count, size_t *out,
		      ecsfs_err *err)
{
	size_t n = json_array_size(strategy), cur[ECSFS_PLACE_PROVIDERS_MAX], based = n;
	long long base = 0;

	if (n == 0 || n > ECSFS_PLACE_PROVIDERS_MAX)
		return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
				     "capacityProviderStrategy: 1 to %d providers",
				     ECSFS_PLACE_PROVIDERS_MAX);
	for (size_t i = 0; i < n; i++) {
		cur[i] = have ? have[i] : 0;
		if (item_int(json_array_get(strategy, i), "base") > 0 && based == n) {
			based = i;
			base = item_int(json_array_get(strategy, i), "base");
		}
	}
	/* what the base provider holds past its base counts toward its weight */
	size_t on_base = based < n ? cur[based] : 0;
	if (based < n)
		cur[based] = on_base > (size_t)base ? on_base - (size_t)base : 0;
	for (size_t k = 0; k < count; k++) {
		size_t to;
		if (based < n && on_base < (size_t)base) {
			out[k] = based;
			on_base++;
			continue;
		}
		to = n == 1 ? 0 : by_weight(strategy, cur, n);
		if (to == n)
			return ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL,
					     "capacityProviderStrategy: past the base, every "
					     "provider has weight 0");
		out[k] = to;
		cur[to]++;
	}
	return 0;
}

/* ---- checks ---- */

static bool known_provider(const char *name, const char *const *known)
{
	if (!known || strcmp(name, "FARGATE") == 0 || strcmp(name, "FARGATE_SPOT") == 0)
		return true;
	for (; *known; known++)
		if (strcmp(*known, name) == 0)
			return true;
	return false;
}

static int bad(ecsfs_err *err, const char *what, size_t i, const char *fmt, const char *arg)
{
	ecsfs_buf m = ECSFS_BUF_INIT;
	int r;

	ecsfs_buf_addf(&m, fmt, arg);
	if (i == (size_t)-1)
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL, "%s%s", what, m.data);
	else
		r = ecsfs_err_set(err, ECSFS_E_INVALID_PARAMETER, -EINVAL, "%s[%zu]%s", what, i,
				  m.data);
	ecsfs_buf_release(&m);
	return r;
}

static int check_item(const json_t *item, size_t i, const char *const *known, const char *what,
		      ecsfs_err *err)
{
	const json_t *name = json_object_get(item, "capacityProvider");
	const json_t *w = json_object_get(item, "weight"), *b = json_object_get(item, "base");
	const char *key;
	json_t *v;

	if (!json_is_object(item))
		return bad(err, what, i, ": must be an object%s", "");
	json_object_foreach((json_t *)item, key, v)
		if (strcmp(key, "capacityProvider") && strcmp(key, "weight") && strcmp(key, "base"))
			return bad(err, what, i, ": unknown field '%.60s'", key);
	if (!json_is_string(name) || !*json_string_value(name))
		return bad(err, what, i, ".capacityProvider: a name is required%s", "");
	if (w && (!json_is_integer(w) || json_integer_value(w) < 0 || json_integer_value(w) > 1000))
		return bad(err, what, i, ".weight: a whole number from 0 to 1000%s", "");
	if (b &&
	    (!json_is_integer(b) || json_integer_value(b) < 0 || json_integer_value(b) > 100000))
		return bad(err, what, i, ".base: a whole number from 0 to 100000%s", "");
	if (!known_provider(json_string_value(name), known))
		return bad(err, what, i,
			   ".capacityProvider: '%.200s' is not associated with the cluster "
			   "(add it to the cluster's capacityProviders)",
			   json_string_value(name));
	return 0;
}

int ecsfs_place_check_providers(const json_t *strategy, const char *launch_type,
				const char *const *known, const char *what, ecsfs_err *err)
{
	size_t i, n, nbase = 0, weighted = 0;
	const json_t *item;
	int r;

	if (!strategy)
		return 0;
	n = json_array_size(strategy);
	if (!json_is_array(strategy) || n > ECSFS_PLACE_PROVIDERS_MAX)
		return bad(err, what, (size_t)-1, ": an array of at most 6 providers%s", "");
	if (launch_type && n > 0)
		return bad(err, what, (size_t)-1,
			   ": specifying both a launch type and a capacity provider strategy is "
			   "not supported%s; remove one",
			   "");
	json_array_foreach(strategy, i, item) {
		if ((r = check_item(item, i, known, what, err)) < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_string_value(json_object_get(json_array_get(strategy, j),
								     "capacityProvider")),
				   json_string_value(json_object_get(item, "capacityProvider"))) ==
			    0)
				return bad(
				    err, what, i, ".capacityProvider: '%.200s' is given twice",
				    json_string_value(json_object_get(item, "capacityProvider")));
		if (item_int(item, "base") > 0 && ++nbase > 1)
			return bad(err, what, i,
				   ".base: only one capacity provider in a strategy "
				   "can have a base%s",
				   "");
		weighted += item_int(item, "weight") > 0;
	}
	if (n > 1 && weighted == 0)
		return bad(err, what, (size_t)-1,
			   ": at least one capacity provider must have a weight greater than 0%s",
			   "");
	return 0;
}
