#!/usr/bin/env bash
# One device call: install the carried wheels, train both models at once on the one GPU,
# copy each best.pt, results.csv and fit.json (and both logs) into $OUT.
#   carry: .whl .cache/chips/vehicles .cache/chips/river-debris
# TIME_H bounds each run (ultralytics time=, hours); HARD_S kills a run that overstays.
set -u
"${PY:-python3}" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "${SITE:-/tmp/site}" .whl/*.whl || exit 3
export PYTHONPATH=${SITE:-/tmp/site} PYTHONUNBUFFERED=1 HEHU_HOME=/tmp/hehu YOLO_OFFLINE=1
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
find "${CHIPS:-.cache/chips}" -name '*.cache' -delete
MODELS=${MODELS:-"vehicles river-debris"}
for m in $MODELS; do
    timeout "${HARD_S:-420}" "${PY:-python3}" bench/train/fit.py --model "$m" \
        --data "${CHIPS:-.cache/chips}/$m/data.yaml" --imgsz "${IMGSZ:-640}" --run-dir "${RUNS:-/tmp/runs}/$m" --device "${DEVICE:-0}" \
        --batch "${BATCH:-32}" --epochs "${EPOCHS:-300}" --time "${TIME_H:-0.09}" \
        --patience 100 --workers "${WORKERS:-6}" --cache > "$OUT/$m.log" 2>&1 &
done
wait
for m in $MODELS; do
    echo "== $m"; tail -c 1500 "$OUT/$m.log"
    cp "${RUNS:-/tmp/runs}/$m/weights/best.pt" "$OUT/${m}_best.pt"
    cp "${RUNS:-/tmp/runs}/$m/results.csv" "$OUT/${m}_results.csv"
    cp "${RUNS:-/tmp/runs}/$m/weights/fit.json" "$OUT/${m}_fit.json"
done
ls -la "$OUT"
