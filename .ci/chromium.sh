# Headless Chromium and its WebDriver for the page's browser test
# (crates/digicert-cli/tests/browser.rs): sourced by .ci/run, usable by hand
# (`source .ci/chromium.sh && install_chromium`).
#
# install_chromium installs Debian's `chromium` and `chromium-driver` when chromedriver is
# not on the PATH. The test starts chromedriver itself, on a free loopback port, and runs
# the browser once (one test does every step), headless, with a fresh profile.

install_chromium() {
  if command -v chromedriver >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1; then
    echo "$(chromedriver --version | head -n 1)"
    return 0
  fi
  echo "Chromium is not installed: installing chromium and chromium-driver from the distribution's packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  if ! command -v chromedriver >/dev/null 2>&1; then
    echo "no chromedriver after installing chromium-driver" >&2
    return 1
  fi
  echo "$(chromedriver --version | head -n 1)"
}
