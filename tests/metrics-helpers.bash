# metrics-helpers.bash: what tests/18-metrics.bats adds to helpers.bash:
# daemons on 127.0.0.1 (node_exporter, prometheus) that teardown always
# stops, HTTP polling, PromQL over Prometheus' HTTP API.

load helpers

# free_port: a TCP port on 127.0.0.1 nobody listens on right now.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# start_daemon NAME CMD...: run CMD in the background, output in
# $T/NAME.log, its pid remembered for stop_daemons.
start_daemon() {
	local name=$1
	shift
	"$@" >"$T/$name.log" 2>&1 &
	echo "$!" >>"$T/daemons.pids"
}

# stop_daemons: TERM, then KILL after 5 s, every daemon this test started.
stop_daemons() {
	[ -f "${T:-}/daemons.pids" ] || return 0
	local pid i
	while read -r pid; do
		kill "$pid" 2>/dev/null || continue
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	done <"$T/daemons.pids"
	rm -f "$T/daemons.pids"
}

# wait_http URL [SECONDS]: poll URL until it answers 200.
wait_http() {
	local url=$1 tries=$((${2:-30} * 10)) i
	for i in $(seq "$tries"); do
		curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$url did not answer within ${2:-30} s"
}

# promql BASE QUERY: the value of QUERY's only sample (instant query),
# empty when there is none.
promql() {
	curl -fsS -G "$1/api/v1/query" --data-urlencode "query=$2" |
		jq -r 'if .status != "success" then error("query failed") else
		       (.data.result | if length == 1 then .[0].value[1] else "" end) end'
}

# wait_promql BASE QUERY [SECONDS]: poll until QUERY has a sample; prints it.
wait_promql() {
	local i v tries=$((${3:-60} * 2))
	for i in $(seq "$tries"); do
		v=$(promql "$1" "$2") || true
		if [ -n "$v" ]; then
			echo "$v"
			return 0
		fi
		sleep 0.5
	done
	fail "prometheus at $1 has no sample for $2 after ${3:-60} s"
}
