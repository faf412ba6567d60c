-- A mixed workload, cycled in a fixed order: wrk ... -s mixed.lua URL -- API_KEY CHARACTER_ID
-- Per 10 requests: 1 health, 4 gets of a character, 2 lists of 50, 2 brains created, 1 conversation started.
local reqs = {}
local i = 0

function init(args)
  local key, character = args[1], args[2]
  local get = { ["x-api-key"] = key, ["accept"] = "application/json" }
  local post = { ["x-api-key"] = key, ["accept"] = "application/json", ["content-type"] = "application/json" }
  local brain = '{"instructions":"Be brief.","greetingMessage":"Hi!"}'
  local conversation = '{"name":"bench","characterId":"' .. character .. '",'
    .. '"consumer":{"identity":"user-1","name":"User"},"remoteAgent":{"identity":"agent-1","name":"Agent"}}'
  local one = wrk.format("GET", "/v3/characters/" .. character, get)
  reqs = {
    wrk.format("GET", "/v3/health", get), one, one,
    wrk.format("GET", "/v3/characters?take=50", get),
    wrk.format("POST", "/v3/brains", post, brain), one, one,
    wrk.format("GET", "/v3/characters?take=50", get),
    wrk.format("POST", "/v3/brains", post, brain),
    wrk.format("POST", "/v3/conversations", post, conversation),
  }
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end
