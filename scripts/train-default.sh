#!/usr/bin/env bash
# Reproduces the shipped default model set (models/default: a target VLA + draft head for every
# suite, and the spatial and goal suites' own fine-tunes under spatial/ and goal/) from nothing:
# expert demonstrations -> small VLA -> draft head, fixed seeds. Every training stage is resumable:
# after a kill, run the script again and it continues (collect skips stored episodes, train-vla
# resumes from its run's checkpoint). About 8 hours on a 2-core machine, estimated from stage rates
# measured there: the shared model 5.5 hours (train-vla's 24,800 steps of 16 samples at 28
# samples/s, 4 hours; the 8,000 expert demonstrations 40 minutes at 3.6 a second and the four DAgger
# collects 50 minutes, on one core; train-draft 10 minutes), the spatial fine-tune 1.8 hours (6,000
# steps, 70 minutes; 1,680 demonstrations and 240 DAgger episodes, 30 minutes) and the goal one 0.9
# hours (2,400 steps, 27 minutes; 400 demonstrations and 240 DAgger episodes, 17 minutes). Run it
# in the background:
#   nohup bash scripts/train-default.sh > runs/train-default.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
OUT=${OUT:-models/default}
mkdir -p "$RUNS"

# 40 demonstrations per task from the training states (100..139), never the 50 evaluation states,
# twice: under DART noise (the executed hand motion perturbed, the stored label the expert's clean
# action) and clean. The shipped run trained on the DART set first and then switched to the clean
# one: with 5 mm of noise a step, an axis already within the expert's 5 mm deadband gets a label
# (-, 0 or +) decided by the noise, so 75% of consecutive labels differ and the x and y tokens
# stayed near chance; the lines below replay that run exactly (seed 1, 16 samples a step, the
# model shape and image head of DEFAULT_SMALL_VLA; the schedule was shortened twice to fit a session).
# Those first stages ran before the renderer had shadows, hence --no-shadows.
# They also ran before the expert's current descent (to one step above the contact; README, Training): collect now
# demonstrates that way, so a replay trains on the new expert's demonstrations, not the shipped ones.
node dist/src/apps/cli.js collect --suite all --episodes 40 --every 2 --noise 0.1 --no-shadows --out "$RUNS/data-dart"
node dist/src/apps/cli.js train-vla --data "$RUNS/data-dart" --out "$RUNS/vla" --steps 4600 --until 600 --batch 16 --lr 1e-3 --seed 1
node dist/src/apps/cli.js train-vla --data "$RUNS/data-dart" --out "$RUNS/vla" --steps 4000 --until 1000 --batch 16 --lr 1e-3 --seed 1
node dist/src/apps/cli.js collect --suite all --episodes 40 --every 2 --no-shadows --out "$RUNS/data"
node dist/src/apps/cli.js train-vla --data "$RUNS/data" --out "$RUNS/vla" --steps 3600 --batch 16 --lr 1e-3 --seed 1

# Then the overhead lamp's shadows (they show the hand's height; without them the policy descended
# onto the table and never closed): the same demonstrations rendered with shadows, and the model
# above fine-tuned on them as a new run (--init-from: a fresh schedule and optimizer).
node dist/src/apps/cli.js collect --suite all --episodes 40 --every 2 --out "$RUNS/data-lamp"
node dist/src/apps/cli.js train-vla --data "$RUNS/data-lamp" --out "$RUNS/vla-lamp" --steps 1500 --batch 16 --lr 1e-3 --seed 1 --init-from "$RUNS/vla"

# Then the state head: the same demonstrations (collect now also records the simulator state behind
# each frame), two fine-tuning runs that regress it beside the actions (see README, Training).
node dist/src/apps/cli.js train-vla --data "$RUNS/data-lamp" --out "$RUNS/vla-state" --steps 3000 --batch 16 --lr 5e-4 --seed 1 --state-head 0.5 --approach-weight 3 --init-from "$RUNS/vla-lamp"
node dist/src/apps/cli.js train-vla --data "$RUNS/data-lamp" --out "$RUNS/vla-state2" --steps 2500 --batch 16 --lr 3e-4 --seed 2 --state-head 1 --approach-weight 3 --init-from "$RUNS/vla-state"

