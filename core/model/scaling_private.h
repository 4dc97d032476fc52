/*
 * ecsfs — what the scaling model (core/model/scaling*.c) and the
 * autoscaler (core/control/autoscale*.c) share: the autoscaler's state,
 * the typed form of a target read from its document, and the hooks
 * between them.
 */
#ifndef ECSFS_SCALING_PRIVATE_H
#define ECSFS_SCALING_PRIVATE_H

#include "ecsfs/cron.h"
#include "ecsfs/scaling.h"
#include "ecsfs/shape.h"

enum scaling_type { SCALING_TARGET_TRACKING, SCALING_STEP };
enum scaling_alarm { ALARM_INSUFFICIENT, ALARM_OK, ALARM_HIGH, ALARM_LOW };

/* The evaluation windows of a policy: the newest samples of its metric. */
#define SCALING_WINDOW ECSFS_SCALING_IN_SAMPLES

struct ecsfs__step {
	double lo, hi; /* -inf / +inf when the bound is left out */
	int64_t adjust;
};

struct ecsfs__policy {
	char *name;
	enum scaling_type type;
	ecsfs_metric_fig metric; /* CPUUtilization, MemoryUtilization */
	bool alb;		 /* ALBRequestCountPerTarget (autoscale_alb.c) */
	char lb[33], tg[33];	 /* its ResourceLabel's load balancer and target group */
	json_t *alb_prev;	 /* {task: requests} at the previous evaluation */
	int64_t alb_at_ms;	 /* when */
	char alb_why[160];	 /* why it has no data, "" when it has */
	double target;		 /* TargetValue, or the step alarm's Threshold */
	int64_t out_cooldown_s, in_cooldown_s;
	bool disable_in;
	/* step scaling: its alarm and adjustments */
	int cmp; /* the alarm's ComparisonOperator: 1 above, -1 below; 0: no alarm */
	bool or_equal;
	int periods;
	char adjust_type[32];
	int64_t min_magnitude;
	struct ecsfs__step *steps;
	size_t nsteps;
	/* evaluation state */
	int above, below;
	double window[SCALING_WINDOW];
	int nwindow;
	double last;
	enum scaling_alarm alarm;
	int64_t last_action_ms;
};

struct ecsfs__action {
	char *name;
	char *schedule, *zone;
	ecsfs_cron *cron;
	ecsfs_tz *tz;
	int64_t start_ms, end_ms; /* 0: none */
	int64_t min, max;	  /* -1: not set */
	int64_t next_ms;	  /* 0: none left */
	int64_t created_ms;
};

struct ecsfs__target {
	char *cluster, *service;
	int64_t min, max;
	bool in_suspended, out_suspended, sched_suspended;
	struct ecsfs__policy *pols;
	size_t npols;
	struct ecsfs__action *acts;
	size_t nacts;
	int64_t last_out_ms, last_in_ms;
	uint64_t last_round;
	bool service_seen; /* its service existed at an evaluation */
	bool evaluated;	   /* in this pass of ecsfs_scaling_evaluate() */
	char blocked[128]; /* why the last scale-in did not happen, "" when none */
	struct ecsfs__target *next;
};

struct ecsfs_scaling {
	uv_loop_t *loop;
	ecsfs_store *store;
	ecsfs_services *services;
	ecsfs_tasks *tasks;
	ecsfs_metrics *metrics;
	uv_timer_t timer;
	bool timer_open;
	struct ecsfs__target *targets;
	int64_t (*now_ms)(void);
	ecsfs_scaling_change_cb change_cb;
	void *change_data;
	ecsfs_scaling_counts_fn counts; /* ALBRequestCountPerTarget's source */
	void *counts_src;
};

/* The shape of a whole document, of one policy and of one scheduled
 * action (scaling_shape.c); `user` of the checks is a scaling_names. */
typedef struct ecsfs__scaling_names {
	const char *cluster, *service;
} ecsfs__scaling_names;
extern const ecsfs_shape ecsfs__scaling_shape;
extern const ecsfs_shape ecsfs__policy_shape;
extern const ecsfs_shape ecsfs__action_shape;
/* A ResourceLabel "app/<lb>/<id>/targetgroup/<tg>/<id>" into its two names:
 * 0, or -EINVAL and why (the form, or ids that are not these names'). */
int ecsfs__scaling_label(const char *label, char lb[33], char tg[33], ecsfs_buf *why);
/* A time as the API takes it: RFC 3339 text or seconds since 1970. */
int ecsfs__scaling_time(const json_t *v, int64_t *ms);

/* Read a checked document into a target (autoscale.c keeps them). */
struct ecsfs__target *ecsfs__target_read(const char *cluster, const char *service,
					 const json_t *doc, int64_t now_ms);
void ecsfs__target_free(struct ecsfs__target *t);
/* The autoscaler's copy of a target changed in the store: read it again
 * (or drop it when it is gone), keeping the evaluation state of the
 * policies that stay. */
void ecsfs__scaling_reload(ecsfs_scaling *a, const char *cluster, const char *service);
/* Record an activity: a row, an event of the service, the change callback. */
void ecsfs__scaling_activity(ecsfs_scaling *a, const char *cluster, const char *service,
			     const char *description, const char *cause);
/* Bring desiredCount into [min, max] (cause names why); 0 or the error. */
int ecsfs__scaling_clamp(ecsfs_scaling *a, const char *cluster, const char *service, int64_t min,
			 int64_t max, const char *cause);
/* "service/<cluster>/<service>" */
void ecsfs__scaling_resource(const char *cluster, const char *service, ecsfs_buf *out);

#endif
