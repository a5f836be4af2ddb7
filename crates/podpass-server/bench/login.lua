-- wrk: POST a Kubernetes login with the role and JWT from the environment.
local role = os.getenv("ROLE")
local jwt = os.getenv("JWT")
wrk.method = "POST"
wrk.path = "/v1/auth/kubernetes/login"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"role":"%s","jwt":"%s"}', role, jwt)

local failures = 0
response = function(status)
  if status ~= 200 then failures = failures + 1 end
end
