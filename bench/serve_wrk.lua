-- wrk script for bench/serve_bench.sh: POSTs the body in $BODY_FILE to the path in $PREDICT_PATH.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.path = os.getenv("PREDICT_PATH")
wrk.body = f:read("*a")
wrk.headers["Content-Type"] = "application/json"
f:close()
