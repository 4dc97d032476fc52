#!/usr/bin/env bash
# build.sh — the libFuzzer binaries of every target (README.md beside this
# file), with clang, ASan and UBSan (undefined behaviour stops the run).
#
# usage: tests/fuzz/build.sh OUT_DIR      (from the repository root)
#
# The libraries are built once in OUT_DIR/libs with -fsanitize=fuzzer-no-link
# (a few minutes), then each target is linked against them:
#   fuzz_taskdef fuzz_api fuzz_cron fuzz_cq, and fuzz_spec.c as fuzz_service
#   fuzz_cluster fuzz_schedule fuzz_scaling fuzz_targetgroup
#   fuzz_loadbalancer fuzz_runtask fuzz_lines fuzz_instance.
set -euo pipefail

OUT=$(mkdir -p "${1:?usage: build.sh OUT_DIR}" && cd "$1" && pwd)
LIBS=$OUT/libs
SAN=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE -DFUSE_USE_VERSION=314)
PKGS="jansson sqlite3 libuv libcurl libmicrohttpd libcrypto fuse3"

if [[ ! -f $LIBS/build.ninja ]]; then
	CC=clang meson setup "$LIBS" -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C "$LIBS" core/libecsfs-core.a api/libecsfs-api.a fs/libecsfs-fs.a >/dev/null

# shellcheck disable=SC2046 # pkg-config's words are meant to split
link() { # link NAME SOURCE [CFLAG...]
	clang "${SAN[@]}" "${@:3}" -Iinclude -Icore -Iapi -Ifs "$2" \
		"$LIBS/fs/libecsfs-fs.a" "$LIBS/api/libecsfs-api.a" "$LIBS/core/libecsfs-core.a" \
		$(pkg-config --cflags --libs $PKGS) -lpthread -lm -o "$OUT/$1"
}

link fuzz_taskdef tests/fuzz/fuzz_taskdef.c
link fuzz_api tests/fuzz/fuzz_api.c
link fuzz_cron tests/fuzz/fuzz_cron.c
link fuzz_cq tests/fuzz/fuzz_cq.c
kind=1
for k in service cluster schedule scaling targetgroup loadbalancer runtask lines instance; do
	link "fuzz_$k" tests/fuzz/fuzz_spec.c "-DFUZZ_KIND=$kind"
	kind=$((kind + 1))
done
echo "built in $OUT"
