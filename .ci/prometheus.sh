# Prometheus for CI: sourced by .ci/run (and usable by hand:
# `source .ci/prometheus.sh && install_prometheus && check_prometheus_contrib`).
#
# install_prometheus installs Debian's `prometheus` package (the server and promtool) when
# either is missing, without its recommended node exporter, and stops the service the
# package may start: the tests run a Prometheus of their own on loopback
# (crates/digicert-cli/tests/prometheus). check_prometheus_contrib runs promtool on
# contrib/: a Prometheus config made of the shipped scrape config and alert rules (check
# config), the rules (check rules) and their unit tests (test rules).

install_prometheus() {
  if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
    return 0
  fi
  echo "Prometheus is not installed: installing it from the distribution's packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl stop prometheus
  fi
  if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
    echo "no prometheus or promtool after installing" >&2
    return 1
  fi
}

check_prometheus_contrib() {
  local dir status=0
  dir=$(mktemp -d)
  {
    printf 'rule_files:\n  - %s\n' "$PWD/contrib/prometheus-alerts.yml"
    cat contrib/prometheus-scrape.yml
  } >"$dir/prometheus.yml"
  promtool check config "$dir/prometheus.yml" &&
    promtool check rules contrib/prometheus-alerts.yml &&
    promtool test rules contrib/prometheus-alerts.test.yml || status=$?
  rm -rf "$dir"
  return "$status"
}
