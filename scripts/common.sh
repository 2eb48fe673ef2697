# Shared helpers for the guse scripts (sourced, not run).  Loads
# scripts/kernels.conf next to it.
. "$(dirname "${BASH_SOURCE[0]}")/kernels.conf"
GUSE_CACHE=${GUSE_CACHE:-/var/cache/guse}

# <short name> (6.12) or a full kernel release -> the kernel release
resolve_krel() {
	local var=GUSE_KREL_${1//./_}
	if [[ $var =~ ^[A-Za-z0-9_]+$ ]] && [ -n "${!var:-}" ]; then
		echo "${!var}"
	else
		echo "$1"
	fi
}
