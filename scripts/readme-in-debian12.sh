#!/usr/bin/env bash
# Runs the README's two opening commands, word for word, on a fresh clone of this checkout's HEAD, each
# in a clean Debian 12 container on podman: proof that they work on a new machine.
#
#   scripts/readme-in-debian12.sh first    the install + `render all` + `explain` line (then: the
#                                          rendered manifests/ must equal the committed ones)
#   scripts/readme-in-debian12.sh second   the set-up + whole test suite line, with CI=true (a missing
#                                          tool fails its tests), end-to-end tests on podman inside
#
# The image is the e2e tests' localhost/debian:bookworm (a debootstrap minbase Debian 12, made by
# `pytest tests/e2e`): no python3, no git, nothing of the project's. The only thing added before the
# README's command is what a machine on this network needs anyway: EXTRA_CA_DIR's certificates (a
# TLS-intercepting proxy's CA, for pip and npm), and, for the first command, python3-venv, which the
# README names for a Debian without it.
#
# The second command runs podman inside the container (--privileged). The container gets a network of
# its own (NETWORK_SUBNET), because podman inside uses 10.88.0.0/16 for its default network, which is
# also the outer default network's: with both the same, the inner containers cannot reach the outside.
set -euo pipefail

which=${1:-both}
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
image=${IMAGE:-localhost/debian:bookworm}
extra_ca_dir=${EXTRA_CA_DIR:-/usr/local/share/ca-certificates}
network=deploykit-readme
network_subnet=${NETWORK_SUBNET:-10.78.0.0/24}
dns=$(awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf)

case "$which" in first | second | both) ;; *)
  echo "usage: scripts/readme-in-debian12.sh [first | second | both]" >&2
  exit 2
  ;;
esac

# The two commands, read from the README itself: its first two ```sh blocks.
readme_command() { # n
  awk -v n="$1" '/^```sh$/ {block++; next} /^```$/ {next} block == n && !done {print; done = 1}' "$repo_root/README.md"
}

workdir=$(mktemp -d /tmp/deploykit-readme.XXXXXX)
trap 'rm -rf "$workdir"' EXIT
git clone -q "$repo_root" "$workdir/src"
podman network exists "$network" || podman network create --subnet "$network_subnet" "$network" >/dev/null

run_in_debian() { # name script
  podman run --rm --privileged --network "$network" ${dns:+--dns "$dns"} --name "deploykit-readme-$1" \
    -v "$workdir/src:/src" -v "$extra_ca_dir:/extra-ca:ro" "$image" bash -euxc "
      apt-get update -q >/dev/null
      apt-get install -y -q ca-certificates >/dev/null
      cp /extra-ca/*.crt /usr/local/share/ca-certificates/ 2>/dev/null && update-ca-certificates >/dev/null || true
      cd /src
      $2"
}

status=0
if [ "$which" != second ]; then
  first=$(readme_command 1)
  echo "readme-in-debian12: first command: $first"
  run_in_debian first "apt-get install -y -q python3-venv >/dev/null
      $first" || status=1
  # `render all` must have rewritten manifests/ to the committed bytes.
  if [ -n "$(git -C "$workdir/src" status --porcelain -- manifests)" ]; then
    echo "readme-in-debian12: render all changed manifests/:" >&2
    git -C "$workdir/src" status --short -- manifests >&2
    status=1
  fi
fi
if [ "$which" != first ]; then
  git -C "$workdir/src" clean -qfdx
  second=$(readme_command 2)
  echo "readme-in-debian12: second command: $second"
  run_in_debian second "export CI=true
      $second" || status=1
fi
echo "readme-in-debian12: $([ "$status" -eq 0 ] && echo passed || echo FAILED)"
exit "$status"
