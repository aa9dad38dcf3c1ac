#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# share/mk/musl_progs.sh: run the static programs `make musl-progs' built
# (share/mk/musl.mk) and report on them.
#
# Usage: musl_progs.sh dir, where dir/{dom,ng,glibc}/{busybox,sqlite3}
# are the programs built on musl with domalloc, on musl with mallocng and
# on glibc.  For each program it checks:
#   - output: a fixed workload (a busybox shell script using its text,
#     archive and checksum applets; an SQL script) prints the same with
#     dom as with glibc (and ng);
#   - symbols: the dom build holds domalloc (musl's __libc_malloc_impl is
#     domalloc's, its arena and thread-cache code is there) and no other
#     allocator (mallocng's __malloc_context, glibc's _int_malloc); musl's
#     bump allocator __simple_malloc is linked with musl's malloc wrapper
#     (lite_malloc.o) but is not what __libc_malloc_impl names;
#   - sizes: file size stripped, and text, data and bss of each build;
#   - time: sqlite3 running 1e6 INSERT statements in one transaction into
#     an in-memory database, with sqlite's lookaside cache and without it
#     (-lookaside 0 0), best of 3 runs per build, CPU time (user + sys,
#     steadier than wall-clock time on a shared machine) and wall time.
# Prints a report; exits 1 if an output or symbol check failed.  Scratch
# files go to dir/run.
set -u

dir=$(cd "$1" && pwd) || exit 1
run=$dir/run
rm -rf "$run"
mkdir -p "$run"
fail=0
variants="dom ng glibc"

say() { printf '%s\n' "$*"; }
bad() { say "FAIL: $*"; fail=1; }

# The busybox workload: only applets, no external programs.
cat > "$run/bb.sh" <<'SH'
set -e
bb=$1
t=$2
$bb seq 1 20000 | $bb awk '{ s += $1 * $1 } END { print NR, s }'
$bb seq 1 5000 | $bb sed 's/\(.\)$/<\1>/' | $bb sort -r | $bb head -n 3
$bb seq 1 3000 | $bb tr 0-9 a-j | $bb sort | $bb uniq -c | $bb sort -n |
    $bb tail -n 2
$bb mkdir -p "$t/tree/a/b"
i=0
while [ $i -lt 200 ]; do
	$bb seq 1 $i > "$t/tree/a/b/f$i"
	i=$((i + 1))
done
(cd "$t" && $bb tar cf - tree | $bb gzip -9 | $bb gunzip | $bb tar tvf - |
    $bb awk '{ print $3, $6 }' | $bb sort | $bb md5sum)
$bb find "$t/tree" -type f | $bb wc -l
$bb cat "$t"/tree/a/b/f* | $bb md5sum
$bb cat "$t"/tree/a/b/f* | $bb sha256sum | $bb cut -c1-16
$bb echo 'scale=20; 4*a(1)' | $bb bc -l 2>/dev/null || echo no-bc
$bb printf '%s\n' hello world | $bb rev | $bb xargs echo
SH

# The SQL workload and the timed one.
cat > "$run/check.sql" <<'SQL'
CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB);
WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s
    WHERE x < 200000)
INSERT INTO t SELECT x, printf('row-%08d-%d', x, (x * 7919) % 1000003),
    zeroblob(x % 300) FROM s;
CREATE INDEX tb ON t(b);
SELECT count(*), sum(length(b)), sum(length(c)) FROM t;
SELECT b FROM t ORDER BY b DESC LIMIT 3;
SELECT group_concat(a, ',') FROM (SELECT a FROM t WHERE a % 50000 = 0);
UPDATE t SET b = upper(b) WHERE a % 3 = 0;
DELETE FROM t WHERE a % 7 = 0;
SELECT count(*), max(b), min(length(c)) FROM t;
SQL
awk 'BEGIN {
	print "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c INTEGER);"
	print "BEGIN;"
	for (i = 1; i <= 1000000; i++)
		printf("INSERT INTO t VALUES(%d, %crow %d of many%c, %d);\n",
		    i, 39, (i * 7919) % 1000003, 39, i % 977)
	print "COMMIT;"
	print "SELECT count(*), sum(c), max(b) FROM t;"
}' > "$run/insert.sql"

say "== output (same as glibc)"
for v in $variants; do
	mkdir -p "$run/$v"
	"$dir/$v/busybox" sh "$run/bb.sh" "$dir/$v/busybox" "$run/$v" \
	    > "$run/bb.$v" 2>&1 || bad "busybox $v: the workload failed"
	"$dir/$v/sqlite3" < "$run/check.sql" > "$run/sql.$v" 2>&1 ||
	    bad "sqlite3 $v: the workload failed"
