#!/bin/bash
# Last test: after everything above, no chip, request or reference is left
# behind, so both modules unload.
echo "KTAP version 1"
echo "1..3"
fail=0
# removed chips are freed a moment after their last interrupt user left
for _ in $(seq 50); do
	[ -z "$(ls /sys/class/guse 2>/dev/null)" ] && break
	sleep 0.1
done
if [ -z "$(ls /sys/class/guse 2>/dev/null)" ]; then
	echo "ok 1 no guse chip is left"
else
	echo "not ok 1 no guse chip is left # $(ls /sys/class/guse | tr '\n' ' ')"
	fail=1
fi
for m in gpio_guse guse; do
	if [ "$m" = gpio_guse ]; then n=2; else n=3; fi
	for _ in $(seq 30); do
		rmmod "$m" 2>/dev/null && break
		sleep 0.1
	done
	if lsmod | awk '{print $1}' | grep -qx "$m"; then
		echo "not ok $n $m unloads # refcount $(cat /sys/module/$m/refcnt 2>/dev/null)"
		fail=1
	else
		echo "ok $n $m unloads"
	fi
done
exit $fail
