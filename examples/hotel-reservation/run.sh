#!/usr/bin/env bash
# The hotel reservation system, end to end, on one machine: Baton with the two
# models, the four services, the worker, and five reservations.
#
# Usage: examples/hotel-reservation/run.sh [--keep]
#
#   1. installs the pinned Python packages (setup.sh, into target/hotel; once)
#   2. builds Baton and starts `cargo run --release -- serve` on port
#      BATON_PORT (8080), with a fresh database in a temporary directory and
#      the models of models/ deployed
#   3. starts the booking, room, restaurant and client services (ports 5001 to
#      5004, or BOOKING_PORT, ROOM_PORT, RESTAURANT_PORT, CLIENT_PORT), each
#      with its own SQLite file in the same directory
#   4. starts worker.py (the official Camunda Python client)
#   5. runs client.py: five reservations, and how each ended
#   6. stops everything it started, also on Ctrl-C or failure (then it keeps
#      the logs and says where they are)
#
# With --keep it leaves everything running after the reservations, for
# exploring the REST API with curl (see README.md), until Ctrl-C.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
keep=0
case "${1:-}" in
    --keep) keep=1 ;;
    "") ;;
    *) echo "usage: $0 [--keep]" >&2; exit 2 ;;
esac

baton_port="${BATON_PORT:-8080}"
export BOOKING_PORT="${BOOKING_PORT:-5001}" ROOM_PORT="${ROOM_PORT:-5002}"
export RESTAURANT_PORT="${RESTAURANT_PORT:-5003}" CLIENT_PORT="${CLIENT_PORT:-5004}"

run_dir="$(mktemp -d "${TMPDIR:-/tmp}/hotel-reservation.XXXXXX")"
pids=()

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if ((${#pids[@]})); then
        echo "Stopping Baton, the services and the worker."
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
    if ((status == 0)); then
        rm -rf "$run_dir"
    else
        echo "Failed; the logs are in $run_dir" >&2
    fi
    exit "$status"
}
# Ctrl-C: a failure while the demo runs, the way to stop once it is done.
finished=0
trap cleanup EXIT
trap 'if ((finished)); then exit 0; else exit 130; fi' INT TERM

# Waits until file $2 has a line matching $3, or the process $1 is gone.
wait_for_line() {
    local pid=$1 file=$2 pattern=$3 name=$4
    for _ in $(seq 600); do
        if grep -q "$pattern" "$file" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$name stopped before it was ready:" >&2
            tail -n 20 "$file" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "$name was not ready after 60 s:" >&2
    tail -n 20 "$file" >&2
    exit 1
}

"$here/setup.sh"
python="$root/target/hotel/venv/bin/python"

echo "Building Baton (cargo build --release)..."
(cd "$root" && cargo build --release --quiet)

(cd "$root" && exec cargo run --release --quiet -- serve --port "$baton_port" \
    --db "$run_dir/baton.db" --deploy "$here/models") >"$run_dir/baton.out" 2>"$run_dir/baton.log" &
pids+=($!)
wait_for_line "$!" "$run_dir/baton.out" "^Baton listening on " "Baton"
url="$(sed -n 's/^Baton listening on //p' "$run_dir/baton.out")"
echo "Baton:      $url (models: $(cd "$here/models" && echo *.bpmn))"

for service in booking room restaurant client; do
    "$python" "$here/services/${service}_service.py" --db "$run_dir/$service.db" \
        >"$run_dir/$service.log" 2>&1 &
    pids+=($!)
    wait_for_line "$!" "$run_dir/$service.log" "listening on" "the $service service"
    printf '%-11s %s\n' "$service:" "$(grep -o 'http://[0-9.:]*' "$run_dir/$service.log" | head -1)"
done

export BATON_URL="$url"
export BOOKING_URL="http://127.0.0.1:$BOOKING_PORT" ROOM_URL="http://127.0.0.1:$ROOM_PORT"
export RESTAURANT_URL="http://127.0.0.1:$RESTAURANT_PORT" CLIENT_URL="http://127.0.0.1:$CLIENT_PORT"
"$python" "$here/worker.py" >"$run_dir/worker.log" 2>&1 &
pids+=($!)
wait_for_line "$!" "$run_dir/worker.log" "subscribed to" "the worker"
echo "worker:     worker.py, subscribed to 7 topics"
echo "logs:       $run_dir"
echo

"$python" "$here/client.py" --baton "$url"

echo
echo "In Baton now: $(curl -s "$url/history/process-instance/count?finished=true" |
    sed 's/.*"count":\([0-9]*\).*/\1/') finished instances (5 reservations, 4 client look-ups)," \
    "$(curl -s "$url/incident/count" | sed 's/.*"count":\([0-9]*\).*/\1/') incidents," \
    "$(curl -s "$url/external-task/count" | sed 's/.*"count":\([0-9]*\).*/\1/') open external tasks."

finished=1
if ((keep)); then
    echo
    echo "Everything keeps running (process ids: baton ${pids[0]}, booking ${pids[1]}, room ${pids[2]}," \
        "restaurant ${pids[3]}, client ${pids[4]}, worker ${pids[5]}); the services' databases are" \
        "$run_dir/*.db."
    echo "Try:  curl -s $url/history/process-instance"
    echo "Press Ctrl-C to stop."
    wait
fi
