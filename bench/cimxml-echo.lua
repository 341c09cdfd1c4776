-- wrk script: TestMeth.Echo(sInArg="hello") over CIM-XML, as wbemcli sends it.
-- Usage: wrk -t2 -c16 -d10s -s bench/cimxml-echo.lua http://user:pw@127.0.0.1:5988/cimom
wrk.method = "POST"
wrk.body = [[<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ><METHODCALL NAME="Echo"><LOCALCLASSPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"></NAMESPACE><NAMESPACE NAME="default"></NAMESPACE></LOCALNAMESPACEPATH><CLASSNAME NAME="TestMeth"></CLASSNAME></LOCALCLASSPATH><PARAMVALUE NAME="sInArg"><VALUE>hello</VALUE></PARAMVALUE></METHODCALL></SIMPLEREQ></MESSAGE></CIM>]]
wrk.headers["Content-Type"] = "application/xml; charset=utf-8"
wrk.headers["CIMOperation"] = "MethodCall"
wrk.headers["CIMMethod"] = "Echo"
wrk.headers["CIMObject"] = "root%2Fdefault%3ATestMeth"
wrk.headers["CIMProtocolVersion"] = "1.0"
wrk.headers["Authorization"] = os.getenv("WRK_AUTH")

-- Every answer is checked (a CIM error also comes with HTTP 200); each
-- thread counts its bad answers and done() adds them up.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, "<VALUE>5</VALUE>", 1, true) then
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("bad answers: %d\n", total))
end
