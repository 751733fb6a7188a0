#!/usr/bin/env bash
# The README's "faithful numbers": each embedded model greedily on its benchmarks, with the
# exact commands the README gives, timed. Every run is resumable: rerunning this script after
# an interruption continues the unfinished run (the response cache serves what was generated).
# Usage: perf/faithful.sh [STEP ...]   steps: he05 heplus05 mbppplus05 he15 (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
CRUCIBLE=.venv/bin/crucible
STORE=perf/out/faithful.db
mkdir -p perf/out
export CRUCIBLE_DATA_DIR=${CRUCIBLE_DATA_DIR:-$(realpath ../shared/datasets)}

step() {  # name, model, benchmark
    local name=$1 model=$2 bench=$3 start run
    start=$(date +%s)
    # Resume the newest unfinished run of this model and benchmark, if there is one.
    run=$(.venv/bin/python - "$STORE" "$model" "$bench" <<'PY'
import json, sqlite3, sys
from pathlib import Path
store, model, bench = sys.argv[1:]
if Path(store).exists():
    for run_id, config, finished in sqlite3.connect(store).execute(
            "SELECT id, config, finished FROM runs WHERE kind = 'run' AND benchmark = ? "
            "ORDER BY created DESC", (bench,)):
        if json.loads(config)["model"] == model and finished is None:
            print(run_id)
        break
PY
)
    if [ -n "$run" ]; then
        $CRUCIBLE run --resume "$run" --store "$STORE" --summary "perf/out/$name.json"
    else
        $CRUCIBLE run -m "$model" -b "$bench" --store "$STORE" --summary "perf/out/$name.json"
    fi
    echo "$name wall_s=$(( $(date +%s) - start ))" | tee -a perf/out/faithful-times.txt
}

for s in "${@:-he05 heplus05 mbppplus05 he15}"; do
    for one in $s; do
        case $one in
            he05) step he05 embedded:qwen2.5-coder-0.5b humaneval ;;
            heplus05) step heplus05 embedded:qwen2.5-coder-0.5b humaneval+ ;;
            mbppplus05) step mbppplus05 embedded:qwen2.5-coder-0.5b mbpp+ ;;
            he15) step he15 embedded:qwen2.5-coder-1.5b humaneval ;;
            *) echo "unknown step $one" >&2; exit 2 ;;
        esac
    done
done
