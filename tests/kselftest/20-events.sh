#!/bin/bash
# Injected levels become edge events: v2 and v1 uAPI, debounce, interrupt
# configuration, watchers of a dying server (tests/guse-events-test.c).
top=$(cd "$(dirname "$0")/../.." && pwd)
exec "$top/tests/guse-events-test"
