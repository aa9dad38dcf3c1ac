#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# redis_test: Debian's redis-server, built for jemalloc (it is linked with
# libjemalloc.so.2 and calls mallctl, malloc_stats_print, nallocx and
# malloc_usable_size), run with libdomalloc.so preloaded.  Every one of
# those calls must bind to domalloc, INFO memory must report domalloc's
# figures (redis reads epoch, stats.allocated, stats.active and
# stats.resident), MEMORY PURGE (arena.<narenas>.purge) and MEMORY
# MALLOC-STATS must work, and a bounded redis-benchmark run over
# 127.0.0.1 must complete without an error.  The server runs on a private
# port with its files in the test's work directory and is killed by its
# process id at the end.  Skips when redis-server, redis-cli or
# redis-benchmark is missing (Debian packages redis-server, redis-tools).
#

# Set $lib (libdomalloc.so) and check the programs.
redis_setup()
{
	for c in redis-server redis-cli redis-benchmark; do
		command -v "$c" >/dev/null 2>&1 || atf_skip "$c is not" \
		    "installed (Debian packages redis-server, redis-tools)"
	done
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	lib=$(atf_config_get objdir)/lib/libdomalloc/libdomalloc.so
	[ -f "$lib" ] || atf_fail "$lib was not built"
	case $(ldd "$(command -v redis-server)") in
	*libjemalloc*) ;;
	*) atf_skip "this redis-server is not linked with jemalloc" ;;
	esac
}

# The first line of file $1, flattened for atf_fail.
flat()
{
	head -n "${2:-5}" "$1" | tr '\n' '|' | cut -c 1-400
}

# Start redis-server with domalloc on a free port; set $port, write the
# server's pid to ./redis.pid.
redis_start()
{
	base=$(( 20000 + $$ % 20000 ))
	for try in 0 1 2 3 4 5 6 7 8 9; do
		port=$((base + try * 7))
		redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 &&
		    continue
		env LD_PRELOAD="$lib" redis-server --port "$port" \
		    --bind 127.0.0.1 --save '' --appendonly no \
		    --dir "$PWD" --logfile "$PWD/redis.log" \
		    --daemonize no --protected-mode yes \
		    --enable-debug-command local >/dev/null 2>&1 &
		echo $! >redis.pid
		i=0
		while [ $i -lt 100 ]; do
			if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping \
			    2>/dev/null)" = PONG ]; then
				return 0
			fi
			kill -0 "$(cat redis.pid)" 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		redis_stop
	done
	atf_fail "redis-server did not start: $(flat redis.log)"
}

redis_stop()
{
	[ -f redis.pid ] || return 0
	pid=$(cat redis.pid)
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null
	fi
	rm -f redis.pid
}

cli()
{
	redis-cli -h 127.0.0.1 -p "$port" "$@"
}

# The value of field $1 in the INFO output in file $2.
info_field()
{
	sed -n "s/^$1:\\([^\\r]*\\).*/\\1/p" "$2" | tr -d '\r'
}

atf_test_case bindings
bindings_head()
{
	atf_set descr "redis-server's malloc and jemalloc calls bind to" \
	    "libdomalloc.so, not libjemalloc.so.2"
}
bindings_body()
{
	redis_setup
	env LD_PRELOAD="$lib" LD_BIND_NOW=1 LD_DEBUG=bindings \
	    LD_DEBUG_OUTPUT="$PWD/ld" redis-server --version >version.out ||
	    atf_fail "redis-server --version failed under domalloc"
	cat ld.* >bindings.txt 2>/dev/null
	for sym in mallctl malloc_stats_print nallocx malloc_usable_size \
	    malloc calloc realloc free; do
		grep "binding file [^ ]*redis-server .* normal symbol \`$sym'" \
		    bindings.txt >sym.txt ||
		    atf_fail "no binding of $sym from redis-server"
		grep -q 'libdomalloc\.so' sym.txt ||
		    atf_fail "$sym binds elsewhere: $(flat sym.txt 1)"
	done
	if grep "normal symbol \`\(mallctl\|malloc\|free\)'" bindings.txt |
	    grep -q 'to [^ ]*libjemalloc'; then
		atf_fail "a call binds to libjemalloc"
	fi
}

