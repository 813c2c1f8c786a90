-- The load of one benchmark case, for wrk:
--   wrk ... -s mix.lua URL -- IDS_FILE READ_PERCENT PAGES
-- Each request is a read with probability READ_PERCENT/100, else a write. A read shows one
-- account (4 in 5) or one page of the list (1 in 5); a write increases a balance by 1
-- (1 in 2) or transfers 1 between two different accounts (1 in 2). Accounts are picked
-- at random from IDS_FILE, one uuid a line. Each thread has its own fixed seed, so every
-- variant is sent the same sequence of requests.
--
-- done() prints one line for the runner: RESULT requests duration_us errors_connect
-- errors_read errors_write errors_status errors_timeout p50_us p99_us. errors_status
-- counts answers of 400 and above; the runner fails the run if any error is non-zero.

local threads = {}
local ids, read_percent, pages

function setup(thread)
    thread:set("seed", 1000 + #threads)
    table.insert(threads, thread)
end

function init(args)
    if #args ~= 3 then
        error("usage: wrk ... -s mix.lua URL -- IDS_FILE READ_PERCENT PAGES")
    end
    ids = {}
    for line in io.lines(args[1]) do
        if #line == 36 then
            ids[#ids + 1] = line
        end
    end
    read_percent = tonumber(args[2])
    pages = tonumber(args[3])
    if #ids < 2 or read_percent == nil or pages == nil then
        error("mix.lua: need at least two uuids in " .. args[1] .. ", a read percentage and a page count")
    end
    math.randomseed(seed)
end

local form = { ["Content-Type"] = "application/x-www-form-urlencoded" }

local function any_account()
    return ids[math.random(#ids)]
end

function request()
    if math.random(100) <= read_percent then
        if math.random(5) == 1 then
            return wrk.format("GET", "/accounts?page=" .. math.random(pages))
        end
        return wrk.format("GET", "/accounts/" .. any_account())
    end
    if math.random(2) == 1 then
        return wrk.format("POST", "/accounts/" .. any_account() .. "/increase", form, "amount=1")
    end
    local from, to = any_account(), any_account()
    while to == from do
        to = any_account()
    end
    return wrk.format("POST", "/transfers", form, "from=" .. from .. "&to=" .. to .. "&amount=1")
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d\n",
        summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(99)))
end
