-- wrk script: POST the send call with a valid payload to a simulator started with default flags.
--   pnpm sim --port 8089 &
--   wrk -t1 -c100 -d10s -s apps/kaleyra-sim/bench/send.lua http://127.0.0.1:8089
wrk.method = "POST"
wrk.path = "/v2/HXAP16XXXXXX97IN/whatsapp/+919000000000/messages"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["api-key"] = "sim-api-key"
wrk.body = '{"messaging_object":{"messaging_product":"whatsapp","recipient_type":"individual","to":"+919876543210","type":"text","text":{"preview_url":false,"body":"Benchmark message"}},"extra_info":{"ref":"bench","ref1":"r1","ref2":"r2"}}'