# Then the expert that descends to one step above the contact (README, Training: the table trap).
# The shipped run's first stage here (seed 4, 2,400 steps) trained on an intermediate expert that no
# longer exists; a replay uses the current one for both stages.
node dist/src/apps/cli.js collect --suite all --episodes 40 --every 2 --out "$RUNS/data-contact"
node dist/src/apps/cli.js train-vla --data "$RUNS/data-contact" --out "$RUNS/vla-contact" --steps 2400 --batch 16 --lr 3e-4 --seed 4 --state-head 1 --approach-weight 3 --init-from "$RUNS/vla-state2"
node dist/src/apps/cli.js train-vla --data "$RUNS/data-contact" --out "$RUNS/vla-contact2" --steps 3000 --batch 16 --lr 3e-4 --seed 5 --state-head 1 --approach-weight 3 --grip-weight 3 --init-from "$RUNS/vla-contact"

# Every frame, with half the grasps and releases one step late (the overshoot frame labelled "close").
node dist/src/apps/cli.js collect --suite all --episodes 40 --every 1 --late 0.5 --out "$RUNS/data-late"
node dist/src/apps/cli.js train-vla --data "$RUNS/data-late" --out "$RUNS/vla-late" --steps 1800 --batch 16 --lr 3e-4 --seed 6 --state-head 1 --approach-weight 3 --grip-weight 3 --init-from "$RUNS/vla-contact2"

# One DAgger round: that model acts (the expert's action on 30% of the steps), the expert labels
# every frame; 6 + 6 more training states per task. (The shipped run's heads restarted at every
# --init-from before the stage below; a replay continues them from each run's checkpoint.)
node dist/src/apps/cli.js collect --suite all --episodes 6 --from-init 160 --policy "$RUNS/vla-late" --expert-share 0.3 --out "$RUNS/dagger-1"
node dist/src/apps/cli.js collect --suite all --episodes 6 --from-init 166 --policy "$RUNS/vla-late" --expert-share 0.3 --out "$RUNS/dagger-2"
node dist/src/apps/cli.js train-vla --data "$RUNS/data-late,$RUNS/dagger-1,$RUNS/dagger-2" --out "$RUNS/vla-dagger" --steps 3000 --batch 16 --lr 3e-4 --seed 7 --state-head 1 --approach-weight 3 --grip-weight 3 --init-from "$RUNS/vla-late"

# A second DAgger round with that model acting, a fine-tune of it on everything so far, and the mean
# of the two fine-tunes (README, Training: the mean acted better than either on states 0..5).
node dist/src/apps/cli.js collect --suite all --episodes 6 --from-init 172 --policy "$RUNS/vla-dagger" --expert-share 0.3 --out "$RUNS/dagger-3"
node dist/src/apps/cli.js collect --suite all --episodes 6 --from-init 178 --policy "$RUNS/vla-dagger" --expert-share 0.3 --out "$RUNS/dagger-4"
node dist/src/apps/cli.js train-vla --data "$RUNS/data-late,$RUNS/dagger-1,$RUNS/dagger-2,$RUNS/dagger-3,$RUNS/dagger-4" --out "$RUNS/vla-dagger2" --steps 3000 --batch 16 --lr 3e-4 --seed 8 --state-head 1 --approach-weight 3 --grip-weight 3 --init-from "$RUNS/vla-dagger"
node dist/src/apps/cli.js average-weights --models "$RUNS/vla-dagger,$RUNS/vla-dagger2" --out "$RUNS/vla-mean"

node dist/src/apps/cli.js train-draft --model "$RUNS/vla-mean" --data "$RUNS/data-late" --out "$RUNS/draft" --samples 3000 --steps 1200 --lr 5e-4 --seed 1

