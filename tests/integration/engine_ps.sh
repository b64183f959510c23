# ps (GET /containers/json) and events, as the docker CLI shows them.
. "$TOP/tests/lib/engine.sh"

test_ps_table_flags_and_filters() {
    engine_start
    busybox_image
    docker run -d --name web -l app=web -l tier=front busybox sleep 1000 >/dev/null
    docker run -d --name db -l app=db busybox sh -c 'echo data > /data; sleep 1000' >/dev/null
    docker run --name done0 busybox true
    docker run --name done3 busybox sh -c 'exit 3' || true
    docker create --name fresh busybox true >/dev/null
    local out
    out=$(docker ps)
    expect_eq "$(echo "$out" | head -1 | tr -s ' ')" "CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES"
    expect_eq "$(echo "$out" | wc -l)" 3 "ps shows the running ones"
    expect_contains "$out" '"sleep 1000"'
    expect_contains "$out" "Up "
    expect_eq "$(docker ps -a | wc -l)" 6
    expect_contains "$(docker ps -a --format '{{.Names}} {{.Status}}' | grep done3)" "done3 Exited (3) "
    expect_eq "$(docker ps -a --format '{{.Names}} {{.Status}}' | grep fresh)" "fresh Created"
    # newest first; -l, -n
    expect_eq "$(docker ps -a --format '{{.Names}}' | tr '\n' ' ')" "fresh done3 done0 db web "
    expect_eq "$(docker ps -l --format '{{.Names}}')" fresh
    expect_eq "$(docker ps -n 2 --format '{{.Names}}' | tr '\n' ' ')" "fresh done3 "
    # -q, --no-trunc
    expect_eq "$(docker ps -q | wc -c)" $((2 * 13))
    expect_eq "$(docker ps -q --no-trunc | head -1)" "$(docker inspect -f '{{.Id}}' db)"
    # filters
    expect_eq "$(docker ps -a -f status=exited --format '{{.Names}}' | tr '\n' ' ')" "done3 done0 "
    expect_eq "$(docker ps -a -f exited=3 --format '{{.Names}}')" done3
    expect_eq "$(docker ps -f label=app=web --format '{{.Names}}')" web
    expect_eq "$(docker ps -f label=app --format '{{.Names}}' | sort | tr '\n' ' ')" "db web "
    expect_eq "$(docker ps -a -f name=^/done --format '{{.Names}}' | tr '\n' ' ')" "done3 done0 "
    expect_eq "$(docker ps -a -f name=one3 --format '{{.Names}}')" done3
    expect_eq "$(docker ps -a -f ancestor=busybox -q | wc -l)" 5
    expect_eq "$(docker ps -a -f before=done0 --format '{{.Names}}' | tr '\n' ' ')" "db web "
    expect_eq "$(docker ps -a -f since=done3 --format '{{.Names}}')" fresh
    expect_eq "$(docker ps -a -f id="$(docker inspect -f '{{.Id}}' web | cut -c1-8)" --format '{{.Names}}')" web
    expect_fail "invalid filter 'nope'" docker ps -f nope=1
    # formats: a table of chosen columns, and JSON
    out=$(docker ps --format 'table {{.Names}}\t{{.Labels}}' -f name=web)
    expect_eq "$(echo "$out" | head -1 | tr -s ' ')" "NAMES LABELS"
    expect_eq "$(echo "$out" | tail -1 | tr -s ' ')" "web app=web,tier=front"
    expect_eq "$(docker ps --format '{{json .Names}}' -f name=db)" '"db"'
    expect_contains "$(docker ps --format '{{json .}}' -f name=db)" '"Labels":"app=db"'
    # sizes: what the container wrote, and that plus its image
    out=$(docker ps -s --format '{{.Names}} {{.Size}}' -f name=db)
    [[ $out =~ ^db\ [0-9.]+k?B\ \(virtual\ [0-9.]+MB\)$ ]] || fail "ps -s: $out"
    [ "$(docker inspect -s -f '{{.SizeRw}}' db)" -ge 5 ] || fail "SizeRw of db"
}

test_events_since_until_and_filters() {
    engine_start
    busybox_image
    local t0
    t0=$(date +%s)
    docker run --name ev busybox sh -c 'exit 4' || true
    docker rm ev >/dev/null
    local until=$(($(date +%s) + 1))
    local out
    out=$(docker events --since "$t0" --until "$until" --filter type=container \
        --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}')
    expect_eq "$(echo "$out" | tr '\n' ',')" \
        "container create ev,container attach ev,container start ev,container die ev,container destroy ev,"
    expect_eq "$(docker events --since "$t0" --until "$until" -f event=die \
        --format '{{.Actor.Attributes.exitCode}} {{.Actor.Attributes.image}}')" "4 busybox"
    # the default format: time, type, action, id, attributes
    out=$(docker events --since "$t0" --until "$until" -f event=destroy)
    [[ $out =~ ^[0-9-]{10}T[0-9:.]+Z\ container\ destroy\ [0-9a-f]{64}\ \(image=busybox,\ name=ev\)$ ]] ||
        fail "events line: $out"
    # a stream: what happens after the client came
    docker events --filter container=live --format '{{.Action}}' >"$T/stream" &
    local ev=$!
    on_exit kill "$ev"
    sleep 0.3
    docker run -d --name live busybox sleep 1000 >/dev/null
    docker stop -t 0 live >/dev/null
    docker restart -t 0 live >/dev/null
    wait_for grep -q '^restart$' "$T/stream"
    expect_eq "$(tr '\n' ' ' <"$T/stream")" \
        "create start kill kill die stop start restart "
}
