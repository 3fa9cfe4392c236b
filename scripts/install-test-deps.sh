#!/usr/bin/env bash
# Installs the real servers the integration tests start: OpenLDAP slapd + ldap-utils, and a Samba AD DC,
# plus systemd's analysis tool for the unit-file checks, libfaketime for the clock-jump fault rows,
# Debian's Chromium for the web console's browser tests (driven by playwright-core; never a browser
# download) and Prometheus for `promtool check rules` / `test rules` on examples/prometheus/.
# Run as root (CI is); otherwise it prints the exact command to run and exits non-zero.
set -euo pipefail
# systemd: only for `systemd-analyze verify/security` on the shipped unit (nothing is started).
PKGS=(slapd ldap-utils samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind ldb-tools openssl systemd faketime chromium prometheus)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "The integration tests need: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing test servers: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
