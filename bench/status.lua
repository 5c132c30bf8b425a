-- Counts every response status so the benchmark can refuse a page that did
-- not answer as expected. Optional: a file of prepared POST requests, one
-- "cookie<TAB>forwarded-for<TAB>body" line per visitor, each sent once.
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  posts = nil
  if args[1] then
    posts = {}
    for line in io.lines(args[1]) do
      local cookie, xff, body = line:match("^(.-)\t(.-)\t(.*)$")
      table.insert(posts, {cookie = cookie, xff = xff, body = body})
    end
    nthreads = tonumber(args[2])
    next_index = id
  end
end

function request()
  if posts then
    local post = posts[next_index]
    if post == nil then
      -- Out of prepared visitors: wrap around (the count is printed).
      next_index = id
      post = posts[next_index]
    end
    next_index = next_index + nthreads
    return wrk.format("POST", nil, {
      ["Cookie"] = post.cookie,
      ["X-Forwarded-For"] = post.xff,
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Referer"] = wrk.scheme .. "://" .. wrk.host .. ":" .. wrk.port .. wrk.path,
    }, post.body)
  end
  return wrk.request()
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, count in pairs(counts) do
      io.write(string.format("STATUS %d %d\n", status, count))
    end
  end
  io.write(string.format("LATENCY p50=%d p99=%d\n", latency:percentile(50), latency:percentile(99)))
end
