-- wrk script: TestMeth.Echo(sInArg="hello") over WS-Management.
-- Usage: WRK_AUTH="Basic ..." wrk -t2 -c16 -d10s -s bench/wsman-echo.lua http://127.0.0.1:5985/wsman
wrk.method = "POST"
local res = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/default/TestMeth"
wrk.body = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">' ..
  '<s:Header><a:To>http://127.0.0.1/wsman</a:To><w:ResourceURI s:mustUnderstand="true">' .. res .. '</w:ResourceURI>' ..
  '<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>' ..
  '<a:Action s:mustUnderstand="true">' .. res .. '/Echo</a:Action><w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize>' ..
  '<a:MessageID>uuid:6E8D9F30-9A4A-4C1E-8F8C-000000000001</a:MessageID><w:OperationTimeout>PT60S</w:OperationTimeout></s:Header>' ..
  '<s:Body><p:Echo_INPUT xmlns:p="' .. res .. '"><p:sInArg>hello</p:sInArg></p:Echo_INPUT></s:Body></s:Envelope>'
wrk.headers["Content-Type"] = "application/soap+xml;charset=UTF-8"
wrk.headers["Authorization"] = os.getenv("WRK_AUTH")

-- Every answer is checked (a CIM error also comes with HTTP 200); each
-- thread counts its bad answers and done() adds them up.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, "ReturnValue>5<", 1, true) then
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("bad answers: %d\n", total))
end
