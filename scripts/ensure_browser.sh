#!/usr/bin/env bash
# Makes sure Debian's chromium and chromium-driver are installed for the browser tests
# (tests/browser). Installs them with apt when missing and we are root; otherwise says why and
# exits 0: the browser tests then skip with that reason instead of failing.
set -uo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "browser: chromium and chromedriver present"
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "browser: chromium/chromedriver missing and not root; browser tests will be skipped" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "browser: chromium/chromedriver missing and no apt-get; browser tests will be skipped" >&2
  exit 0
fi
echo "browser: installing chromium and chromium-driver with apt-get"
export DEBIAN_FRONTEND=noninteractive
# Another apt run on the machine holds the lock for a while: wait for it rather than fail.
apt-get -o DPkg::Lock::Timeout=600 update -qq \
  && apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium chromium-driver \
  || echo "browser: apt-get could not install chromium; browser tests will be skipped" >&2
exit 0
