#!/usr/bin/env bash
# The README's measured numbers: each embedded model greedily on its benchmarks, with the exact
# commands the README gives, timed. Every run is resumable: rerunning this script after an
# interruption continues the unfinished run (the response cache serves what was generated).
# Usage: perf/faithful.sh [STEP ...]   (default: the faithful numbers he05 heplus05 mbppplus05 he15)
#   issue 3, faithful numbers: he05 heplus05 mbppplus05 he15
#   MTPB, multi-turn vs single-turn: mtpb-multi05 mtpb-single05 (one test case per problem,
#     MTPB/*/0), mtpb-multi15 mtpb-single15; DS-1000 per library: ds1000-05 (all 1,000
#     problems) or ds1000-05s (every fifth: ids ending in 0 or 5, 200 problems)
# DS-1000 wants the libraries of its time: run it with a venv that has the ds1000 extra, e.g.
#   CRUCIBLE=/path/to/venv/bin/crucible perf/faithful.sh ds1000-05s
set -euo pipefail
cd "$(dirname "$0")/.."
CRUCIBLE=${CRUCIBLE:-.venv/bin/crucible}
STORE=perf/out/faithful.db
mkdir -p perf/out
export CRUCIBLE_DATA_DIR=${CRUCIBLE_DATA_DIR:-$(realpath ../shared/datasets)}

step() {  # name, model, benchmark, strategy, extra arguments
    local name=$1 model=$2 bench=$3 strategy=$4 start run
    shift 4
    start=$(date +%s)
    # Resume the newest unfinished run of this model, benchmark, strategy and task selection.
    run=$(.venv/bin/python - "$STORE" "$model" "$bench" "$strategy" "$@" <<'PY'
import json, sqlite3, sys
from pathlib import Path
store, model, bench, strategy, *extra = sys.argv[1:]
tasks = [extra[i + 1] for i, arg in enumerate(extra[:-1]) if arg == "--task"]
if Path(store).exists():
    for run_id, config, finished in sqlite3.connect(store).execute(
            "SELECT id, config, finished FROM runs WHERE kind = 'run' AND benchmark = ? "
            "ORDER BY created DESC", (bench,)):
        config = json.loads(config)
        if (config["model"], config["strategy"], config["tasks"]) == (model, strategy, tasks):
            if finished is None:
                print(run_id)
            break
PY
)
    if [ -n "$run" ]; then
        $CRUCIBLE run --resume "$run" --store "$STORE" --summary "perf/out/$name.json"
    else
        $CRUCIBLE run -m "$model" -b "$bench" -s "$strategy" "$@" --store "$STORE" \
            --summary "perf/out/$name.json"
    fi
    echo "$name wall_s=$(( $(date +%s) - start ))" | tee -a perf/out/faithful-times.txt
}

Q05=embedded:qwen2.5-coder-0.5b
Q15=embedded:qwen2.5-coder-1.5b
for s in "${@:-he05 heplus05 mbppplus05 he15}"; do
    for one in $s; do
        case $one in
            he05) step he05 $Q05 humaneval single ;;
            heplus05) step heplus05 $Q05 humaneval+ single ;;
            mbppplus05) step mbppplus05 $Q05 mbpp+ single ;;
            he15) step he15 $Q15 humaneval single ;;
            mtpb-multi05) step mtpb-multi05 $Q05 mtpb multiturn --task 'MTPB/*/0' ;;
            mtpb-single05) step mtpb-single05 $Q05 mtpb single --task 'MTPB/*/0' ;;
            mtpb-multi15) step mtpb-multi15 $Q15 mtpb multiturn --task 'MTPB/*/0' ;;
            mtpb-single15) step mtpb-single15 $Q15 mtpb single --task 'MTPB/*/0' ;;
            ds1000-05) step ds1000-05 $Q05 ds1000 single ;;
            ds1000-05s) step ds1000-05s $Q05 ds1000 single --task 'DS1000/*[05]' ;;
            *) echo "unknown step $one" >&2; exit 2 ;;
        esac
    done
done
