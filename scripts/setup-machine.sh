#!/usr/bin/env bash
# Installs everything the test suite needs on a Debian 12 machine, as root, then the project
# itself with its test dependencies. Safe to run again: each step skips what is already there.
#
#   PYTHON   the interpreter the tests run with (default: .venv/bin/python, the virtual environment
#            the README's first command makes; created here with python3 when missing, since Debian's
#            python3 refuses `pip install` outside one (PEP 668) and Debian has no `python`)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The interpreter the tool venvs are made with: Debian's python3 (python3-venv below).
base_python=${BASE_PYTHON:-python3}
python=${PYTHON:-$repo_root/.venv/bin/python}
checkov_venv=/opt/checkov
checkov_version=3.3.30
yacron_version=0.19.0
# The npm validators for the custom resources the k8s target renders (Gateway API, Traefik), pinned
# by tests/k8s/npm/package-lock.json; the tests find them here (tests/tooling.py).
npm_validators=/opt/deploykit-npm
# HashiCorp's HCL parser (WASM), which the Nomad tests read the rendered jobs with, pinned by
# tests/nomad/npm/package-lock.json; the tests find it here (tests/tooling.py).
npm_hcl_reader=/opt/deploykit-hcl
containers_conf=/etc/deploykit-ci/containers.conf
# Podman's Quadlet generator from Debian 13 (trixie), extracted here from its podman package: the
# Quadlet tests run `quadlet -dryrun` on the rendered units (tests/tooling.py finds it here).
quadlet_root=/opt/deploykit-quadlet
# kubectl from Debian 13, where the machine has none (tests/k8s run `kubectl kustomize`).
kubectl_root=/opt/deploykit-kubectl
# The Debian release the two programs above come from.
debian_next=trixie
export DEBIAN_FRONTEND=noninteractive

