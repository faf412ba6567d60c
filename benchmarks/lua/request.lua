-- One request, the same every time: wrk ... -s request.lua URL -- METHOD PATH API_KEY [JSON_BODY]
local req

function init(args)
  local headers = { ["x-api-key"] = args[3], ["accept"] = "application/json" }
  local body = args[4]
  if body ~= nil and body ~= "" then
    headers["content-type"] = "application/json"
  else
    body = nil
  end
  req = wrk.format(args[1], args[2], headers, body)
end

function request()
  return req
end
