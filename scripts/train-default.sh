#!/usr/bin/env bash
# Reproduces the shipped default model (models/default: target VLA + draft head) from nothing:
# expert demonstrations -> small VLA -> draft head, fixed seeds. Every stage is resumable: after a
# kill, run the script again and it continues (collect skips stored episodes, train-vla resumes
# from runs/vla/checkpoint). About 3.5 hours on a 2-core machine (train-vla 1.3 h + 1.8 h, the two
# collects and train-draft about half an hour together); run it in the background:
#   nohup bash scripts/train-default.sh > runs/train-default.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
OUT=${OUT:-models/default}
mkdir -p "$RUNS"

# 40 demonstrations per task from the training states (100..139), never the 50 evaluation states.
node dist/src/apps/cli.js collect --suite all --episodes 40 --every 2 --out "$RUNS/data"

# Stage 1: the clean demonstrations, on a 6,000-step cosine schedule, stopped at step 3,400
# (54k samples), seed 1; the model shape and the image head are DEFAULT_SMALL_VLA's.
node dist/src/apps/cli.js train-vla --data "$RUNS/data" --out "$RUNS/vla" --steps 6000 --until 3400 --batch 16 --lr 1e-3 --seed 1

# Stage 2: from step 3,400 to 8,000 (the cosine recomputed for 8,000 steps: it resumes at 0.62 of the
# peak rate) on demonstrations recorded under DART noise with every step kept: states off the
# expert's path, labelled with its clean action, and every frame of each grasp. The action
# statistics are the same as the first set's (the labels are clean), so the bins do not move.
node dist/src/apps/cli.js collect --suite all --episodes 20 --every 1 --noise 0.1 --out "$RUNS/data-dart"
node dist/src/apps/cli.js train-vla --data "$RUNS/data-dart" --out "$RUNS/vla" --steps 8000 --batch 16 --lr 1e-3 --seed 1

node dist/src/apps/cli.js train-draft --model "$RUNS/vla" --data "$RUNS/data-dart" --out "$RUNS/draft" --samples 4000 --steps 1500 --lr 5e-4 --seed 1

mkdir -p "$OUT/target" "$OUT/draft"
cp "$RUNS"/vla/config.json "$RUNS"/vla/model.safetensors "$RUNS"/vla/tokenizer.json "$RUNS"/vla/tokenizer_config.json "$OUT/target/"
cp "$RUNS"/draft/* "$OUT/draft/"
echo "wrote $OUT"
