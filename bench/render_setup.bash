# Sourced by the render benchmarks (bench/render_*.sh) after `set -euo
# pipefail` with $name set: the built tools first on PATH, a skip without
# Blender, a temporary folder to work in (removed on exit), and the
# provider's and the verifier's keys there.
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/build/bin:$PATH"
command -v blender >/dev/null || { echo "$name: Blender is not installed; skipped"; exit 0; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
printf '%s\n' 0202020202020202020202020202020202020202020202020202020202020202 >prov.key
printf '%s\n' 0303030303030303030303030303030303030303030303030303030303030303 >verifier.key
chmod 600 prov.key verifier.key