done
for p in bb sql; do
	for v in dom ng; do
		if cmp -s "$run/$p.$v" "$run/$p.glibc"; then
			say "$p: $v output = glibc output ($(wc -l < \
			    "$run/$p.$v") lines, md5 $(md5sum < "$run/$p.$v" |
			    cut -c1-12))"
		else
			bad "$p: $v output differs from glibc's:"
			diff "$run/$p.glibc" "$run/$p.$v" | head -n 10
		fi
	done
done

say "== symbols"
for p in busybox sqlite3; do
	for v in $variants; do
		nm "$dir/$v/$p" > "$run/nm.$v.$p" 2>/dev/null
	done
	n=$run/nm.dom.$p
	impl=$(awk '$3 == "__libc_malloc_impl" { print $1 }' "$n")
	glue=$(awk '$3 == "__libc_free" && $2 == "T" { print $1 }' "$n")
	simple=$(awk '$3 == "__simple_malloc" { print $1 }' "$n")
	dm=$(grep -cE ' [tT] (arena_boot|tsd_boot|tcache_create|pal_init|'\
'sp_alloc|mallctl|__malloc_atfork)$' "$n")
	other=$(grep -cE ' [a-zA-Z] (__malloc_context|_int_malloc|'\
'__malloc_alloc_meta|alloc_slot)$' "$n")
	if [ -n "$impl" ] && [ -n "$glue" ] && [ "$impl" != "$simple" ] &&
	    [ "$dm" -ge 5 ] && [ "$other" -eq 0 ]; then
		say "$p dom: __libc_malloc_impl at $impl (domalloc glue," \
		    "not __simple_malloc at ${simple:-none}); $dm domalloc" \
		    "functions found; mallocng/glibc malloc symbols: 0"
	else
		bad "$p dom: impl=$impl glue=$glue simple=$simple" \
		    "domalloc=$dm other=$other"
	fi
	ng=$(grep -c ' __malloc_context$' "$run/nm.ng.$p")
	[ "$ng" -eq 1 ] && say "$p ng: mallocng's __malloc_context present" ||
	    bad "$p ng: no mallocng"
done

say "== sizes (bytes): stripped file; text, data, bss (size(1))"
printf '%-8s %-6s %10s %10s %8s %8s\n' program build stripped text data bss
for p in busybox sqlite3; do
	for v in $variants; do
		strip -o "$run/$p.$v.stripped" "$dir/$v/$p"
		printf '%-8s %-6s %10s %10s %8s %8s\n' "$p" "$v" \
		    "$(wc -c < "$run/$p.$v.stripped")" \
		    $(size "$dir/$v/$p" | awk 'NR == 2 { print $1, $2, $3 }')
	done
done

say "== time: sqlite3, 1e6 INSERT statements, one transaction, in memory"
say "   (the script: $run/insert.sql; best of 3 runs, CPU = user + sys;"
say "   'lookaside 0 0': sqlite's own small-object cache off, so every"
say "   small allocation reaches malloc)"
# $(measure prog args...): "cpu wall" seconds of one run, stdin insert.sql.
measure() {
	python3 - "$run/insert.sql" "$run/ins.out" "$@" <<'PY'
import resource, subprocess, sys, time
t = time.time()
with open(sys.argv[1]) as i, open(sys.argv[2], "w") as o:
	rc = subprocess.run(sys.argv[3:], stdin=i, stdout=o).returncode
w = time.time() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %.3f" % (r.ru_utime + r.ru_stime, w) if rc == 0 else "fail")
PY
}
for mode in default lookaside; do
	for v in $variants; do
		args=
		[ $mode = lookaside ] && args="-lookaside 0 0"
		best=
		for i in 1 2 3; do
			# $args is two words or none, split on purpose.
			# shellcheck disable=SC2086
			m=$(measure "$dir/$v/sqlite3" $args)
			[ "$m" != fail ] || { bad "sqlite3 $v: run failed"; break; }
			# The run with the least CPU time, and its wall time.
			best=$(echo "$m ${best:-999999 999999}" | awk '{
			    if ($1 < $3) print $1, $2; else print $3, $4 }')
		done
		eval "cpu_${mode}_$v=\${best%% *}"
		say "sqlite3 $v $mode: CPU ${best%% *} s, wall ${best#* } s;" \
		    "prints $(cat "$run/ins.out")"
	done
	eval "ng=\$cpu_${mode}_ng dom=\$cpu_${mode}_dom"
	say "sqlite3 $mode: mallocng CPU / domalloc CPU =" \
	    "$(echo "$ng $dom" | awk '{ printf "%.2f", $1 / $2 }')"
done
exit $fail
