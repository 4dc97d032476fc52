#!/usr/bin/env bash
# bench_read.sh — open+read+close of a generated ecsfs file, per second, next
# to the same on a tmpfs file and on a minimal FUSE filesystem serving one
# constant file (tests/bench/floor.c: the floor any FUSE design can reach).
# All three are read by one readloop run, so they share the machine's state.
#
# usage: bench_read.sh [BUILD_DIR]        (default: build)
#
# Environment:
#   BENCH_SECONDS=N            seconds per path (default 2)
#   ECSFS_BENCH_TARGET=FILE    read FILE as the "ecsfs" figure instead of
#                              starting the daemon (to test this script)
#
# Needs root for the tmpfs mount; without it, /dev/shm is used if it is tmpfs.
set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)
SECONDS_PER_PATH=${BENCH_SECONDS:-2}
FLOOR="$BUILD/tests/bench/floor"
READLOOP="$BUILD/tests/bench/readloop"
ECSFS="$BUILD/fs/ecsfs"
MOUNT_WAIT_TENTHS=100 # 10 s

die() {
	echo "bench_read: $*" >&2
	exit 1
}

for prog in "$FLOOR" "$READLOOP"; do
	[[ -x $prog ]] || die "$prog not built"
done
if [[ -z ${ECSFS_BENCH_TARGET:-} ]]; then
	[[ -x $ECSFS ]] || die "$ECSFS not built"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ecsfs-bench.XXXXXX")
TMPFS_DIR=
TMPFS_MOUNTED=0
FLOOR_PID=
ECSFS_PID=

# Stop a daemon we started: SIGTERM, up to 5 s to unmount and exit, then
# SIGKILL. Never fails, so the rest of the cleanup always runs.
stop_daemon() {
	local pid=$1 i
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# A FUSE mount left behind by a daemon that died without unmounting.
# Not guarded by mountpoint(1): a dead FUSE mount fails its stat (ENOTCONN).
# Each attempt fails quietly when nothing is mounted there.
unmount_fuse() {
	local dir=$1
	fusermount3 -uq "$dir" 2>/dev/null || fusermount3 -uzq "$dir" 2>/dev/null ||
		umount -l "$dir" 2>/dev/null || true
}

cleanup() {
	local rc=$?
	set +e
	stop_daemon "$ECSFS_PID"
	stop_daemon "$FLOOR_PID"
	unmount_fuse "$TMP/mnt"
	unmount_fuse "$TMP/floor"
	if ((TMPFS_MOUNTED)); then
		umount "$TMPFS_DIR" 2>/dev/null || umount -l "$TMPFS_DIR" 2>/dev/null
	elif [[ -n $TMPFS_DIR ]]; then
		rm -rf -- "$TMPFS_DIR"
	fi
	# --one-file-system: never recurse into a mount that failed to go away.
	rm -rf --one-file-system -- "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_mount DIR PID NAME LOG: poll until DIR is a mount point; fail at once
# if the daemon exits, or after 10 s.
wait_mount() {
	local dir=$1 pid=$2 name=$3 log=$4 i
	for ((i = 0; i < MOUNT_WAIT_TENTHS; i++)); do
		mountpoint -q "$dir" && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			cat "$log" >&2 || true
			die "$name exited before mounting $dir"
		fi
		sleep 0.1
	done
	cat "$log" >&2 || true
	die "$name did not mount $dir within $((MOUNT_WAIT_TENTHS / 10)) s"
}

mkdir "$TMP/floor" "$TMP/mnt" "$TMP/state"

# --- ecsfs: the file under test, and the size the others copy ------------
if [[ -n ${ECSFS_BENCH_TARGET:-} ]]; then
	TARGET=$ECSFS_BENCH_TARGET
	echo "ecsfs target overridden: $TARGET"
else
	"$ECSFS" -f --state "$TMP/state" "$TMP/mnt" >"$TMP/ecsfs.log" 2>&1 &
	ECSFS_PID=$!
	wait_mount "$TMP/mnt" "$ECSFS_PID" ecsfs "$TMP/ecsfs.log"
	mkdir "$TMP/mnt/clusters/bench"
	TARGET=$TMP/mnt/clusters/bench/status
fi
SIZE=$(stat -c %s "$TARGET")
((SIZE > 0)) || die "$TARGET reports size $SIZE"

# --- tmpfs: the same number of bytes in a plain in-memory file -----------
if [[ $EUID -eq 0 ]] && mkdir "$TMP/tmpfs" &&
	mount -t tmpfs -o size=16m,mode=0755 ecsfs-bench "$TMP/tmpfs"; then
	TMPFS_DIR=$TMP/tmpfs
	TMPFS_MOUNTED=1
elif [[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs ]]; then
	TMPFS_DIR=$(mktemp -d /dev/shm/ecsfs-bench.XXXXXX)
else
	die "cannot mount a tmpfs (not root) and /dev/shm is not tmpfs"
fi
head -c "$SIZE" /dev/zero | tr '\0' x >"$TMPFS_DIR/status"

# --- floor: one constant file of the same size behind FUSE ---------------
"$FLOOR" -s "$SIZE" "$TMP/floor" >"$TMP/floor.log" 2>&1 &
FLOOR_PID=$!
wait_mount "$TMP/floor" "$FLOOR_PID" floor "$TMP/floor.log"

# --- one run, three paths ------------------------------------------------
echo "open+read+close of a $SIZE-byte file, ${SECONDS_PER_PATH} s each" \
	"($(nproc) CPUs, kernel $(uname -r))"
OUT=$("$READLOOP" -t "$SECONDS_PER_PATH" \
	"$TMPFS_DIR/status" "$TMP/floor/file" "$TARGET")
echo "$OUT"

# ops/s is the 4th field from the end: "... = N ops/s (B bytes/read)"
rate() {
	awk -v p="$1" '$1 == p { print $(NF - 3) }' <<<"$OUT"
}
TMPFS_RATE=$(rate "$TMPFS_DIR/status")
FLOOR_RATE=$(rate "$TMP/floor/file")
ECSFS_RATE=$(rate "$TARGET")
[[ -n $TMPFS_RATE && -n $FLOOR_RATE && -n $ECSFS_RATE ]] ||
	die "could not parse readloop output"

echo
printf 'tmpfs  %10s ops/s\n' "$TMPFS_RATE"
printf 'floor  %10s ops/s\n' "$FLOOR_RATE"
printf 'ecsfs  %10s ops/s\n' "$ECSFS_RATE"
awk -v e="$ECSFS_RATE" -v t="$TMPFS_RATE" -v f="$FLOOR_RATE" 'BEGIN {
	printf "ratio ecsfs/tmpfs = %.2f\n", e / t
	printf "ratio ecsfs/floor = %.2f\n", e / f
	printf "ratio floor/tmpfs = %.2f\n", f / t
}'

# A generated file must read as many bytes as it reports (DESIGN.md §3).
READ_BYTES=$(awk -v p="$TARGET" '$1 == p { gsub(/\(/, "", $(NF - 1)); print $(NF - 1) }' <<<"$OUT")
if [[ $READ_BYTES != "$SIZE" ]]; then
	echo "note: $TARGET reported size $SIZE but read $READ_BYTES bytes/open on average"
fi
