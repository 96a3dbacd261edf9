#!/bin/sh
# deps.sh: makes sure the Debian packages that the build, the tests and the
# demo need are installed.  As root it installs what is missing; otherwise it
# lists what is missing and the command that installs it.
#
#   tools/deps.sh          build, test and demo packages
#   tools/deps.sh --check  only report, never install
set -eu

PKGS="
gcc make pkg-config
libevent-dev libsrtp2-dev libopus-dev libsodium-dev libinih-dev
libsqlite3-dev libjansson-dev libssl-dev libsndfile1-dev libsystemd-dev
python3 systemd man-db groff-base ffmpeg sox openssl
kannel kannel-extras
clang libclang-rt-14-dev
"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "${1:-}" = "--check" ] || [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: install them with: sudo apt-get install$missing" >&2
	exit 1
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine may be empty or stale.
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing >/dev/null
