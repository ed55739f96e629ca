#!/usr/bin/env bash
# Reproduces the shipped default model (models/default: target VLA + draft head) from nothing:
# expert demonstrations -> small VLA -> draft head, fixed seeds. Every stage is resumable: after a
# kill, run the script again and it continues (collect skips stored episodes, train-vla resumes
# from runs/vla/checkpoint). About 2 hours on a 2-core machine (collect a quarter of an hour on one
# core, train-vla 1.7 hours, train-draft 10 minutes); run it in the background:
#   nohup bash scripts/train-default.sh > runs/train-default.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
OUT=${OUT:-models/default}
mkdir -p "$RUNS"

# 40 demonstrations per task from the training states (100..139), never the 50 evaluation states,
# recorded under DART noise: the executed hand motion is perturbed, the stored label is the expert's
# clean action, so the demonstrations also show how to get back onto the path.
node dist/src/apps/cli.js collect --suite all --episodes 40 --every 2 --noise 0.1 --out "$RUNS/data"

# 4,000 steps of 16 samples (64k samples, about three quarters of the frames), seed 1; the model shape
# and the image head are DEFAULT_SMALL_VLA's. The shipped run began on a 4,600-step cosine and was
# shortened to 4,000 at step 600 (warmup over by then) to fit a session; the two lines replay it.
node dist/src/apps/cli.js train-vla --data "$RUNS/data" --out "$RUNS/vla" --steps 4600 --until 600 --batch 16 --lr 1e-3 --seed 1
node dist/src/apps/cli.js train-vla --data "$RUNS/data" --out "$RUNS/vla" --steps 4000 --batch 16 --lr 1e-3 --seed 1

node dist/src/apps/cli.js train-draft --model "$RUNS/vla" --data "$RUNS/data" --out "$RUNS/draft" --samples 4000 --steps 1500 --lr 5e-4 --seed 1

mkdir -p "$OUT/target" "$OUT/draft"
cp "$RUNS"/vla/config.json "$RUNS"/vla/model.safetensors "$RUNS"/vla/tokenizer.json "$RUNS"/vla/tokenizer_config.json "$OUT/target/"
cp "$RUNS"/draft/* "$OUT/draft/"
echo "wrote $OUT"