log() { printf 'setup-machine: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  log "run me as root (apt-get install, /etc and /opt are written)" >&2
  exit 1
fi

# --- Debian packages: podman and what it needs here, debootstrap for the base image, openssl for
# test certificates, haproxy to check the rendered socket-proxy configuration, zsh and fish to load the
# completion scripts, python3-venv for the virtual environments, git for the tests that copy the checkout.
apt_packages=(podman uidmap slirp4netns fuse-overlayfs runc debootstrap openssl haproxy zsh fish python3-venv git)
missing=()
for pkg in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -qx 'install ok installed'; then
    missing+=("$pkg")
  fi
done
apt_updated=false
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  apt-get update -q
  apt_updated=true
  apt-get install -y -q "${missing[@]}"
else
  log "Debian packages already installed: ${apt_packages[*]}"
fi

# Extracts one package of Debian $debian_next into a directory of its own, through a private apt state
# (its own sources, lists and cache under ROOT/apt): the machine's apt sources are not touched. Used for
# Go programs that Debian 12 lacks and that are linked to libc only, so they run on Debian 12 unchanged.
extract_from_debian_next() { # package root
  local package=$1 root=$2 apt_state mirror
  log "fetching $package from Debian $debian_next, into $root"
  apt_state="$root/apt"
  mkdir -p "$apt_state/sources" "$apt_state/lists/partial" "$apt_state/cache/archives/partial"
  # The Debian archive the machine already uses (its first URIs: line that is not the security archive).
  mirror=$(awk '/^URIs:/ && !/security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "${mirror:-http://deb.debian.org/debian}" "$debian_next" >"$apt_state/sources/$debian_next.sources"
  local apt_private=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_state/sources"
    -o "Dir::State::Lists=$apt_state/lists" -o "Dir::Cache=$apt_state/cache")
  apt-get "${apt_private[@]}" update -q
  (cd "$apt_state" && apt-get "${apt_private[@]}" download "$package")
  dpkg-deb -x "$(ls "$apt_state/${package}"_*.deb | head -n1)" "$root"
  rm -rf "$apt_state"
}

# --- kubectl (kubectl kustomize): part of this kind of machine's image; Debian 12 has no package, so
# a stock Debian 12 gets Debian 13's, linked into /usr/local/bin where the tests look for it.
if command -v kubectl >/dev/null 2>&1; then
  log "kubectl found: $(command -v kubectl)"
else
  extract_from_debian_next kubectl "$kubectl_root"
  ln -sf "$kubectl_root/usr/bin/kubectl" /usr/local/bin/kubectl
  log "kubectl $("$kubectl_root/usr/bin/kubectl" version --client 2>/dev/null | head -n1) in $kubectl_root"
fi

# --- podman settings: runc (crun refuses this machine's hybrid cgroup layout) and ulimits the
# sandbox allows. The tests point CONTAINERS_CONF at this file themselves; nothing is exported.
desired_conf='[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"'
if [ "$(cat "$containers_conf" 2>/dev/null)" != "$desired_conf" ]; then
  log "writing $containers_conf"
  mkdir -p "$(dirname "$containers_conf")"
  printf '%s\n' "$desired_conf" >"$containers_conf"
else
  log "$containers_conf is up to date"
fi

# --- Podman's Quadlet generator (Debian 12's podman 4.3 has none), from Debian 13's podman package.
if [ -x "$quadlet_root/usr/libexec/podman/quadlet" ]; then
  log "Quadlet generator already in $quadlet_root ($("$quadlet_root/usr/libexec/podman/quadlet" -version))"
else
  extract_from_debian_next podman "$quadlet_root"
  log "Quadlet generator $("$quadlet_root/usr/libexec/podman/quadlet" -version) in $quadlet_root"
fi

# --- tools whose pinned dependencies clash with the project's, each in a venv of its own. (Asking the
# package's metadata, not `<tool> --version`, which can take seconds to start.)
install_tool_venv() { # package version venv
  local package=$1 version=$2 venv=$3 installed
  installed=$("$venv/bin/python" -c "import importlib.metadata as m; print(m.version('$package'))" 2>/dev/null || true)
  if [ "$installed" = "$version" ]; then
    log "$package $version already in $venv"
    return
  fi
  log "installing $package $version into $venv"
  "$base_python" -m venv --clear "$venv"
  "$venv/bin/pip" install -q --root-user-action=ignore "$package==$version"
}
install_tool_venv checkov "$checkov_version" "$checkov_venv"
# yacron, the scheduler the Compose target runs: the tests check rendered configurations with it.
install_tool_venv yacron "$yacron_version" /opt/deploykit-yacron

# --- the custom-resource validators: `npm ci` from the committed lock, into a directory of their own.
if ! command -v npm >/dev/null 2>&1; then
  if [ "$apt_updated" = false ]; then
    apt-get update -q
    apt_updated=true
  fi
  log "apt-get install nodejs npm"
  apt-get install -y -q nodejs npm
fi
# The lock is copied to .installed.lock only after `npm ci` succeeded, so an interrupted install is redone.
if cmp -s "$repo_root/tests/k8s/npm/package-lock.json" "$npm_validators/.installed.lock"; then
  log "npm validators already in $npm_validators"
else
  log "npm ci into $npm_validators"
  mkdir -p "$npm_validators"
  cp "$repo_root/tests/k8s/npm/package.json" "$repo_root/tests/k8s/npm/package-lock.json" "$npm_validators/"
  npm ci --prefix "$npm_validators" --no-audit --no-fund --loglevel=error
  cp "$npm_validators/package-lock.json" "$npm_validators/.installed.lock"
fi

# --- HashiCorp's HCL parser for the Nomad tests, the same way, into a directory of its own.
if cmp -s "$repo_root/tests/nomad/npm/package-lock.json" "$npm_hcl_reader/.installed.lock"; then
  log "HCL reader already in $npm_hcl_reader"
else
  log "npm ci into $npm_hcl_reader"
  mkdir -p "$npm_hcl_reader"
  cp "$repo_root/tests/nomad/npm/package.json" "$repo_root/tests/nomad/npm/package-lock.json" "$npm_hcl_reader/"
  npm ci --prefix "$npm_hcl_reader" --no-audit --no-fund --loglevel=error
  cp "$npm_hcl_reader/package-lock.json" "$npm_hcl_reader/.installed.lock"
fi

# --- the project with its test and lint dependencies, into the interpreter the tests run with: every
# package at the version and hashes requirements.lock pins (scripts/lock.sh writes it), then deploykit
# itself without resolving anything again.
cd "$repo_root"
if [ -z "${PYTHON:-}" ] && [ ! -x "$python" ]; then
  log "$base_python -m venv .venv"
  "$base_python" -m venv "$repo_root/.venv"
fi
log "$python -m pip install --require-hashes -r requirements.lock"
"$python" -m pip install -q --root-user-action=ignore --require-hashes -r requirements.lock
log "$python -m pip install --no-deps -e ."
"$python" -m pip install -q --root-user-action=ignore --no-deps -e .
# The compiled spec validator, built now as the package's owner (otherwise the first load builds it).
"$python" -m deploykit.spec.compiler || log "no compiled validator (the reason is above): profiles load through the models"
log "done"
