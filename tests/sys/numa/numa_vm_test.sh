#! /usr/bin/env atf-sh
# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# numa_vm_test: page placement on a two-node virtual machine.
#
# Each case boots the VM once (tests/sys/numa/run-vm: qemu under TCG,
# Debian's kernel, one of the numa_place programs as /init) and reads the
# program's verdict from the serial log.  The domalloc case passes only if
# every scenario meets its threshold (RESULT pass).  The jemalloc and glibc
# cases measure the peers for comparison: they print the figures and pass
# whenever the VM booted and the program ran to its RESULT line.  A case
# skips when qemu or a kernel is not installed.  The program is marked
# is_exclusive, as two emulated CPUs want both of the machine's cores.
# See tests/sys/numa/README.md.

# Boot the VM with the program $1 and leave its serial output (carriage
# returns removed) in ./$1.out; sets vm_status to run-vm's exit status.
numa_vm()
{
	atf_config_has objdir ||
	    atf_fail "configuration variable objdir is not set"
	atf_config_has top || atf_fail "configuration variable top is not set"
	prog=$(atf_config_get objdir)/tests/sys/numa/$1
	runner=$(atf_config_get top)/tests/sys/numa/run-vm
	[ -x "$prog" ] || atf_fail "$prog was not built"
	[ -f "$runner" ] || atf_fail "$runner is missing"

	/bin/sh "$runner" -o "$(pwd)" "$prog" > run-vm.log 2>&1
	vm_status=$?
	cat run-vm.log
	if [ "$vm_status" -eq 3 ]; then
		atf_skip "$(sed -n 's/^run-vm: skip: //p' run-vm.log |
		    head -n 1)"
	fi
	[ -f "$1.out" ] || atf_fail "run-vm wrote no serial log" \
	    "(exit status $vm_status): $(tail -n 3 run-vm.log | tr '\n' '|')"
}

# The VM ran the program to its end: the allocator is the expected one
# ($2), the two nodes were seen, and there is a verdict.
numa_vm_ran()
{
	atf_check -s exit:0 -o match:"^# numa_place: allocator=$2 " \
	    -o match:'^# nodes=2 ' -o match:'^RESULT (pass|fail)' \
	    cat "$1.out"
	if grep -q '^RESULT fail (harness' "$1.out"; then
		atf_fail "$(grep '^RESULT' "$1.out" | head -n 1)"
	fi
	[ "$vm_status" -le 1 ] ||
	    atf_fail "run-vm exit status $vm_status: the VM gave no verdict"
}

atf_test_case domalloc
domalloc_head()
{
	atf_set descr "domalloc places pages on the node of the allocating" \
	    "thread (fresh, after migration, after a cross-node handoff," \
	    "after a thread exit) and node-bound arenas on their node"
}
domalloc_body()
{
	numa_vm numa_place
	numa_vm_ran numa_place domalloc
	grep '^# domalloc .*BELOW' numa_place.out || true
	atf_check -s exit:0 -o match:'^RESULT pass$' cat numa_place.out
}

atf_test_case jemalloc
jemalloc_head()
{
	atf_set descr "Debian's jemalloc in the same VM, measured for" \
	    "comparison (no thresholds)"
}
jemalloc_body()
{
	numa_vm numa_place_jemalloc
	numa_vm_ran numa_place_jemalloc jemalloc
}

atf_test_case glibc
glibc_head()
{
	atf_set descr "glibc's malloc in the same VM, measured for" \
	    "comparison (no thresholds)"
}
glibc_body()
{
	numa_vm numa_place_glibc
	numa_vm_ran numa_place_glibc glibc
}

atf_init_test_cases()
{
	atf_add_test_case domalloc
	atf_add_test_case jemalloc
	atf_add_test_case glibc
}