mkdir -p "$OUT/target" "$OUT/draft"
cp "$RUNS"/vla-mean/config.json "$RUNS"/vla-mean/model.safetensors "$RUNS"/vla-mean/tokenizer.json "$RUNS"/vla-mean/tokenizer_config.json "$OUT/target/"
cp "$RUNS"/draft/* "$OUT/draft/"

# The spatial suite's own fine-tune (README, Training: one model per suite, then the wrist view, then
# a DAgger round), stored as I8 beside the model above, which runs the other suites. The shipped
# run started the first stage from the mean with the training-only heads of a run beside it; a
# replay starts those heads fresh.
node dist/src/apps/cli.js collect --suite spatial --episodes 80 --from-init 500 --every 1 --late 0.5 --out "$RUNS/spatial"
node dist/src/apps/cli.js collect --suite all --episodes 1 --from-init 600 --every 1 --late 0.5 --out "$RUNS/vocab"
node dist/src/apps/cli.js train-vla --data "$RUNS/spatial,$RUNS/vocab" --out "$RUNS/vla-spatial" --steps 2400 --batch 16 --lr 3e-4 --seed 52 --state-head 1 --approach-weight 3 --grip-weight 3 --init-from "$RUNS/vla-mean"
node dist/src/apps/cli.js collect --suite spatial --episodes 40 --from-init 500 --every 1 --late 0.5 --wrist 64 --out "$RUNS/spatial-wrist-1"
node dist/src/apps/cli.js collect --suite spatial --episodes 40 --from-init 540 --every 1 --late 0.5 --wrist 64 --out "$RUNS/spatial-wrist-2"
node dist/src/apps/cli.js collect --suite all --episodes 1 --from-init 600 --every 1 --late 0.5 --wrist 64 --out "$RUNS/vocab-wrist"
SPATIAL_WRIST="$RUNS/spatial-wrist-1,$RUNS/spatial-wrist-2,$RUNS/vocab-wrist"
node dist/src/apps/cli.js train-vla --data "$SPATIAL_WRIST" --wrist 64 --out "$RUNS/vla-spatial-wrist" --steps 2400 --batch 16 --lr 3e-4 --seed 55 --state-head 1 --approach-weight 3 --grip-weight 3 --init-from "$RUNS/vla-spatial"
node dist/src/apps/cli.js collect --suite spatial --episodes 12 --from-init 468 --every 1 --late 0.5 --policy "$RUNS/vla-spatial-wrist" --expert-share 0.3 --out "$RUNS/spatial-dagger-1"
node dist/src/apps/cli.js collect --suite spatial --episodes 12 --from-init 480 --every 1 --late 0.5 --policy "$RUNS/vla-spatial-wrist" --expert-share 0.3 --out "$RUNS/spatial-dagger-2"
node dist/src/apps/cli.js train-vla --data "$SPATIAL_WRIST,$RUNS/spatial-dagger-1,$RUNS/spatial-dagger-2" --wrist 64 --out "$RUNS/vla-spatial-dagger" --steps 1200 --batch 16 --lr 3e-4 --seed 57 --state-head 1 --approach-weight 3 --grip-weight 3 --init-from "$RUNS/vla-spatial-wrist"
node dist/src/apps/cli.js train-draft --model "$RUNS/vla-spatial-dagger" --data "$RUNS/spatial-wrist-1" --out "$RUNS/draft-spatial" --samples 3000 --steps 1200 --lr 5e-4 --seed 1
rm -rf "$OUT/spatial"
node dist/src/apps/cli.js convert --model "$RUNS/vla-spatial-dagger" --out "$OUT/spatial/target" --dtype I8
node dist/src/apps/cli.js convert --model "$RUNS/draft-spatial" --out "$OUT/spatial/draft" --dtype I8

# The goal suite's own fine-tune: the wrist view from the mean in one step, then a DAgger round.
node dist/src/apps/cli.js collect --suite goal --episodes 40 --from-init 500 --every 1 --late 0.5 --wrist 64 --out "$RUNS/goal-wrist"
node dist/src/apps/cli.js train-vla --data "$RUNS/goal-wrist,$RUNS/vocab-wrist" --wrist 64 --out "$RUNS/vla-goal-wrist" --steps 1200 --batch 16 --lr 3e-4 --seed 58 --state-head 1 --approach-weight 3 --grip-weight 3 --init-from "$RUNS/vla-mean"
node dist/src/apps/cli.js collect --suite goal --episodes 12 --from-init 468 --policy "$RUNS/vla-goal-wrist" --expert-share 0.3 --out "$RUNS/goal-dagger-1"
node dist/src/apps/cli.js collect --suite goal --episodes 12 --from-init 480 --policy "$RUNS/vla-goal-wrist" --expert-share 0.3 --out "$RUNS/goal-dagger-2"
node dist/src/apps/cli.js train-vla --data "$RUNS/goal-wrist,$RUNS/goal-dagger-1,$RUNS/goal-dagger-2,$RUNS/vocab-wrist" --wrist 64 --out "$RUNS/vla-goal-dagger" --steps 1200 --batch 16 --lr 3e-4 --seed 59 --state-head 1 --approach-weight 3 --grip-weight 3 --init-from "$RUNS/vla-goal-wrist"
node dist/src/apps/cli.js train-draft --model "$RUNS/vla-goal-dagger" --data "$RUNS/goal-wrist" --out "$RUNS/draft-goal" --samples 3000 --steps 1200 --lr 5e-4 --seed 1
rm -rf "$OUT/goal"
node dist/src/apps/cli.js convert --model "$RUNS/vla-goal-dagger" --out "$OUT/goal/target" --dtype I8
node dist/src/apps/cli.js convert --model "$RUNS/draft-goal" --out "$OUT/goal/draft" --dtype I8
echo "wrote $OUT"