atf_test_case info_memory cleanup
info_memory_head()
{
	atf_set descr "INFO memory, MEMORY STATS, MEMORY MALLOC-STATS and" \
	    "MEMORY PURGE report and act through domalloc"
}
info_memory_body()
{
	redis_setup
	redis_start
	# 20000 keys of 1000-byte values (DEBUG POPULATE, local only).
	cli DEBUG POPULATE 20000 key 1000 >/dev/null ||
	    atf_fail "DEBUG POPULATE failed"
	# redis reads the allocator's statistics in its cron (every 100 ms).
	sleep 0.5
	cli INFO memory >info.txt || atf_fail "INFO failed"
	grep -q '^mem_allocator:jemalloc' info.txt ||
	    atf_fail "redis does not think it uses jemalloc: $(flat info.txt)"
	al=$(info_field allocator_allocated info.txt)
	ac=$(info_field allocator_active info.txt)
	rs=$(info_field allocator_resident info.txt)
	fr=$(info_field allocator_frag_ratio info.txt)
	if [ -z "$al" ] || [ -z "$ac" ] || [ -z "$rs" ] || [ -z "$fr" ]; then
		atf_fail "allocator fields missing: $(flat info.txt 60)"
	fi
	[ "$al" -gt 20000000 ] ||
	    atf_fail "allocator_allocated $al is too small"
	[ "$ac" -ge "$al" ] || atf_fail "allocator_active $ac < allocated $al"
	[ "$rs" -ge "$ac" ] || atf_fail "allocator_resident $rs < active $ac"
	# The same numbers as domalloc's own statistics, printed right after.
	cli MEMORY MALLOC-STATS >mstats.txt || atf_fail "MALLOC-STATS failed"
	grep -q '^___ Begin domalloc statistics ___' mstats.txt ||
	    atf_fail "MALLOC-STATS is not domalloc's: $(flat mstats.txt)"
	dal=$(sed -n 's/^Allocated: \([0-9]*\),.*/\1/p' mstats.txt)
	[ -n "$dal" ] || atf_fail "no Allocated line: $(flat mstats.txt 60)"
	diff=$((dal > al ? dal - al : al - dal))
	[ $((diff * 20)) -le "$al" ] ||
	    atf_fail "INFO allocated $al, domalloc says $dal"
	cli MEMORY STATS >memstats.txt || atf_fail "MEMORY STATS failed"
	grep -q 'allocator.allocated' memstats.txt ||
	    atf_fail "no allocator.allocated in MEMORY STATS"
	# arena.<arenas.narenas>.purge, the deprecated "all arenas" index.
	atf_check -s exit:0 -o inline:"OK\n" -e ignore \
	    redis-cli -h 127.0.0.1 -p "$port" MEMORY PURGE
	cli FLUSHALL >/dev/null
	atf_check -s exit:0 -o inline:"OK\n" -e ignore \
	    redis-cli -h 127.0.0.1 -p "$port" MEMORY PURGE
	sleep 0.5
	cli INFO memory >info2.txt
	al2=$(info_field allocator_allocated info2.txt)
	rs2=$(info_field allocator_resident info2.txt)
	[ "$al2" -lt $((al / 2)) ] ||
	    atf_fail "allocated did not fall after FLUSHALL: $al -> $al2"
	[ "$rs2" -lt $((rs / 2)) ] ||
	    atf_fail "resident did not fall after FLUSHALL and MEMORY PURGE:" \
	    "$rs -> $rs2"
	cli SHUTDOWN NOSAVE >/dev/null 2>&1
	sleep 0.3
	if grep -q -i 'crash\|assert\|<domalloc>' redis.log; then
		atf_fail "redis.log: $(grep -i 'crash\|assert\|<domalloc>' \
		    redis.log | head -3 | tr '\n' '|')"
	fi
}
info_memory_cleanup()
{
	redis_stop
}

atf_test_case benchmark cleanup
benchmark_head()
{
	atf_set descr "a bounded redis-benchmark run over 127.0.0.1 against" \
	    "redis-server on domalloc completes without error"
	atf_set timeout 120
}
benchmark_body()
{
	redis_setup
	redis_start
	tests=ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop
	redis-benchmark -h 127.0.0.1 -p "$port" -n 20000 -c 20 -P 4 -q \
	    -d 100 -r 10000 -t "$tests,lrange_100,mset" >bench.out \
	    2>bench.err || atf_fail "redis-benchmark failed: $(flat bench.err)"
	grep -q 'requests per second' bench.out ||
	    atf_fail "no results: $(flat bench.out)"
	if grep -q -i 'error\|refused\|timeout' bench.out bench.err; then
		atf_fail "errors: $(grep -i 'error\|refused\|timeout' \
		    bench.out bench.err | head -3 | tr '\n' '|')"
	fi
	[ "$(cli ping)" = PONG ] || atf_fail "server gone after the benchmark"
	cli INFO memory >info.txt
	grep -q '^allocator_allocated:[1-9]' info.txt ||
	    atf_fail "no allocator figures after the benchmark"
	cli SHUTDOWN NOSAVE >/dev/null 2>&1
	sleep 0.3
	if grep -q -i 'crash\|assert\|<domalloc>' redis.log; then
		atf_fail "redis.log: $(grep -i 'crash\|assert\|<domalloc>' \
		    redis.log | head -3 | tr '\n' '|')"
	fi
}
benchmark_cleanup()
{
	redis_stop
}

atf_init_test_cases()
{
	atf_add_test_case bindings
	atf_add_test_case info_memory
	atf_add_test_case benchmark
}
